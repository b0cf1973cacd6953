// Retry throttling as gRPC's (models/retry_throttle.hpp): exact token counts. No network.
#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "tests/models/fixtures.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

constexpr double ms = 1e-3;

const RecordedTable& table(const RunResults& r, const std::string& name) {
    for (const RecordedTable& t : r.tables) {
        if (t.name == name) return t;
    }
    FAIL("no table " << name);
    throw;
}

/// a calls b (one server that refuses everything while down) with 3 retries and a throttle of
/// 10 tokens, ratio 0.1. One request every 100 ms from 0.1 s. b is down during [0, 1.95 s)
/// and again from `second_outage_s` on; the balancer never notices (the health check is slow).
RunResults outages(double second_outage_s) {
    CallModel c;
    c.retries = 3;
    SystemModel m = testing::a_calls_b(c, make_constant(1 * ms), ConstantArrivals{10.0}, 9, 1, 1);
    m.window_s = 0;
    m.services[1].health_check_s = 1000;
    m.services[1].retry_throttling = RetryThrottleModel{10, 0.1};
    m.events.push_back(FaultEvent{"b-1", 0.0, FaultAction::fail, 1u, {}, 1.95, 1});
    m.events.push_back(FaultEvent{"b-1", second_outage_s, FaultAction::fail, 1u, {}, std::nullopt, 1});
    return testing::run(std::move(m));
}

}  // namespace

TEST_CASE("retry throttle: a token bucket in thousandths, as gRPC's", "[models][throttle]") {
    RetryThrottle t(RetryThrottleModel{10, 0.1});
    CHECK(t.tokens() == 10);
    for (int i = 0; i < 4; ++i) t.record(false);
    CHECK(t.allows());  // 6 > 5
    t.record(false);
    CHECK_FALSE(t.allows());  // 5 is not above half
    for (int i = 0; i < 10; ++i) t.record(false);
    CHECK(t.tokens() == 0);  // never below 0
    for (int i = 0; i < 50; ++i) t.record(true);
    CHECK(t.tokens() == 5);  // exactly: 50 x 0.1 in thousandths
    CHECK_FALSE(t.allows());
    t.record(true);
    CHECK(t.allows());
    for (int i = 0; i < 100; ++i) t.record(true);
    CHECK(t.tokens() == 10);  // never above max_tokens
}

TEST_CASE("retry throttle: failures stop retries until successes refill half the bucket", "[models][throttle]") {
    // Outage 1 (19 requests): the first fails 4 times (10 -> 6 tokens, 3 retries); the second
    // takes 6 -> 5 and may not retry, nor may the 17 after it (tokens fall to 0).
    // Then one success per request from 2.0 s: 0.1 token each.
    SECTION("61 successes: 6.1 tokens, the first failure leaves 5.1, one retry more") {
        const RunResults r = outages(8.05);  // requests at 2.0 .. 8.0 s succeed
        CHECK(r.requests[0].retries == 3 + 1);
        const RecordedTable& t = table(r, "retry_throttling");
        REQUIRE(t.rows.size() == 1);
        CHECK(t.rows[0].name == "a->b");
        // Throttled: 18 in outage 1; in outage 2, the retry of the first request after its second
        // failure (4.1 tokens), then one per request (9 requests from 8.1 to 8.9 s, the one
        // at 9.0 s included: 10 requests, the first retried once).
        CHECK(t.rows[0].figures[3].count == 18 + 10);
        CHECK(t.rows[0].figures[2].count == 61);  // successes
        CHECK(t.rows[0].figures[1].count == 4 + 18 + 2 + 9);  // failures
    }
    SECTION("60 successes: 6.0 tokens, the first failure leaves 5.0: no retry") {
        const RunResults r = outages(7.95);
        CHECK(r.requests[0].retries == 3);
        CHECK(table(r, "retry_throttling").rows[0].figures[2].count == 60);
    }
}

TEST_CASE("retry throttle: a throttled caller sends no hedge", "[models][throttle][hedging]") {
    // b-1 is dead (refuses at once), b-2 answers in 10 ms; hedges after 1 ms. Round robin
    // sends the first attempts alternately: those to b-1 fail at once and hedge at once to
    // b-2 while tokens last (100 tokens, ratio 0.1, so refused attempts drain them).
    CallModel c;
    c.hedge = HedgeModel{1 * ms, 0, 1};
    SystemModel m = testing::a_calls_b(c, make_constant(10 * ms), ConstantArrivals{10.0}, 100, 2, 1);
    m.window_s = 0;
    m.services[1].health_check_s = 1000;
    m.services[1].retry_throttling = RetryThrottleModel{10, 0.5};
    m.events.push_back(FaultEvent{"b-1", 0.0, FaultAction::fail, 1u, {}, std::nullopt, 1});
    const RunResults r = testing::run(std::move(m));
    const RecordedTable& t = table(r, "retry_throttling");
    CHECK(t.rows[0].figures[3].count > 0);
    CHECK(r.requests[0].errors > 0);  // calls whose hedge was throttled fail
    CHECK(r.requests[0].errors < r.requests[0].count);
}

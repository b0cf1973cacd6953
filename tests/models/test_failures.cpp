// Failures of servers and links: dropped work, health-check delay, rerouting.
#include <cmath>

#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "tests/models/fixtures.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

constexpr double ms = 1e-3;

/// Service "a" (one server, no work) calls service "b" (`b_servers` 8-core servers, const
/// work) behind round robin. Requests arrive at a at a constant rate. No network.
SystemModel pool(unsigned b_servers, double b_work_s, double rate_per_s, double duration_s) {
    SystemModel m = testing::a_calls_b(CallModel{}, make_constant(b_work_s), ConstantArrivals{rate_per_s}, duration_s,
                                       b_servers, 8);
    m.name = "pool";
    m.seed = 3;
    m.window_s = 1;
    return m;
}

using testing::run;

}  // namespace

TEST_CASE("failures: a failed server drops its work and those requests fail", "[models][failures]") {
    // One request at 1 s needing 1 s of work; the server fails at 1.5 s.
    SystemModel m = pool(1, 1.0, 1.0, 1.9);
    m.events.push_back(FaultEvent{"b-1", 1.5, FaultAction::fail, 1u, {}, std::nullopt, 1});
    const RunResults r = run(std::move(m));
    REQUIRE(r.requests[0].count == 1);
    CHECK(r.requests[0].errors == 1);
    CHECK(r.requests[0].error_latency.max() == Approx(0.5).margin(1e-12));
    CHECK(r.requests[0].latency.count() == 0);  // failures are timed apart
    CHECK(r.servers[1].completed == 0);
}

TEST_CASE("failures: requests fail for the health-check delay, then the balancer avoids the server",
          "[models][failures]") {
    // Two servers behind round robin, 100 requests/s; b-1 fails at 5.0005 s for 3 s;
    // health checks notice after 1 s, in both directions.
    SystemModel m = pool(2, 1 * ms, 100, 12);
    m.services[1].health_check_s = 1.0;
    m.events.push_back(FaultEvent{"b-1", 5.0005, FaultAction::fail, 1u, {}, 3.0, 1});
    const RunResults r = run(std::move(m));
    const RequestSeries& s = r.timeseries.requests[0];
    REQUIRE(r.timeseries.windows() == 12);
    for (std::size_t i = 0; i < 12; ++i) {
        INFO("window " << i);
        if (i == 5) {
            // Round robin alternates: half of the 100 requests of [5, 6) went to the dead b-1.
            CHECK(s.errors[i] == 50);
        } else {
            CHECK(s.errors[i] == 0);
        }
    }
    // b-1 takes no traffic between the health check (6 s) and its return to the pool (9 s).
    const ServerSeries& b1 = r.timeseries.servers[1];
    CHECK(b1.utilization[6] == 0);
    CHECK(b1.utilization[7] == 0);
    CHECK(b1.utilization[8] == 0);
    CHECK(b1.utilization[10] > 0);
    CHECK(r.requests[0].errors == 50);
}

TEST_CASE("failures: slow events divide a server's speed for their duration", "[models][failures]") {
    SystemModel m = pool(1, 10 * ms, 10, 4);
    m.events.push_back(FaultEvent{"b-1", 1.05, FaultAction::slow, 1u, {}, 2.0, 4});
    const RunResults r = run(std::move(m));
    // Requests between 1.05 s and 3.05 s take 40 ms instead of 10 ms.
    CHECK(r.requests[0].latency.min() == Approx(10 * ms).margin(1e-12));
    CHECK(r.requests[0].latency.max() == Approx(40 * ms).margin(1e-12));
    CHECK(r.requests[0].errors == 0);
}

TEST_CASE("failures: random failures follow mtbf and mttr", "[models][failures]") {
    // Up exp(mean 2 s), down const 1 s, and no health-check delay: requests fail exactly
    // while the one server is down, a fraction f = D / (U + D) = 1/3 of the time in the
    // long run. Over 600 s, n ~ 200 cycles: by the delta method sd(f) ~ |df/dU| sd(U) / sqrt(n)
    // = (1/9) * 2 / sqrt(200) ~ 0.016, so 0.08 is five standard deviations.
    SystemModel m = pool(1, 1 * ms, 100, 600);
    m.services[1].health_check_s = 0;
    m.failures.push_back(RandomFailures{1, make_exponential(2.0), make_constant(1.0)});
    const RunResults r = run(std::move(m));
    const double fraction = static_cast<double>(r.requests[0].errors) / static_cast<double>(r.requests[0].count);
    CHECK(fraction == Approx(1.0 / 3.0).margin(0.08));
}

TEST_CASE("failures: a failed link reroutes traffic when another path exists", "[models][failures]") {
    // a -- s1 -- b (0.5 ms + 0.5 ms) and a -- s2 -- b (2.5 ms + 2.5 ms).
    SystemModel m = pool(1, 1 * ms, 100, 10);
    m.topology = std::make_unique<Topology>();
    Topology& t = *m.topology;
    const NodeId a = t.add_node("a", NodeKind::server);
    const NodeId b = t.add_node("b-1", NodeKind::server);
    const NodeId s1 = t.add_node("s1", NodeKind::switch_);
    const NodeId s2 = t.add_node("s2", NodeKind::switch_);
    const LinkId fast = t.add_link(a, s1, 1e12, 0.5 * ms);
    t.add_link(s1, b, 1e12, 0.5 * ms);
    t.add_link(a, s2, 1e12, 2.5 * ms);
    t.add_link(s2, b, 1e12, 2.5 * ms);
    m.hosts[0].node = a;
    m.hosts[1].node = b;
    m.events.push_back(FaultEvent{"a--s1", 5.005, FaultAction::fail, std::nullopt, {fast}, 3.0, 1});
    const RunResults r = run(std::move(m));
    CHECK(r.requests[0].errors == 0);
    // 2 ms of round trip plus 1 ms of work; 10 ms plus 1 ms while the fast link is down.
    CHECK(r.requests[0].latency.min() == Approx(3 * ms).margin(1e-12));
    CHECK(r.requests[0].latency.max() == Approx(11 * ms).margin(1e-12));
    const RequestSeries& s = r.timeseries.requests[0];
    CHECK(s.p50_s[3] < 4 * ms);
    CHECK(s.p50_s[6] > 10 * ms);
    CHECK(s.p50_s[9] < 4 * ms);
}

TEST_CASE("failures: a request with no route fails", "[models][failures]") {
    SystemModel m = pool(1, 1 * ms, 100, 3);
    m.topology = std::make_unique<Topology>();
    const NodeId a = m.topology->add_node("a", NodeKind::server);
    const NodeId b = m.topology->add_node("b-1", NodeKind::server);
    const LinkId only = m.topology->add_link(a, b, 1e12, 1 * ms);
    m.hosts[0].node = a;
    m.hosts[1].node = b;
    m.events.push_back(FaultEvent{"a--b-1", 1.0005, FaultAction::fail, std::nullopt, {only}, 1.0, 1});
    const RunResults r = run(std::move(m));
    // The 100 requests sent in [1.0005, 2.0005) find no route; the one in flight at 1.0005 is lost too.
    CHECK(r.requests[0].errors == 101);
}

TEST_CASE("failures: a run cut short by max_in_flight names the saturated servers", "[models][failures]") {
    // b-1 serves at most 8 / 20 ms = 400 requests/s: at 1,000/s its queue grows by 600 a second.
    SystemModel m = pool(1, 20 * ms, 1000, 10);
    m.max_in_flight = 1000;
    const RunResults r = run(std::move(m));
    CHECK_THAT(r.stopped_early, Catch::Matchers::Contains("more than 1000 calls in flight"));
    CHECK_THAT(r.stopped_early, Catch::Matchers::Contains("'b-1'"));
    CHECK_THAT(r.stopped_early, Catch::Matchers::Contains("waiting"));
}

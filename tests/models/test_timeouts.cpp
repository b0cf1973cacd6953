// Timeouts, retries and retry budgets of calls (models/system.hpp, models/failures.hpp).
// No network: messages arrive at once, so latencies are sums of work and backoffs.
#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "tests/models/fixtures.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

constexpr double ms = 1e-3;

/// Service "a" (one server, no work) calls service "b" (`b_servers` one-core servers,
/// work `b_work`) with `call`. Requests arrive at a with `arrival`.
SystemModel chain(const CallModel& call, DistributionPtr b_work, ArrivalModel arrival, double duration_s,
                  unsigned b_servers = 1) {
    SystemModel m = testing::a_calls_b(call, std::move(b_work), std::move(arrival), duration_s, b_servers, 1);
    m.name = "chain";
    m.seed = 7;
    m.window_s = 0;
    return m;
}

CallModel call_b() {
    CallModel c;
    c.service = 1;
    c.op = 0;
    return c;
}

using testing::run;

}  // namespace

TEST_CASE("timeouts: a timeout fires at exactly its time and the callee keeps working", "[models][timeouts]") {
    CallModel c = call_b();
    c.timeout_s = 100 * ms;
    // One request at t = 1 s; b needs 1 s for it.
    const RunResults r = run(chain(c, make_constant(1.0), ConstantArrivals{1.0}, 2.5));
    REQUIRE(r.requests[0].count == 2);
    CHECK(r.requests[0].errors == 2);
    CHECK(r.requests[0].timeouts == 2);
    CHECK(r.requests[0].error_latency.min() == Approx(0.1).margin(1e-12));
    CHECK(r.requests[0].error_latency.max() == Approx(0.1).margin(1e-12));
    CHECK(r.ops[1].timeouts == 2);
    // The work already sent is done anyway (the first at 2 s; the second ends after 2.5 s).
    CHECK(r.servers[1].completed == 1);
    CHECK(r.servers[1].utilization == Approx(1.5 / 2.5).margin(1e-9));
}

TEST_CASE("timeouts: a call that answers in time is not a timeout", "[models][timeouts]") {
    CallModel c = call_b();
    c.timeout_s = 100 * ms;
    const RunResults r = run(chain(c, make_constant(99 * ms), ConstantArrivals{1.0}, 2.5));
    CHECK(r.requests[0].errors == 0);
    CHECK(r.requests[0].latency.max() == Approx(99 * ms).margin(1e-12));
}

TEST_CASE("timeouts: retries of a call to a dead server are counted and spaced by the backoff", "[models][timeouts]") {
    CallModel c = call_b();
    c.retries = 3;
    c.backoff = make_constant(10 * ms);
    SystemModel m = chain(c, make_constant(1 * ms), ConstantArrivals{1.0}, 2.5);
    m.services[1].health_check_s = 1000;  // the balancer never learns: every attempt is refused
    m.events.push_back(FaultEvent{"b-1", 0.0, FaultAction::fail, 1u, {}, std::nullopt, 1});
    const RunResults r = run(std::move(m));
    REQUIRE(r.requests[0].count == 2);
    CHECK(r.requests[0].errors == 2);
    CHECK(r.requests[0].retries == 6);
    CHECK(r.ops[1].retries == 6);
    CHECK(r.ops[1].errors == 8);  // four refused attempts per request
    // Refused at once, three backoffs of 10 ms.
    CHECK(r.requests[0].error_latency.max() == Approx(30 * ms).margin(1e-12));
    CHECK(r.requests[0].error_latency.min() == Approx(30 * ms).margin(1e-12));
}

TEST_CASE("timeouts: an optional call's failure does not fail the op", "[models][timeouts]") {
    CallModel c = call_b();
    c.required = false;
    SystemModel m = chain(c, make_constant(1 * ms), ConstantArrivals{1.0}, 2.5);
    m.services[1].health_check_s = 1000;  // keep sending to it: each call reaches it and fails
    m.events.push_back(FaultEvent{"b-1", 0.0, FaultAction::fail, 1u, {}, std::nullopt, 1});
    const RunResults r = run(std::move(m));
    CHECK(r.requests[0].count == 2);
    CHECK(r.requests[0].errors == 0);
    CHECK(r.ops[1].errors == 2);
}

TEST_CASE("timeouts: a retry storm loads the callee and a retry budget caps it", "[models][timeouts]") {
    // b: M/M/1 at 80% load (100 jobs/s of capacity, 80 arrivals/s): mean response
    // 1 / (100 - 80) = 50 ms, so a 20 ms timeout gives up on most calls, whose work
    // still loads b, and each retry adds more.
    const auto storm = [](std::optional<double> budget, std::uint32_t retries) {
        CallModel c = call_b();
        c.timeout_s = 20 * ms;
        c.retries = retries;
        SystemModel m = chain(c, make_exponential(10 * ms), PoissonArrivals{80}, 30);
        m.services[1].retry_budget = budget;
        return run(std::move(m));
    };
    const RunResults calm = storm(std::nullopt, 0);
    const RunResults wild = storm(std::nullopt, 3);
    const RunResults capped = storm(0.1, 3);
    CHECK(calm.servers[1].utilization == Approx(0.8).margin(0.08));
    CHECK(calm.ops[1].retries == 0);
    // Without a budget b saturates: each timed-out attempt is sent again.
    CHECK(wild.servers[1].utilization > 0.97);
    CHECK(wild.ops[1].retries > calm.requests[0].count);
    // With a budget of 10%, retries in any 10 s window are at most 10% of the first
    // attempts in it, so over the run at most 20% of them (each window's retries are
    // bounded by the calls of that block and the one before).
    CHECK(capped.ops[1].retries > 0);
    CHECK(static_cast<double>(capped.ops[1].retries) <= 0.2 * static_cast<double>(capped.requests[0].count) + 1);
    CHECK(capped.servers[1].utilization < wild.servers[1].utilization - 0.05);
}

TEST_CASE("timeouts: a retry budget of zero allows no retry", "[models][timeouts]") {
    CallModel c = call_b();
    c.retries = 3;
    SystemModel m = chain(c, make_constant(1 * ms), ConstantArrivals{10.0}, 2.5);
    m.services[1].retry_budget = 0.0;
    m.events.push_back(FaultEvent{"b-1", 0.0, FaultAction::fail, 1u, {}, std::nullopt, 1});
    const RunResults r = run(std::move(m));
    CHECK(r.requests[0].errors == r.requests[0].count);
    CHECK(r.requests[0].retries == 0);
}

// Hedged requests (models/hedging.hpp): the first answer wins, the others are cancelled at
// their servers. No network: latencies are the work alone.
#include <cmath>

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

/// Service a calls b (two one-core servers, round robin, work exp(1 ms)) with a hedge, one
/// request every 100 ms: both servers are idle when each call starts.
RunResults hedged(HedgeModel hedge, double duration_s) {
    CallModel c;
    c.hedge = hedge;
    SystemModel m = testing::a_calls_b(c, make_exponential(1 * ms), ConstantArrivals{10.0}, duration_s, 2, 1);
    m.seed = 11;
    m.window_s = 0;
    return testing::run(std::move(m));
}

}  // namespace

TEST_CASE("hedging: a hedge after 1 ms on two idle exp(1 ms) servers gives a mean of 1 - e^-1/2 ms",
          "[models][hedging][theory]") {
    const RunResults r = hedged(HedgeModel{1 * ms, 0, 1}, 20'000);
    const auto n = static_cast<double>(r.requests[0].count);
    REQUIRE(n > 199'000);
    // L = X1 when X1 <= 1 ms, else 1 ms + min of two exp(1 ms) (memoryless): exp of mean 0.5 ms.
    // E[L] = 1 - e^-1/2 ms; E[L^2] = (2 - 5/e) + (1/e) E[(1 + Y)^2] with Y ~ exp(mean 1/2) = 2 - 2.5/e.
    const double e1 = std::exp(-1.0);
    const double mean = 1 - e1 / 2;
    const double sd = std::sqrt(2 - 2.5 * e1 - mean * mean);
    CHECK(r.requests[0].errors == 0);
    CHECK(std::abs(r.requests[0].latency.mean() / ms - mean) < 4 * sd / std::sqrt(n));
    // A hedge goes out when X1 > 1 ms (probability 1/e); it wins half of those races.
    const RecordedTable& t = table(r, "hedging");
    REQUIRE(t.rows.size() == 1);
    CHECK(t.rows[0].name == "b");
    const auto hedges = static_cast<double>(t.rows[0].figures[0].count);
    const auto wins = static_cast<double>(t.rows[0].figures[1].count);
    CHECK(std::abs(hedges / n - e1) < 4 * std::sqrt(e1 * (1 - e1) / n));
    CHECK(std::abs(wins / n - e1 / 2) < 4 * std::sqrt(e1 / 2 * (1 - e1 / 2) / n));
    // Every hedge race ends with one loser cancelled, and only the winner's job completes.
    CHECK(t.rows[0].figures[2].count == t.rows[0].figures[0].count);
    const double completed = static_cast<double>(r.servers[1].completed + r.servers[2].completed);
    CHECK(std::abs(completed - n) <= 1);
    // The loser's work until the win is spent: busy time per request B = X1 (X1 <= 1 ms) or
    // 1 ms + 2Y, whose mean is exactly 1 ms and whose variance is 1 ms^2.
    const double busy = (r.servers[1].utilization + r.servers[2].utilization) * r.simulated_s;
    CHECK(std::abs(busy / ms - n) < 4 * std::sqrt(n));
}

TEST_CASE("hedging: a hedge after the observed p95 goes out for 5% of calls", "[models][hedging][theory]") {
    // The delay d settles where P(L > d) = 0.05; before d no hedge matters, so d is exp(1 ms)'s
    // own p95 (ln 20 ms), and the mean is 1 - 0.05/2 ms.
    const RunResults r = hedged(HedgeModel{0, 0.95, 1}, 20'000);
    const auto n = static_cast<double>(r.requests[0].count);
    const RecordedTable& t = table(r, "hedging");
    const auto hedges = static_cast<double>(t.rows[0].figures[0].count);
    // The first 200 calls (samples_needed) go without hedges.
    CHECK(HedgeModel{0, 0.95, 1}.samples_needed() == 200);
    CHECK(std::abs(hedges / n - 0.05) < 4 * std::sqrt(0.05 * 0.95 / n) + 200 / n);
    const double mean = 1 - 0.05 / 2;
    // Var of L: below d as exp(1) truncated, above d + Y (Y ~ exp(mean 1/2)); bounded by 1.
    CHECK(std::abs(r.requests[0].latency.mean() / ms - mean) < 4 / std::sqrt(n) + 0.05 * 200 / n);
}

TEST_CASE("hedging: up to max hedges, and none when the first answers in time", "[models][hedging]") {
    // Work of 10 ms exactly, hedges every 3 ms, at most 2: the first attempt wins at 10 ms
    // (the hedges started later), both hedges are cancelled; with 3 servers each is on its own.
    CallModel c;
    c.hedge = HedgeModel{3 * ms, 0, 2};
    SystemModel m = testing::a_calls_b(c, make_constant(10 * ms), ConstantArrivals{10.0}, 10, 3, 1);
    m.window_s = 0;
    const RunResults r = testing::run(std::move(m));
    const RecordedTable& t = table(r, "hedging");
    const auto n = r.requests[0].count;
    CHECK(t.rows[0].figures[0].count == 2 * n);  // two hedges per call
    CHECK(t.rows[0].figures[1].count == 0);      // the first always wins
    CHECK(t.rows[0].figures[2].count == 2 * n);
    CHECK(r.requests[0].latency.max() == Approx(10 * ms).margin(1e-9));
    // Each cancelled hedge worked 7 and 4 ms: 21 ms of work per call over 3 cores.
    const double busy = (r.servers[1].utilization + r.servers[2].utilization + r.servers[3].utilization) * r.simulated_s;
    CHECK(busy == Approx(static_cast<double>(n) * 21 * ms).epsilon(1e-6));

    // With 10 ms hedges the first answers before any hedge: none sent.
    CallModel late;
    late.hedge = HedgeModel{10.5 * ms, 0, 2};
    SystemModel m2 = testing::a_calls_b(late, make_constant(10 * ms), ConstantArrivals{10.0}, 10, 3, 1);
    m2.window_s = 0;
    const RunResults r2 = testing::run(std::move(m2));
    CHECK(table(r2, "hedging").rows[0].figures[0].count == 0);
}

TEST_CASE("hedging: a hedge to a slowed server is cancelled there when the first answers", "[models][hedging]") {
    // b-1 serves in 10 ms, b-2 is slowed 1000x (10 s a job). Calls 50 ms apart, each with a
    // hedge at 1 ms to the other server (round robin): b-1 always answers (at 10 or 11 ms) and
    // b-2 drops its attempt then, unfinished.
    CallModel c;
    c.hedge = HedgeModel{1 * ms, 0, 1};
    SystemModel m = testing::a_calls_b(c, make_constant(10 * ms), ConstantArrivals{20.0}, 50, 2, 1);
    m.window_s = 0;
    m.hosts[2].server.speed = 0.001;
    const RunResults r = testing::run(std::move(m));
    CHECK(r.servers[2].completed == 0);
    CHECK(r.requests[0].errors == 0);
    CHECK(r.requests[0].latency.max() <= 11 * ms + 1e-9);
    // Without the cancel b-2 would hold every attempt sent to it (hundreds); with it, one at
    // a time, busy at most 11 ms of each 50.
    CHECK(r.servers[2].max_queue == 0);
    CHECK(r.servers[2].utilization <= 11.0 / 50.0 + 1e-6);
    CHECK(r.servers[2].utilization >= 9.0 / 50.0 * 0.99);
}

namespace {
struct Heard final : JobListener {
    std::vector<std::uint64_t> finished;
    std::vector<double> at;
    Simulation* sim = nullptr;
    void job_finished(Server&, std::uint64_t token) override {
        finished.push_back(token);
        at.push_back(sim->now().seconds());
    }
    void job_dropped(Server&, std::uint64_t) override {}
};
}  // namespace

TEST_CASE("server: a cancelled job leaves the queue or its core, unheard", "[models][hedging]") {
    for (const Discipline d : {Discipline::fcfs, Discipline::ps}) {
        Simulation sim;
        Heard heard;
        heard.sim = &sim;
        Server server(sim, ServerConfig{"s", 1, 1.0, d, std::nullopt}, heard);
        REQUIRE(server.submit(1.0, 1));
        REQUIRE(server.submit(1.0, 2));
        REQUIRE(server.submit(1.0, 3));
        sim.schedule_at(Time::from_seconds(0.5), [&] {
            CHECK(server.cancel(2));  // waiting (FCFS) or sharing the core (PS)
            CHECK_FALSE(server.cancel(2));
        });
        sim.run_until(Time::from_seconds(10));
        CHECK(heard.finished == std::vector<std::uint64_t>{1, 3});
        if (d == Discipline::fcfs) {
            // Job 3 starts when job 1 ends: the cancelled one took no time.
            CHECK(heard.at[1] == Approx(2.0).margin(1e-9));
        } else {
            // PS: three share the core for 0.5 s (1/6 s of work each), then two.
            CHECK(heard.at[1] == Approx(2.0 + 1.0 / 6.0).margin(1e-6));
        }
        sim.schedule_at(Time::from_seconds(11), [&] {
            REQUIRE(server.submit(5.0, 4));
            CHECK(server.cancel(4));  // running: the core is freed at once
            CHECK(server.jobs() == 0);
        });
        sim.run_until(Time::from_seconds(20));
        CHECK(heard.finished.size() == 2);
        CHECK(server.completed() == 2);
    }
}

TEST_CASE("hedging: each attempt times out on its own; the call fails when the last has", "[models][hedging]") {
    // Work 50 ms on both servers, timeout 20 ms, hedge after 5 ms: the first attempt gives up
    // at 20 ms (the hedge still runs), the hedge at 25 ms: the call fails then. Timed-out
    // attempts are not cancelled: both servers finish their work, as after any timeout.
    CallModel c;
    c.timeout_s = 20 * ms;
    c.hedge = HedgeModel{5 * ms, 0, 1};
    SystemModel m = testing::a_calls_b(c, make_constant(50 * ms), ConstantArrivals{5.0}, 10.1, 2, 1);
    m.window_s = 0;
    const RunResults r = testing::run(std::move(m));
    const auto n = r.requests[0].count;
    REQUIRE(n == 50);
    CHECK(r.requests[0].errors == n);
    CHECK(r.requests[0].timeouts == n);
    CHECK(r.requests[0].error_latency.min() == Approx(25 * ms).margin(1e-9));
    CHECK(r.requests[0].error_latency.max() == Approx(25 * ms).margin(1e-9));
    CHECK(r.ops[1].timeouts == 2 * n);
    CHECK(r.servers[1].completed + r.servers[2].completed == 2 * n);
    const RecordedTable& t = table(r, "hedging");
    CHECK(t.rows[0].figures[0].count == n);  // one hedge each
    CHECK(t.rows[0].figures[2].count == 0);  // nothing cancelled
}

TEST_CASE("hedging: a cancelled attempt waiting on its own call frees its thread", "[models][hedging]") {
    // a calls b (two servers, one thread each, no work) with a hedge after 5 ms; b's op calls
    // c (c-1 does its 10 ms of work 1000x slower, c-2 at full speed; round robin). Each call
    // has one b attempt whose call to c goes to c-1: it waits 10 s, the other answers in
    // 10 or 15 ms and the slow one is cancelled while it waits. Its thread is freed at once:
    // else, with a call every 2 s, the next attempts would queue behind it for seconds.
    CallModel c;
    c.hedge = HedgeModel{5 * ms, 0, 1};
    SystemModel m = testing::a_calls_b(c, nullptr, ConstantArrivals{0.5}, 99, 2, 1);
    m.window_s = 0;
    for (std::uint32_t h = 1; h <= 2; ++h) m.hosts[h].threads = 1;
    ServiceModel sc;
    sc.name = "c";
    for (int i = 0; i < 2; ++i) {
        HostModel host;
        host.server.name = "c-" + std::to_string(i + 1);
        host.server.speed = i == 0 ? 0.001 : 1.0;
        sc.servers.push_back(static_cast<std::uint32_t>(m.hosts.size()));
        m.hosts.push_back(host);
    }
    OpModel get;
    get.name = "get";
    get.work = make_constant(10 * ms);
    sc.ops.push_back(get);
    m.services.push_back(sc);
    CallModel to_c;
    to_c.service = 2;
    to_c.op = 0;
    m.services[1].ops[0].steps = {{to_c}};
    const RunResults r = testing::run(std::move(m));
    const auto n = r.requests[0].count;
    REQUIRE(n == 49);
    CHECK(r.requests[0].errors == 0);
    CHECK(r.requests[0].latency.max() <= 15 * ms + 1e-9);
    const RecordedTable& t = table(r, "hedging");
    CHECK(t.rows[0].figures[0].count == n);
    CHECK(t.rows[0].figures[2].count == n);
    CHECK(r.ops[1].count == n);  // b: the cancelled attempts never answer
}

TEST_CASE("hedging: a call cannot both hedge and retry", "[models][hedging]") {
    CallModel c;
    c.hedge = HedgeModel{1 * ms, 0, 1};
    c.retries = 1;
    SystemModel m = testing::a_calls_b(c, make_constant(1 * ms), ConstantArrivals{10.0}, 1, 2, 1);
    CHECK_THROWS_WITH(System(std::move(m)), Catch::Matchers::Contains("hedges or retries, not both"));
}

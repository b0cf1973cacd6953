// Elasticity (models/elastic/): the HPA autoscaler, outlier ejection, load shedding and
// per-caller concurrency limits, on small models whose answers follow from the rules.
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "models/elastic/elasticity.hpp"
#include "models/system.hpp"
#include "tests/models/fixtures.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

constexpr double ms = 1e-3;

/// Service "web": `servers` one-core servers (the first `initial` listed, the rest spare),
/// constant work `work_s`, round robin; a workload sends `arrival` straight to it.
SystemModel web(unsigned servers, double work_s, ArrivalModel arrival, double duration_s) {
    SystemModel m;
    m.name = "web";
    m.duration_s = duration_s;
    m.window_s = 5;
    ServiceModel s;
    s.name = "web";
    for (unsigned i = 0; i < servers; ++i) {
        HostModel h;
        h.server.name = "web-" + std::to_string(i + 1);
        s.servers.push_back(i);
        m.hosts.push_back(h);
    }
    OpModel op;
    op.name = "get";
    op.work = make_constant(work_s);
    s.ops.push_back(op);
    m.services.push_back(s);
    m.workloads.push_back(testing::one_op_workload("users", 0, std::move(arrival)));
    return m;
}

AutoscaleModel hpa(double target, std::uint32_t initial, std::uint32_t max) {
    AutoscaleModel a;
    a.target = target;
    a.min = 1;
    a.initial = initial;
    a.max = max;
    return a;  // interval 15 s, tolerance 0.1, boot 30 s, stabilization 300 s
}

const RecordedTable& table(const RunResults& r, const std::string& name) {
    for (const RecordedTable& t : r.tables) {
        if (t.name == name) return t;
    }
    FAIL("no table " << name);
    throw;
}

const RecordedFigure& figure(const RecordedTable& t, const std::string& row, const std::string& name) {
    for (const RecordedRow& r : t.rows) {
        if (r.name != row) continue;
        for (std::size_t f = 0; f < t.figures.size(); ++f) {
            if (t.figures[f].name == name) return r.figures[f];
        }
    }
    FAIL("no figure " << row << " " << name << " in " << t.name);
    throw;
}

double value_of(const RecordedEntry& e, const std::string& name) {
    for (const auto& [k, v] : e.values) {
        if (k == name) return v;
    }
    FAIL("no value " << name << " in " << e.text);
    throw;
}

}  // namespace

TEST_CASE("autoscale: 50 servers at 90% utilisation with target 75% become 60 after one interval",
          "[models][elastic][autoscale]") {
    // 4,500 requests/s of exactly 10 ms round robin over 50 servers: each is busy 90% of the time.
    SystemModel m = web(100, 10 * ms, ConstantArrivals{4500}, 60);
    m.services[0].elastic.autoscale = hpa(0.75, 50, 100);
    const RunResults r = testing::run(std::move(m));
    // One decision changed the count: at 15 s, ceil(50 x 0.9 / 0.75) = 60. At 30 s and 45 s
    // the 50 ready servers still measure 0.9 (the 10 new ones boot until 45 s), which is the
    // target once the booting ones count as 0: 50 x 0.9 / 60 = 0.75. At 60 s all 60 measure 0.75.
    CAPTURE(r.log.size() > 1 ? r.log[1].text : std::string());
    REQUIRE(r.log.size() == 1);
    const RecordedEntry& e = r.log[0];
    CHECK(e.at_s == 15);
    CHECK(e.table == "autoscale");
    CHECK(e.row == "web");
    CHECK(e.what == "scale_out");
    CHECK(value_of(e, "from") == 50);
    CHECK(value_of(e, "to") == 60);
    CHECK(value_of(e, "metric") == Approx(0.9).epsilon(1e-3));
    const RecordedTable& t = table(r, "autoscale");
    // In the pool: 50 until the boot ends at 45 s, then 60. Billed: 60 from the decision.
    CHECK(figure(t, "web", "servers").value == Approx((50.0 * 45 + 60.0 * 15) / 60));
    CHECK(figure(t, "web", "servers").max == 60);
    CHECK(figure(t, "web", "billed").value == Approx((50.0 * 15 + 60.0 * 45) / 60));
    CHECK(figure(t, "web", "server_s").value == Approx(50.0 * 15 + 60.0 * 45));
    CHECK(figure(t, "web", "scale_outs").count == 1);
    CHECK(figure(t, "web", "scale_ins").count == 0);
    // The new servers take their share once booted: 4,500/s over 60 servers of 10 ms is 75%
    // busy over their 15 s in the pool, 18.75% over the run; the spare ones stay idle.
    CHECK(r.servers[50].utilization == Approx(0.75 * 15 / 60).margin(0.002));
    CHECK(r.servers[59].utilization == Approx(0.75 * 15 / 60).margin(0.002));
    CHECK(r.servers[60].utilization == 0);
    CHECK(r.servers[60].completed == 0);
    CHECK(r.requests[0].errors == 0);
    // Per window: 50 servers in the pool in [40, 45), 60 in [45, 50).
    const std::size_t servers_series = 0;
    CHECK(t.rows[0].series[servers_series][8] == Approx(50));
    CHECK(t.rows[0].series[servers_series][9] == Approx(60));
}

TEST_CASE("autoscale: scale-in waits for the stabilisation window and drains", "[models][elastic][autoscale]") {
    // 10 servers busy 60% (the target) until 60 s, then 28%: each decision from 75 s on
    // recommends ceil(10 x 0.28 / 0.6) = 5, but the largest recommendation of the last 60 s
    // stays 10 until the one made at 60 s leaves the window: the scale-in comes at 135 s.
    ScheduleArrivals load;
    load.times = {0, 60};
    load.rates = {600, 280};
    load.constant = true;
    SystemModel m = web(10, 10 * ms, load, 180);
    AutoscaleModel a = hpa(0.6, 10, 10);
    a.stabilization_s = 60;
    m.services[0].elastic.autoscale = a;
    const RunResults r = testing::run(std::move(m));
    REQUIRE(r.log.size() == 1);
    CHECK(r.log[0].at_s == 135);
    CHECK(r.log[0].what == "scale_in");
    CHECK(value_of(r.log[0], "to") == 5);
    // The highest-numbered servers left the pool, each holding at most one 10 ms job: billed
    // until 135 s (and those ms), then idle. web-10 served a tenth of the load until 135 s,
    // web-1 also a fifth of it after.
    const RecordedTable& t = table(r, "autoscale");
    CHECK(figure(t, "web", "billed").value == Approx((10.0 * 135 + 5.0 * 45) / 180).epsilon(1e-4));
    CHECK(static_cast<double>(r.servers[9].completed) == Approx((600.0 * 60 + 280.0 * 75) / 10).margin(2));
    CHECK(static_cast<double>(r.servers[0].completed) == Approx((600.0 * 60 + 280.0 * 75) / 10 + 280.0 * 45 / 5).margin(2));
    CHECK(r.requests[0].errors == 0);
}

TEST_CASE("autoscale: scale-up is limited to max(4 servers, 100%) per 15 s", "[models][elastic][autoscale]") {
    // 4 servers at 90% with target 10%: ceil(4 x 9) = 36 wanted, 8 allowed.
    SystemModel m = web(40, 10 * ms, ConstantArrivals{360}, 16);
    m.services[0].elastic.autoscale = hpa(0.1, 4, 40);
    const RunResults r = testing::run(std::move(m));
    REQUIRE(r.log.size() == 1);
    CHECK(value_of(r.log[0], "desired") == 36);
    CHECK(value_of(r.log[0], "to") == 8);
}

TEST_CASE("autoscale: on latency_p99 the ratio of p99 to the target scales the pool", "[models][elastic][autoscale]") {
    // 2 servers that never queue answer in exactly 10 ms: ceil(2 x 10 ms / 6 ms) = 4.
    SystemModel m = web(8, 10 * ms, ConstantArrivals{20}, 16);
    AutoscaleModel a = hpa(6 * ms, 2, 8);
    a.metric = ScaleMetric::latency_p99;
    m.services[0].elastic.autoscale = a;
    const RunResults r = testing::run(std::move(m));
    REQUIRE(r.log.size() == 1);
    CHECK(value_of(r.log[0], "to") == 4);
}

TEST_CASE("autoscale: queue and in_flight count what waits per server", "[models][elastic][autoscale]") {
    // One server of 10 ms jobs sent 150/s: the backlog grows by 50 a second. Over the first
    // 15 s it waits 375 jobs on average; at 15 s 750 requests are in flight.
    const ScaleMetric metric = GENERATE(ScaleMetric::queue, ScaleMetric::in_flight);
    SystemModel m = web(8, 10 * ms, ConstantArrivals{150}, 16);
    AutoscaleModel a = hpa(metric == ScaleMetric::queue ? 100 : 200, 1, 8);
    a.metric = metric;
    m.services[0].elastic.autoscale = a;
    const RunResults r = testing::run(std::move(m));
    REQUIRE(r.log.size() == 1);
    INFO(r.log[0].text);
    CHECK(value_of(r.log[0], "metric") == Approx(metric == ScaleMetric::queue ? 375 : 750).margin(2));
    CHECK(value_of(r.log[0], "to") == 4);  // ceil(3.75)
}

TEST_CASE("autoscale: a server scaled in drains what it holds, billed until it is done",
          "[models][elastic][autoscale]") {
    // Two 8 s jobs arrive at 11 s and 15 s, one on each server (round robin). At the decision
    // at 16 s the pool measured 6 busy seconds out of 32: ceil(2 x 0.1875 / 1) = 1. web-2
    // leaves the balancer but holds its job until 19 s or 23 s (whichever job it got).
    ScheduleArrivals two;
    two.times = {0, 7, 16};
    two.rates = {0, 0.25, 0};
    two.constant = true;
    SystemModel m = web(2, 8, two, 25);
    AutoscaleModel a = hpa(1.0, 2, 2);
    a.interval_s = 16;
    a.tolerance = 0;
    a.stabilization_s = 0;
    m.services[0].elastic.autoscale = a;
    const RunResults r = testing::run(std::move(m));
    REQUIRE(r.log.size() == 1);
    CHECK(r.log[0].at_s == 16);
    CHECK(r.log[0].what == "scale_in");
    CHECK(value_of(r.log[0], "to") == 1);
    CHECK(r.requests[0].errors == 0);
    CHECK(r.servers[1].completed == 1);  // its job finished
    const RecordedTable& t = table(r, "autoscale");
    CHECK(figure(t, "web", "servers").value == Approx((2.0 * 16 + 1.0 * 9) / 25));
    // Billed: 2 servers until 16 s, web-1 to the end, web-2 until its job is done.
    const double cost = figure(t, "web", "server_s").value;
    CHECK((cost == Approx(2.0 * 16 + 9 + 3) || cost == Approx(2.0 * 16 + 9 + 7)));
    CHECK(figure(t, "web", "billed").value == Approx(cost / 25));
}

TEST_CASE("autoscale: within the tolerance nothing changes", "[models][elastic][autoscale]") {
    // 10 servers at 65% with target 60%: 0.65 / 0.6 - 1 = 0.083 <= 0.1.
    SystemModel m = web(20, 10 * ms, ConstantArrivals{650}, 100);
    m.services[0].elastic.autoscale = hpa(0.6, 10, 20);
    const RunResults r = testing::run(std::move(m));
    CHECK(r.log.empty());
    CHECK(figure(table(r, "autoscale"), "web", "servers").value == 10);
}

TEST_CASE("outlier: a server failing every call is ejected after 5 errors, for 30 s x times ejected",
          "[models][elastic][outlier]") {
    // 4 servers, 100 requests/s round robin; web-1 dies at 1 s and its health check would
    // take 1000 s to notice. No network: each call to it fails at once.
    SystemModel m = web(4, 1 * ms, ConstantArrivals{100}, 120);
    m.services[0].health_check_s = 1000;
    m.events.push_back(FaultEvent{"web-1", 1.0025, FaultAction::fail, 0u, {}, std::nullopt, 1});
    OutlierModel o;
    o.max_ejection = 0.5;
    m.services[0].elastic.outlier = o;
    const RunResults r = testing::run(std::move(m));
    // Ejected after 5 errors at ~1.2 s for 30 s, again after 5 more at ~31.2 s for 60 s,
    // then at ~91.2 s for 90 s: 15 failed requests in all.
    CHECK(r.requests[0].errors == 15);
    const RecordedTable& per_server = table(r, "outlier_servers");
    CHECK(figure(per_server, "web/web-1", "ejections").count == 3);
    CHECK(figure(per_server, "web/web-2", "ejections").count == 0);
    CHECK(figure(table(r, "outlier"), "web", "ejections").count == 3);
    REQUIRE(r.log.size() == 3);
    CHECK(value_of(r.log[0], "seconds") == 30);
    CHECK(value_of(r.log[1], "seconds") == 60);
    CHECK(value_of(r.log[2], "seconds") == 90);
    CHECK(r.log[1].at_s - r.log[0].at_s == Approx(30.0 + 0.2).margin(0.05));
    // In the pool for 1.2 s at first and 0.2 s after each of the first two ejections.
    CHECK(figure(per_server, "web/web-1", "ejected").value == Approx(118.4 / 120).margin(0.002));
}

TEST_CASE("outlier: at most max_ejection of the pool is ejected at once", "[models][elastic][outlier]") {
    SystemModel m = web(4, 1 * ms, ConstantArrivals{100}, 20);
    m.services[0].health_check_s = 1000;
    m.events.push_back(FaultEvent{"web-1", 1.0025, FaultAction::fail, 0u, {}, std::nullopt, 1});
    m.events.push_back(FaultEvent{"web-2", 1.0025, FaultAction::fail, 1u, {}, std::nullopt, 1});
    OutlierModel o;
    o.max_ejection = 0.25;  // 1 of 4
    m.services[0].elastic.outlier = o;
    const RunResults r = testing::run(std::move(m));
    const RecordedFigure& ejected = figure(table(r, "outlier"), "web", "ejected");
    CHECK(ejected.max == 1);
    // web-2 (or web-1) keeps failing a quarter then a third of the calls: far more than 10 errors.
    CHECK(r.requests[0].errors > 400);
}

TEST_CASE("outlier: a success rate below the threshold ejects at the sweep", "[models][elastic][outlier]") {
    SystemModel m = web(4, 1 * ms, ConstantArrivals{100}, 15);
    m.services[0].health_check_s = 1000;
    m.events.push_back(FaultEvent{"web-1", 1.0025, FaultAction::fail, 0u, {}, std::nullopt, 1});
    OutlierModel o;
    o.consecutive_errors = 0;
    o.success_rate = 0.9;
    o.max_ejection = 0.5;
    o.interval_s = 10.005;  // clear of the arrivals, every 10 ms
    m.services[0].elastic.outlier = o;
    const RunResults r = testing::run(std::move(m));
    // The first sweep sees web-1 at 25 ok of 250 answers: ejected then, not before, after
    // the quarter of the 900 requests of [1.0025, 10.005) s it was sent failed.
    REQUIRE(r.log.size() == 1);
    CHECK(r.log[0].at_s == Approx(10.005));
    CHECK(r.requests[0].errors == 225);
}

TEST_CASE("shedding: no call served waited longer than the queue deadline", "[models][elastic][shedding]") {
    // One core, 10 ms work, 200 requests/s for 2 s: twice what it can serve.
    const bool threads = GENERATE(false, true);
    INFO((threads ? "waiting for a thread" : "waiting for a core"));
    auto model = [&](bool shed) {
        SystemModel m = web(1, 10 * ms, ConstantArrivals{200}, 2);
        if (threads) m.hosts[0].threads = 1;
        if (shed) m.services[0].elastic.queue_deadline_s = 50 * ms;
        return m;
    };
    const RunResults r = testing::run(model(true));
    // Served: waited at most 50 ms, then 10 ms of work.
    CHECK(r.requests[0].latency.max() <= 60 * ms + 1e-9);
    // The core never idles while calls wait, so it serves ~100/s and sheds the rest.
    const RecordedTable& t = table(r, "shedding");
    const std::uint64_t shed = figure(t, "web", "shed").count;
    CHECK(shed == r.requests[0].rejected);
    CHECK(shed == r.requests[0].errors);
    CHECK(r.requests[0].latency.count() >= 195);
    CHECK(shed + r.requests[0].latency.count() >= 385);
    // Without the deadline the queue grows to a second of waiting.
    const RunResults unshed = testing::run(model(false));
    CHECK(unshed.requests[0].latency.max() > 0.5);
    CHECK(unshed.requests[0].errors == 0);
}

TEST_CASE("concurrency limit: a caller's calls beyond the limit fail at once", "[models][elastic][limit]") {
    // a calls b (one core, 10 ms) 200 times a second; a may have 2 calls in flight to b.
    SystemModel m = testing::a_calls_b(CallModel{}, make_constant(10 * ms), ConstantArrivals{200}, 2, 1, 1);
    m.services[1].elastic.concurrency_limit = 2;
    const RunResults r = testing::run(std::move(m));
    // b never holds more than 2: one running, one waiting.
    CHECK(r.servers[1].max_queue <= 1);
    CHECK(r.requests[0].latency.max() <= 20 * ms + 1e-9);
    const std::uint64_t over = figure(table(r, "shedding"), "b", "over_limit").count;
    CHECK(over == r.requests[0].errors);
    CHECK(over == r.requests[0].rejected);
    // b serves 100/s: about half the calls are turned away.
    CHECK(r.requests[0].latency.count() >= 195);
    CHECK(over >= 195);
}

TEST_CASE("concurrency limit: a workload is one caller of its entry service", "[models][elastic][limit]") {
    // 200 requests/s straight to one core of 10 ms; the workload may have 3 in flight.
    SystemModel m = web(1, 10 * ms, ConstantArrivals{200}, 2);
    m.services[0].elastic.concurrency_limit = 3;
    const RunResults r = testing::run(std::move(m));
    CHECK(r.servers[0].max_queue <= 2);  // one running, two waiting
    CHECK(r.requests[0].latency.max() <= 30 * ms + 1e-9);
    const std::uint64_t over = figure(table(r, "shedding"), "web", "over_limit").count;
    CHECK(over == r.requests[0].rejected);
    CHECK(over == r.requests[0].errors);
    CHECK(over >= 195);
    CHECK(r.requests[0].latency.count() >= 195);
}

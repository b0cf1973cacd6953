// compare and sweep carry every table; statistics are no more precise than the histogram.
#include <algorithm>
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "scenario/experiment.hpp"
#include "scenario/loader.hpp"
#include "sim/stats/log_histogram.hpp"

namespace {

using namespace s2sim::scenario;

/// One server doing `work` per request, 10 requests a second evenly spaced: no queueing,
/// so every request takes exactly `work`.
std::string constant_work(const std::string& work, const std::string& workload = "w") {
    return R"toml(
[scenario]
duration = "20s"
[[server]]
name = "s"
[service.svc]
servers = ["s"]
[service.svc.op.get]
work = ")toml" + work + R"toml("
[[workload]]
name = ")toml" + workload + R"toml("
to = "svc"
arrival = "constant(10/s)"
)toml";
}

const CompareRow& row_of(const CompareResults& c, const std::string& kind, const std::string& name,
                         const std::string& figure) {
    const auto it = std::find_if(c.rows.begin(), c.rows.end(), [&](const CompareRow& r) {
        return r.kind == kind && r.name == name && r.figure == figure;
    });
    REQUIRE(it != c.rows.end());
    return *it;
}

ExperimentOptions five() {
    ExperimentOptions o;
    o.replications = 5;
    o.jobs = 1;
    return o;
}

}  // namespace

TEST_CASE("experiment: a percentile's ci95 is never narrower than the histogram's resolution",
          "[scenario][experiment][stats]") {
    // Every replication measures the same constant latency: the replications agree
    // exactly, but the histogram knows the p50 only to its bucket.
    const ExperimentResults e = run_experiment(parse(constant_work("const(1ms)"), "const.toml"), five());
    REQUIRE(e.requests.size() == 1);
    const ClassFigures& c = e.requests.front();
    CHECK(c.mean.value == Approx(1e-3).epsilon(1e-9));
    CHECK(c.mean.ci95 == Approx(0).margin(1e-15));  // the mean is exact
    for (const Figure* f : {&c.p50, &c.p99}) {
        CHECK(f->ci95 >= f->value * s2sim::stats::LogHistogram::max_relative_error);
        CHECK(std::abs(f->value - 1e-3) <= f->ci95 + 1e-15);  // the interval holds the truth
    }
}

TEST_CASE("compare: a difference within the histogram's resolution is not significant",
          "[scenario][compare][stats]") {
    // 1 ms against 1.0002 ms: 0.02% apart, finer than the histogram resolves.
    std::vector<Design> designs{{"a", parse(constant_work("const(1ms)"), "a.toml")},
                                {"b", parse(constant_work("const(1.0002ms)"), "b.toml")}};
    const CompareResults c = compare(designs, five());
    // The mean is exact: the tiny difference is real and the paired test sees it.
    CHECK(row_of(c, "request", "w/get", "mean").differences[1].significant);
    for (const char* figure : {"p50", "p99"}) {
        INFO(figure);
        CHECK_FALSE(row_of(c, "request", "w/get", figure).differences[1].significant);
    }
}

TEST_CASE("compare: designs with differently named workloads compare by op", "[scenario][compare]") {
    std::vector<Design> designs{{"one", parse(constant_work("const(1ms)", "shoppers"), "one.toml")},
                                {"two", parse(constant_work("const(2ms)", "shoppers-a"), "two.toml")}};
    const CompareResults c = compare(designs, five());
    // By workload there is nothing to pair ...
    CHECK_FALSE(std::isfinite(row_of(c, "request", "shoppers/get", "mean").differences[1].value));
    // ... by op there is.
    const CompareRow& op = row_of(c, "op", "svc.get", "mean");
    CHECK(op.values[0].value == Approx(1e-3));
    CHECK(op.values[1].value == Approx(2e-3));
    CHECK(op.differences[1].value == Approx(1e-3));
    CHECK(op.differences[1].significant);
    CHECK_THAT(format_table(c, {"ops"}), Catch::Matchers::Contains("svc.get"));
    CHECK_THAT(format_table(c, {"ops"}), !Catch::Matchers::Contains("shoppers/get"));
    CHECK_THROWS_WITH(format_table(c, {"nope"}), Catch::Matchers::Contains("unknown table 'nope'"));
}

TEST_CASE("sweep: parameter values keep their TOML type; every table is reported", "[scenario][sweep]") {
    const std::vector<SweepParam> params{parse_sweep_param("server.s.cores=1,2"),
                                         parse_sweep_param("service.svc.balancer=random")};
    ExperimentOptions o;
    o.replications = 1;
    o.jobs = 1;
    const SweepResults s = sweep_text(constant_work("const(1ms)"), "sweep.toml", params, o);
    const nlohmann::json j = to_json(s);
    REQUIRE(j["points"].size() == 2);
    CHECK(j["points"][0]["values"]["server.s.cores"] == 1);
    CHECK(j["points"][0]["values"]["server.s.cores"].is_number_integer());
    CHECK(j["points"][1]["values"]["server.s.cores"] == 2);
    CHECK(j["points"][0]["values"]["service.svc.balancer"] == "random");
    const std::string all = format_table(s, {});
    for (const char* header : {"request", "op", "server", "link"}) CHECK_THAT(all, Catch::Matchers::Contains(header));
    CHECK_THAT(all, Catch::Matchers::Contains("svc.get"));
}

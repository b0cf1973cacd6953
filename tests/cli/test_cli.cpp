// The s2sim command line, run as a user runs it: scenarios from scenarios/,
// results read back from the JSON it writes.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/cli/cli_support.hpp"
#include <nlohmann/json.hpp>

#include "sim/stats/confidence.hpp"
#include "sim/stats/welford.hpp"

namespace {
namespace fs = std::filesystem;


using s2sim::testing::run_s2sim;
using Output = s2sim::testing::CliOutput;
std::string scenario(const std::string& name) { return s2sim::testing::scenario_path(name); }
fs::path temp_dir() { return s2sim::testing::scratch_dir("cli-test"); }

nlohmann::json run_json(const std::string& file, const std::string& extra = "") {
    const fs::path json = temp_dir() / "out.json";
    const Output out = run_s2sim("run " + scenario(file) + " --quiet --json " + json.string() + " " + extra);
    INFO(out.text);
    REQUIRE(out.exit_code == 0);
    std::ifstream in(json);
    return nlohmann::json::parse(in);
}

/// Mean response of `request` over independent seeds, with its 99.9% Student-t half-width.
std::pair<double, double> mean_over_seeds(const std::string& file, const std::string& request, int seeds,
                                          const std::string& extra = "") {
    std::vector<double> means;
    for (int seed = 1; seed <= seeds; ++seed) {
        const auto j = run_json(file, "--seed " + std::to_string(seed) + " " + extra);
        means.push_back(j["requests"][request]["latency_s"]["mean"].get<double>());
    }
    s2sim::stats::Welford w;
    for (const double m : means) w.add(m);
    return {w.mean(), s2sim::stats::ci_half_width(means, 0.999)};
}
}  // namespace

TEST_CASE("cli: M/M/1 scenario matches W = 5", "[cli][theory]") {
    const auto [mean, half] = mean_over_seeds("mm1.toml", "jobs/serve", 6);
    INFO(mean << " +- " << half);
    CHECK(std::abs(mean - 5.0) <= half);
    CHECK(half < 0.25);
}

TEST_CASE("cli: M/M/c scenario matches Erlang C, W = 1.74554", "[cli][theory]") {
    const auto [mean, half] = mean_over_seeds("mmc.toml", "jobs/serve", 6);
    INFO(mean << " +- " << half);
    CHECK(std::abs(mean - 1.74554) <= half);
    CHECK(half < 0.1);
}

TEST_CASE("cli: Jackson tandem scenario matches W = 7", "[cli][theory]") {
    const auto [mean, half] = mean_over_seeds("jackson_tandem.toml", "jobs/step", 6);
    INFO(mean << " +- " << half);
    CHECK(std::abs(mean - 7.0) <= half);
    CHECK(half < 0.35);
}

TEST_CASE("cli: power-of-two scenario, and --set switches its balancer", "[cli][theory]") {
    const auto [p2c, p2c_half] = mean_over_seeds("power_of_two.toml", "jobs/serve", 4);
    INFO("power_of_two " << p2c << " +- " << p2c_half);
    CHECK(std::abs(p2c - 2.645) <= p2c_half);
    // Random placement makes every server an M/M/1 at 0.9: W = 10 (a short run
    // underestimates it, but it cannot come near 2.6).
    const auto j = run_json("power_of_two.toml", "--set service.pool.balancer=random --duration 500s");
    CHECK(j["requests"]["jobs/serve"]["latency_s"]["mean"].get<double>() > 6.0);
}

TEST_CASE("cli: the same seed gives the same results, bit for bit", "[cli]") {
    auto a = run_json("ecommerce.toml", "--duration 5s");
    auto b = run_json("ecommerce.toml", "--duration 5s");
    auto c = run_json("ecommerce.toml", "--duration 5s --seed 2");
    for (auto* j : {&a, &b, &c}) j->erase("wall_s");
    CHECK(a.dump() == b.dump());
    CHECK(a.dump() != c.dump());
}

TEST_CASE("cli: results follow the contract of docs/results.md", "[cli]") {
    const auto j = run_json("ecommerce.toml", "--duration 5s");
    for (const char* key : {"s2sim", "scenario", "seed", "replications", "simulated_s", "wall_s", "events",
                            "requests", "ops", "servers", "links"}) {
        CHECK(j.contains(key));
    }
    const auto& home = j["requests"]["shoppers/home"];
    for (const char* key : {"count", "throughput_per_s", "errors", "timeouts", "rejected", "latency_s"}) {
        CHECK(home.contains(key));
    }
    const auto& latency = home["latency_s"];
    CHECK(latency["p50"].get<double>() <= latency["p90"].get<double>());
    CHECK(latency["p90"].get<double>() <= latency["p99"].get<double>());
    CHECK(latency["p99"].get<double>() <= latency["max"].get<double>());
    // Shoppers come from the internet, 15 ms away: a round trip is at least 30 ms.
    CHECK(latency["mean"].get<double>() > 0.030);
    CHECK(j["servers"]["web-1"]["utilization"].get<double>() > 0.0);
    CHECK(j["links"]["core-1->internet"]["bytes"].get<double>() > 0.0);
    CHECK(j["ops"]["cache.get"]["count"].get<double>() > 0.0);
}

TEST_CASE("cli: --csv writes one file per table", "[cli]") {
    const fs::path dir = temp_dir() / "csv";
    const Output out = run_s2sim("run " + scenario("mm1.toml") + " --quiet --duration 1000s --csv " + dir.string());
    REQUIRE(out.exit_code == 0);
    for (const char* name : {"requests.csv", "ops.csv", "servers.csv", "links.csv"}) {
        CHECK(fs::exists(dir / name));
    }
    std::ifstream in(dir / "requests.csv");
    std::string header, row;
    std::getline(in, header);
    std::getline(in, row);
    CHECK(header.rfind("request,count,throughput_per_s", 0) == 0);
    CHECK(row.rfind("jobs/serve,", 0) == 0);
}

TEST_CASE("cli: check and graph work on every bundled scenario", "[cli]") {
    for (const auto& entry : fs::directory_iterator(std::string(S2SIM_SOURCE_DIR) + "/scenarios")) {
        if (entry.path().extension() != ".toml") continue;
        INFO(entry.path());
        const Output check = run_s2sim("check " + entry.path().string());
        INFO(check.text);
        CHECK(check.exit_code == 0);
        CHECK(check.text.find(": ok") != std::string::npos);
        const Output graph = run_s2sim("graph " + entry.path().string());
        INFO(graph.text);
        CHECK(graph.exit_code == 0);
        CHECK(graph.text.rfind("graph", 0) == 0);
    }
    const Output graph = run_s2sim("graph " + scenario("ecommerce.toml"));
    CHECK(graph.exit_code == 0);
    CHECK(graph.text.find("graph") != std::string::npos);
    CHECK(graph.text.find("\"web-1\"") != std::string::npos);
}

TEST_CASE("cli: a bad scenario is an error at its line and column, exit code 2", "[cli][errors]") {
    const fs::path file = temp_dir() / "bad.toml";
    std::ofstream(file) << "[scenario]\nduration = \"10s\"\n\n[[server]]\nname = \"a\"\ncores = \"four\"\n";
    const Output out = run_s2sim("run " + file.string());
    INFO(out.text);
    CHECK(out.exit_code == 2);
    CHECK(out.text.find(file.string() + ":6:9: error:") != std::string::npos);
    const fs::path json = temp_dir() / "never.json";
    const Output again = run_s2sim("run " + file.string() + " --json " + json.string());
    CHECK(again.exit_code == 2);
    CHECK_FALSE(fs::exists(json));
}

TEST_CASE("cli: percentiles resting on few samples are marked", "[cli]") {
    // 200 s of M/M/1 at 0.8/s: about 160 requests, so the median is sound (80 above
    // it) but p99 and p999 rest on one or two samples.
    const auto few = run_json("mm1.toml", "--duration 200s --warmup 0s");
    const auto& latency = few["requests"]["jobs/serve"]["latency_s"];
    REQUIRE(latency.contains("few_samples"));
    const auto& marked = latency["few_samples"];
    CHECK(std::find(marked.begin(), marked.end(), "p99") != marked.end());
    CHECK(std::find(marked.begin(), marked.end(), "p999") != marked.end());
    CHECK(std::find(marked.begin(), marked.end(), "p50") == marked.end());
    const Output table = run_s2sim("run " + scenario("mm1.toml") + " --duration 200s --warmup 0s");
    CHECK(table.text.find("~") != std::string::npos);
    CHECK(table.text.find("a rough figure") != std::string::npos);
    // A long run has enough samples for every percentile: no mark.
    const auto many = run_json("mm1.toml", "--duration 100000s");
    CHECK_FALSE(many["requests"]["jobs/serve"]["latency_s"].contains("few_samples"));
}

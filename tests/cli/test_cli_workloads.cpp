// The workload scenarios through the s2sim command: a flash sale's spike in the
// time series, a trace replay's counts, and a bad trace's error position.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/cli/cli_support.hpp"
#include <nlohmann/json.hpp>

namespace {
namespace fs = std::filesystem;


using s2sim::testing::run_s2sim;
using Output = s2sim::testing::CliOutput;
fs::path temp_dir() { return s2sim::testing::scratch_dir("cli-workloads"); }

std::string scenario(const std::string& name) { return std::string(S2SIM_SOURCE_DIR) + "/scenarios/" + name; }

nlohmann::json run_json(const std::string& file, const std::string& extra = "") {
    const fs::path json = temp_dir() / "out.json";
    const Output out = run_s2sim("run " + file + " --quiet --json " + json.string() + " " + extra);
    INFO(out.text);
    REQUIRE(out.exit_code == 0);
    std::ifstream in(json);
    return nlohmann::json::parse(in);
}

/// Mean of `series` over the windows starting in [from, to).
double mean_between(const nlohmann::json& ts, const nlohmann::json& series, double from, double to) {
    double sum = 0;
    int n = 0;
    for (std::size_t i = 0; i < ts["start_s"].size(); ++i) {
        const double start = ts["start_s"][i].get<double>();
        if (start < from || start >= to || series[i].is_null()) continue;
        sum += series[i].get<double>();
        ++n;
    }
    REQUIRE(n > 0);
    return sum / n;
}

}  // namespace

TEST_CASE("cli: flash_sale's spike shows in its time series", "[cli][workloads]") {
    const auto j = run_json(scenario("flash_sale.toml"));
    REQUIRE(j.contains("timeseries"));
    const auto& ts = j["timeseries"];
    CHECK(ts["window_s"].get<double>() == 1.0);
    CHECK(ts["start_s"].size() == 140);
    const auto& home = ts["requests"]["shoppers/home"];
    // The schedule: 150/s until 45 s, 1500/s from 55 s to 115 s, 150/s after 125 s;
    // home is 45% of it: ~68/s normal, ~675/s in the spike.
    const double normal = mean_between(ts, home["throughput_per_s"], 5, 45);
    const double spike = mean_between(ts, home["throughput_per_s"], 60, 115);
    const double after = mean_between(ts, home["throughput_per_s"], 130, 145);
    INFO("throughput normal " << normal << ", spike " << spike << ", after " << after);
    CHECK(normal == Approx(67.5).epsilon(0.1));
    CHECK(spike > 8 * normal);
    CHECK(after < 1.5 * normal);
    const double p99_normal = mean_between(ts, home["p99_s"], 5, 45);
    const double p99_spike = mean_between(ts, home["p99_s"], 80, 115);
    const double p99_after = mean_between(ts, home["p99_s"], 130, 145);
    INFO("p99 normal " << p99_normal << ", spike " << p99_spike << ", after " << p99_after);
    CHECK(p99_spike > 5 * p99_normal);   // the recommendations queue builds
    CHECK(p99_after < 2 * p99_normal);   // and drains
    const auto& recs = ts["servers"]["recs-1"];
    CHECK(mean_between(ts, recs["utilization"], 60, 115) > 0.95);
    CHECK(mean_between(ts, recs["mean_queue"], 80, 115) > 100 * (0.01 + mean_between(ts, recs["mean_queue"], 5, 45)));
    // Windows add up to the totals.
    std::uint64_t sum = 0;
    for (const auto& c : home["count"]) sum += c.get<std::uint64_t>();
    CHECK(sum == j["requests"]["shoppers/home"]["count"].get<std::uint64_t>());
}

TEST_CASE("cli: replay.toml replays every request of its trace", "[cli][workloads][trace]") {
    std::map<std::string, std::uint64_t> expected;
    std::ifstream trace(scenario("traces/shop_sessions.csv"));
    std::string line;
    std::getline(trace, line);
    while (std::getline(trace, line)) {
        const auto a = line.find(',');
        ++expected[line.substr(a + 1, line.find(',', a + 1) - a - 1)];
    }
    REQUIRE(expected.size() == 4);
    const auto j = run_json(scenario("replay.toml"));
    for (const auto& [op, count] : expected) {
        INFO(op);
        CHECK(j["requests"]["recorded/" + op]["count"].get<std::uint64_t>() == count);
    }
    CHECK(j["timeseries"]["window_s"].get<double>() == 2.0);
}

TEST_CASE("cli: diurnal.toml follows its daily curve", "[cli][workloads]") {
    const auto j = run_json(scenario("diurnal.toml"));
    const auto& ts = j["timeseries"];
    const auto& home = ts["requests"]["shoppers/home"]["throughput_per_s"];
    // Night (30-50 s: ~60/s) against the evening peak (190-210 s: ~630/s), 45% home.
    CHECK(mean_between(ts, home, 190, 210) > 5 * mean_between(ts, home, 30, 50));
}

TEST_CASE("cli: a bad trace fails the run at its line and column, exit code 2", "[cli][trace][errors]") {
    const fs::path dir = temp_dir() / "badtrace";
    fs::create_directories(dir / "traces");
    std::ofstream(dir / "traces" / "t.csv") << "time,op\n0.5,serve\n0.25,serve\n";
    std::ofstream(dir / "s.toml") << "[scenario]\nduration = \"10s\"\n\n[[server]]\nname = \"s\"\n\n"
                                     "[service.svc.op.serve]\nwork = \"exp(1ms)\"\n\n[service.svc]\nservers = [\"s\"]\n\n"
                                     "[[workload]]\nname = \"w\"\nto = \"svc\"\narrival = { trace = \"traces/t.csv\" }\n";
    const Output out = run_s2sim("run " + (dir / "s.toml").string() + " --quiet");
    INFO(out.text);
    CHECK(out.exit_code == 2);
    CHECK(out.text.find("t.csv:3:1: error: time 0.25 goes backwards") != std::string::npos);
    const Output check = run_s2sim("check " + (dir / "s.toml").string());
    CHECK(check.exit_code == 2);
}

TEST_CASE("cli: --csv writes the time series in long format", "[cli][workloads]") {
    const fs::path dir = temp_dir() / "csv";
    const Output out = run_s2sim("run " + scenario("replay.toml") + " --quiet --csv " + dir.string());
    REQUIRE(out.exit_code == 0);
    std::ifstream in(dir / "timeseries_requests.csv");
    std::string header, row;
    std::getline(in, header);
    std::getline(in, row);
    CHECK(header == "request,start_s,length_s,count,throughput_per_s,errors,p50_s,p99_s,timeouts,retries");
    CHECK(row.rfind("recorded/home,0,2,", 0) == 0);
    std::ifstream servers(dir / "timeseries_servers.csv");
    std::getline(servers, header);
    CHECK(header == "server,start_s,length_s,utilization,mean_queue");
}

TEST_CASE("cli: the time series CSV's timeouts and retries add up to the run's totals", "[cli][workloads]") {
    // failover.toml retries checkout calls while a payments server is down.
    const fs::path dir = temp_dir() / "csv-resilience";
    const fs::path json_path = dir / "out.json";
    const Output out = run_s2sim("run " + scenario("failover.toml") + " --quiet --json " + json_path.string() +
                                 " --csv " + dir.string());
    REQUIRE(out.exit_code == 0);
    const nlohmann::json json = s2sim::testing::read_json(json_path);
    std::ifstream in(dir / "timeseries_requests.csv");
    std::string line;
    std::getline(in, line);  // header
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> sums;  // request -> (timeouts, retries)
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::stringstream row(line);
        for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
        REQUIRE(cells.size() == 10);
        sums[cells[0]].first += std::stoull(cells[8]);
        sums[cells[0]].second += std::stoull(cells[9]);
    }
    std::uint64_t retries = 0;
    for (const auto& [name, totals] : json["requests"].items()) {
        INFO(name);
        CHECK(sums[name].first == totals["timeouts"].get<std::uint64_t>());
        CHECK(sums[name].second == totals["retries"].get<std::uint64_t>());
        retries += sums[name].second;
    }
    CHECK(retries > 0);  // the scenario does retry, so the columns are not just zeros
}

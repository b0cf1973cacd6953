// Replication, failures, timeouts and retries through the s2sim command, on the
// bundled scenarios multi_region.toml and failover.toml.
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "tests/cli/cli_support.hpp"
#include <nlohmann/json.hpp>

namespace {
namespace fs = std::filesystem;

using s2sim::testing::run_s2sim;
using Output = s2sim::testing::CliOutput;
fs::path dir() { return s2sim::testing::scratch_dir("cli-sync"); }
std::string scenario(const std::string& name) { return s2sim::testing::scenario_path(name); }

nlohmann::json run_json(const std::string& file, const std::string& extra = "") {
    const fs::path json = dir() / "out.json";
    const Output out = run_s2sim("run " + file + " --quiet --json " + json.string() + " " + extra);
    INFO(out.text);
    REQUIRE(out.exit_code == 0);
    std::ifstream in(json);
    return nlohmann::json::parse(in);
}

double mean_of(const nlohmann::json& j, const std::string& request) {
    return j["requests"][request]["latency_s"]["mean"].get<double>();
}

}  // namespace

TEST_CASE("cli: multi_region shows the latency/staleness trade-off of sync, quorum and async", "[cli][sync]") {
    const std::string file = scenario("multi_region.toml");
    const std::string set = "--set service.db.op.write.replicate.mode=";
    const auto sync = run_json(file, "--duration 10s");
    const auto quorum = run_json(file, "--duration 10s " + set + "quorum");
    const auto async = run_json(file, "--duration 10s " + set + "async");
    // Sync waits for region B (a 12 ms round trip over 1,200 km of fibre); quorum for
    // the two local replicas only; async for none.
    const double s = mean_of(sync, "region-a/order");
    const double q = mean_of(quorum, "region-a/order");
    const double a = mean_of(async, "region-a/order");
    CHECK(s - q > 0.010);
    CHECK(q - a > 0.0005);
    CHECK(q - a < 0.003);
    // Pages never write: the mode barely changes them (same random numbers; their reads
    // only queue a little differently behind the replicas' applies).
    CHECK(mean_of(sync, "region-a/page") == Approx(mean_of(async, "region-a/page")).epsilon(0.01));
    // The remote replica lags by at least the 6 ms of one-way propagation.
    for (const auto* j : {&sync, &quorum, &async}) {
        const auto& remote = (*j)["replication"]["db.write->db-replica-b"];
        CHECK(remote["count"].get<int>() > 0);
        CHECK(remote["lag_s"]["mean"].get<double>() > 0.006);
        CHECK(remote["lag_s"]["mean"].get<double>() < 0.009);
        CHECK((*j)["replication"]["db.write->db-replica-a-1"]["lag_s"]["mean"].get<double>() < 0.003);
    }
}

TEST_CASE("cli: failover shows the outage and the recovery in the time series", "[cli][sync]") {
    const auto j = run_json(scenario("failover.toml"));
    const auto& ts = j["timeseries"];
    const auto& checkout = ts["requests"]["shoppers/checkout"];
    const auto& home = ts["requests"]["shoppers/home"];
    std::uint64_t before = 0, during = 0, during_count = 0, after = 0, retries_at_failure = 0;
    for (std::size_t i = 0; i < ts["start_s"].size(); ++i) {
        const double t = ts["start_s"][i].get<double>();
        const auto errors = checkout["errors"][i].get<std::uint64_t>();
        if (t < 60) before += errors;
        // From the health check (62 s) until the primary is back in the pool (92 s),
        // every checkout fails.
        if (t >= 62 && t < 90) {
            during += errors;
            during_count += checkout["count"][i].get<std::uint64_t>();
        }
        if (t >= 93) after += errors;
        if (t >= 60 && t < 62) retries_at_failure += checkout["retries"][i].get<std::uint64_t>();
        CHECK(home["errors"][i].get<int>() == 0);
    }
    CHECK(before == 0);
    CHECK(during_count > 0);
    CHECK(during == during_count);
    CHECK(after == 0);
    CHECK(retries_at_failure > 0);
    CHECK(j["requests"]["shoppers/checkout"]["retries"].get<int>() > 0);
    CHECK(j["ops"]["dbw.write"]["retries"].get<int>() > 0);
    CHECK(j["replication"]["dbw.write->db-replica-1"]["count"].get<int>() > 0);
    CHECK(ts["replication"]["dbw.write->db-replica-1"]["backlog"].size() == ts["start_s"].size());
}

TEST_CASE("cli: timing out an async call is refused with its position", "[cli][sync]") {
    const fs::path file = dir() / "bad.toml";
    {
        std::ofstream out(file);
        out << "[scenario]\nduration = \"1s\"\n"
               "[[server]]\nname = \"a\"\n"
               "[service.s]\nservers = [\"a\"]\nop.x = { work = \"exp(1ms)\", async = [{ op = \"t.y\", timeout = \"1s\" }] }\n"
               "[service.t]\nservers = [\"a\"]\nop.y = { work = \"exp(1ms)\" }\n"
               "[[workload]]\nname = \"w\"\nto = \"s\"\narrival = \"poisson(1/s)\"\n";
    }
    const Output async = run_s2sim("check " + file.string());
    CHECK(async.exit_code == 2);
    CHECK(async.text.find(":7:38: error: async call 't.y' cannot have timeout") != std::string::npos);
}

// What `s2sim check` says, the errors of overrides, and help texts that must match what runs write.
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "tests/cli/cli_support.hpp"

namespace {
namespace fs = std::filesystem;
using s2sim::testing::run_s2sim;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

// Two web servers calling one database through a switch, 1 ms per link.
const char* const kLinked = R"toml([scenario]
duration = "10s"

[[server]]
name = "web"
count = 2

[[server]]
name = "db"

[[switch]]
name = "sw"

[[link]]
between = ["web", "sw"]
bandwidth = "1Gbps"
latency = "1ms"

[[link]]
between = ["db", "sw"]
bandwidth = "1Gbps"
latency = "1ms"

[service.front]
servers = ["web"]
op.home = { work = "exp(1ms)", calls = ["store.get"] }

[service.store]
servers = ["db"]
op.get = { work = "exp(1ms)" }

[[workload]]
name = "w"
to = "front"
arrival = "poisson(10/s)"
)toml";

}  // namespace

TEST_CASE("cli: check names the network model and counts the routes", "[cli]") {
    const auto bare = run_s2sim("check " + s2sim::testing::scenario_path("mm1.toml"));
    INFO(bare.text);
    CHECK(bare.exit_code == 0);
    CHECK_THAT(bare.text, Contains("network: none (no [[link]]): messages arrive at once"));
    CHECK_THAT(bare.text, !Contains("routes:"));

    const fs::path file = s2sim::testing::scratch_dir("cli-check") / "linked.toml";
    std::ofstream(file) << kLinked;
    const auto linked = run_s2sim("check " + file.string());
    INFO(linked.text);
    CHECK(linked.exit_code == 0);
    CHECK_THAT(linked.text, Contains("network: 3 links; messages are flows sharing link bandwidth max-min fairly"));
    // web-1 -> db, db -> web-1, web-2 -> db, db -> web-2: two hops of 1 ms each.
    CHECK_THAT(linked.text, Contains("routes: 4 in use") && Contains("longest: 2 hops, 2.000 ms"));
    // Another op calling the same servers adds no route.
    const auto more = run_s2sim("check " + file.string() + " --set 'service.store.op.put={ work = \"exp(1ms)\" }'" +
                                " --set 'service.front.op.cart={ work = \"exp(1ms)\", calls = [\"store.put\"] }'" +
                                " --set 'workload.w.mix={ home = 1, cart = 1 }'");
    INFO(more.text);
    CHECK_THAT(more.text, Contains("routes: 4 in use"));
}

TEST_CASE("cli: an override's error points into the override, exit code 2", "[cli][errors]") {
    const auto out = run_s2sim("check " + s2sim::testing::scenario_path("ecommerce.toml") + " --set event.0.at=60s");
    INFO(out.text);
    CHECK(out.exit_code == 2);
    CHECK_THAT(out.text, StartsWith("--set event.0.at=60s:1:7: error: there is no entry 0 of 'event'"));
    const auto added = run_s2sim("check " + s2sim::testing::scenario_path("ecommerce.toml") +
                                 " --set 'event+={ at = \"60s\", action = \"fail\", target = \"web-1\" }'");
    INFO(added.text);
    CHECK(added.exit_code == 0);
    CHECK_THAT(added.text, Contains("1 event,"));
}

TEST_CASE("cli: run --help names every file --csv writes", "[cli]") {
    const auto help = run_s2sim("run --help");
    REQUIRE(help.exit_code == 0);
    const fs::path dir = s2sim::testing::scratch_dir("cli-csv-help");
    // failover.toml replicates, so every kind of file is written; two replications add subfolders.
    for (const std::string extra : {"", " -r 2"}) {
        const fs::path out = dir / (extra.empty() ? "one" : "two");
        const auto run = run_s2sim("run " + s2sim::testing::scenario_path("failover.toml") +
                                   " --quiet --duration 2s --warmup 0s --csv " + out.string() + extra);
        INFO(run.text);
        REQUIRE(run.exit_code == 0);
        std::set<std::string> written;
        for (const auto& e : fs::recursive_directory_iterator(out)) {
            if (e.is_regular_file()) written.insert(e.path().filename().string());
            if (e.is_directory()) CHECK_THAT(help.text, Contains("replication-N/"));
        }
        CHECK(written.size() >= 4);
        for (const auto& name : written) {
            INFO(name);
            CHECK_THAT(help.text, Contains(name));
        }
    }
}

TEST_CASE("cli: sweep --param links keys with ';' and crosses separate params", "[cli]") {
    const fs::path json = s2sim::testing::scratch_dir("cli-sweep-linked") / "sweep.json";
    const auto out = run_s2sim("sweep " + s2sim::testing::scenario_path("mm1.toml") +
                               " --quiet --duration 200s --warmup 0s --json " + json.string() +
                               " --param 'workload.jobs.arrival=poisson(0.1/s),poisson(0.15/s); "
                               "service.queue.op.serve.work=exp(5s),exp(4s)' --param scenario.seed=1,2");
    INFO(out.text);
    REQUIRE(out.exit_code == 0);
    const auto j = s2sim::testing::read_json(json);
    REQUIRE(j["points"].size() == 4);
    CHECK(j["points"][1]["values"]["workload.jobs.arrival"] == "poisson(0.1/s)");
    CHECK(j["points"][1]["values"]["service.queue.op.serve.work"] == "exp(5s)");
    CHECK(j["points"][1]["values"]["scenario.seed"] == 2);  // values keep their TOML type
    CHECK(j["points"][2]["values"]["workload.jobs.arrival"] == "poisson(0.15/s)");
    CHECK(j["points"][2]["values"]["service.queue.op.serve.work"] == "exp(4s)");
    const auto bad = run_s2sim("sweep " + s2sim::testing::scenario_path("mm1.toml") + " --param 'a=1,2; b=1'");
    CHECK(bad.exit_code == 2);  // a usage error, found before anything runs
    CHECK_THAT(bad.text, Contains("linked keys move together, so they need as many values"));
}

// The experiment commands as a user runs them: run with replications, compare, sweep, analyze.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "tests/cli/cli_support.hpp"
#include <nlohmann/json.hpp>

namespace {
namespace fs = std::filesystem;
using s2sim::testing::read_json;


using Result = s2sim::testing::CliOutput;
using s2sim::testing::run_s2sim;
std::string file(const std::string& name) { return s2sim::testing::scenario_path(name); }

fs::path dir() { return s2sim::testing::scratch_dir("cli-exp"); }


std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("cli: run --replications gives ci95 and the same JSON whatever --jobs", "[cli]") {
    const fs::path a = dir() / "j1.json";
    const fs::path b = dir() / "j3.json";
    const std::string base = "run " + file("mm1.toml") + " --duration 2000s -r 4 --quiet";
    const Result one = run_s2sim(base + " -j 1 --json " + a.string() + " --csv " + (dir() / "csv").string());
    INFO(one.text);
    REQUIRE(one.exit_code == 0);
    REQUIRE(run_s2sim(base + " -j 3 --json " + b.string()).exit_code == 0);
    auto ja = read_json(a);
    auto jb = read_json(b);
    CHECK(ja["replications"] == 4);
    CHECK(ja["requests"]["jobs/serve"]["ci95"]["mean"].get<double>() > 0);
    for (auto* j : {&ja, &jb}) {
        j->erase("wall_s");
        j->erase("command");  // names the output files and -j
        for (auto& r : (*j)["runs"]) r.erase("wall_s");
    }
    CHECK(ja == jb);
    const std::string csv = read_text(dir() / "csv" / "requests.csv");
    CHECK(csv.find("mean_s,mean_s_ci95") != std::string::npos);
}

TEST_CASE("cli: run prints intervals for several replications", "[cli]") {
    const Result r = run_s2sim("run " + file("mm1.toml") + " --duration 1000s -r 3");
    INFO(r.text);
    REQUIRE(r.exit_code == 0);
    CHECK(r.text.find("3 replications") != std::string::npos);
    CHECK(r.text.find("±") != std::string::npos);
}

TEST_CASE("cli: run warns before simulating when a server is saturated", "[cli]") {
    const Result r = run_s2sim("run " + file("mm1.toml") + " --duration 50s --set 'workload.jobs.arrival=\"poisson(1.25/s)\"'");
    INFO(r.text);
    CHECK(r.text.find("warning: server 'server' is saturated: utilisation 1.25") != std::string::npos);
}

TEST_CASE("cli: compare with variants pairs the designs and says what is within noise", "[cli]") {
    const fs::path json = dir() / "compare.json";
    const Result r = run_s2sim("compare " + file("compare_lb.toml") +
                           " --duration 5s -r 3 --variant 'lc: service.search.balancer=least_connections' --json " +
                           json.string());
    INFO(r.text);
    REQUIRE(r.exit_code == 0);
    CHECK(r.text.find("within noise") != std::string::npos);
    CHECK(r.text.find("lc") != std::string::npos);
    const auto j = read_json(json);
    CHECK(j["designs"] == nlohmann::json{"compare_lb", "lc"});
    CHECK(j["replications"] == 3);
    CHECK(j["results"]["lc"]["replications"] == 3);
}

TEST_CASE("cli: compare needs two designs", "[cli][errors]") {
    const Result r = run_s2sim("compare " + file("mm1.toml"));
    CHECK(r.exit_code == 1);
    CHECK(r.text.find("compare needs at least two designs") != std::string::npos);
}

TEST_CASE("cli: sweep writes one row per point to the table, CSV and JSON", "[cli]") {
    const fs::path json = dir() / "sweep.json";
    const fs::path csv = dir() / "sweep";
    const Result r = run_s2sim("sweep " + file("mm1.toml") + " --duration 200s --param server.server.cores=1,2,3 --json " +
                           json.string() + " --csv " + csv.string());
    INFO(r.text);
    REQUIRE(r.exit_code == 0);
    CHECK(read_json(json)["points"].size() == 3);
    const std::string rows = read_text(csv / "sweep_requests.csv");
    CHECK(rows.rfind("server.server.cores,request,", 0) == 0);
    CHECK(rows.find("\n3,jobs/serve,") != std::string::npos);
}

TEST_CASE("cli: analyze solves the Jackson tandem", "[cli][theory]") {
    const fs::path json = dir() / "analyze.json";
    const Result r = run_s2sim("analyze " + file("jackson_tandem.toml") + " --json " + json.string());
    INFO(r.text);
    REQUIRE(r.exit_code == 0);
    CHECK(r.text.find("7000.000") != std::string::npos);
    CHECK(read_json(json)["requests"]["jobs/step"]["latency_s"]["mean"].get<double>() == Approx(7.0));
}

TEST_CASE("cli: compare and sweep show the tables asked for and write every table", "[cli]") {
    const fs::path csv = dir() / "compare-csv";
    const Result r = run_s2sim("compare " + file("compare_lb.toml") +
                               " --duration 5s -r 2 --variant 'lc: service.search.balancer=least_connections'"
                               " --show ops --csv " + csv.string());
    INFO(r.text);
    REQUIRE(r.exit_code == 0);
    CHECK(r.text.find("ops:") != std::string::npos);
    CHECK(r.text.find("search.query") != std::string::npos);
    CHECK(r.text.find("shoppers/search") == std::string::npos);  // requests not asked for
    const std::string rows = read_text(csv / "compare.csv");
    CHECK(rows.rfind("table,kind,name,figure,design,value,ci95,difference,difference_ci95,significant\n", 0) == 0);
    CHECK(rows.find("ops,op,search.query,mean,lc,") != std::string::npos);
    CHECK(rows.find("requests,request,shoppers/search,p99,compare_lb,") != std::string::npos);

    const fs::path sweep = dir() / "sweep-tables";
    const Result s = run_s2sim("sweep " + file("mm1.toml") + " --duration 50s --param server.server.cores=1,2"
                               " --show servers,ops --csv " + sweep.string());
    INFO(s.text);
    REQUIRE(s.exit_code == 0);
    CHECK(s.text.find("server.server.cores  server") != std::string::npos);
    CHECK(read_text(sweep / "sweep_ops.csv").rfind("server.server.cores,op,", 0) == 0);
    CHECK(fs::exists(sweep / "sweep_links.csv"));

    const Result bad = run_s2sim("sweep " + file("mm1.toml") + " --param server.server.cores=1 --show nope");
    CHECK(bad.exit_code != 0);
    CHECK(bad.text.find("unknown table 'nope' (expected: requests, ops, servers, links, replication)") !=
          std::string::npos);
}

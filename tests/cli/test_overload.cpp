// A saturated system (rho >= 1, unbounded queue) does not run the machine out of
// memory: the cap on calls in flight ends the run with a message naming the
// saturated server, and the partial results are still written.
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "tests/cli/cli_support.hpp"

TEST_CASE("cli: a saturated run stops at max_in_flight and names the server", "[cli][overload]") {
    namespace fs = std::filesystem;
    const fs::path dir = s2sim::testing::scratch_dir("overload");
    const fs::path file = dir / "saturated.toml";
    // Arrivals at 2/s, one core doing 1/s: the queue grows by about one a second.
    std::ofstream(file) << R"toml([scenario]
duration = "100000s"
max_in_flight = 2000

[[server]]
name = "slow"

[service.svc]
servers = ["slow"]

[service.svc.op.get]
work = "exp(1s)"

[[workload]]
name = "w"
to = "svc"
arrival = "poisson(2/s)"
)toml";
    const fs::path json = dir / "out.json";
    const auto out = s2sim::testing::run_s2sim("run " + file.string() + " --json " + json.string());
    INFO(out.text);
    CHECK(out.exit_code == 3);
    CHECK(out.text.find("saturated") != std::string::npos);  // the analytic warning, up front
    CHECK(out.text.find("'slow'") != std::string::npos);
    REQUIRE(fs::exists(json));
    const auto j = s2sim::testing::read_json(json);
    const std::string partial = j.value("partial", std::string());
    CHECK(partial.find("2000") != std::string::npos);
    CHECK(partial.find("'slow'") != std::string::npos);
    // It stopped long before the 100,000 s asked: about 2,000 s into the run.
    CHECK(j["simulated_s"].get<double>() < 10'000);
    CHECK(j["requests"]["w/get"]["count"].get<double>() > 0);
    fs::remove_all(dir);
}

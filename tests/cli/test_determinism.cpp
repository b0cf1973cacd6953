// Every bundled scenario, run twice with the same seed and once with another
// --jobs, gives the same JSON but for wall-clock fields: reruns are bit-identical.
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "tests/cli/cli_support.hpp"
#include <nlohmann/json.hpp>

namespace {
namespace fs = std::filesystem;

/// Removes the fields that measure the machine, not the model (and the command line, which
/// names the output file and --jobs).
void drop_wall_clock(nlohmann::json& j) {
    if (j.is_object()) {
        j.erase("wall_s");
        j.erase("command");
        for (auto& [key, value] : j.items()) drop_wall_clock(value);
    } else if (j.is_array()) {
        for (auto& value : j) drop_wall_clock(value);
    }
}

nlohmann::json run(const fs::path& scenario, const std::string& args, const fs::path& out) {
    const auto output = s2sim::testing::run_s2sim("run " + scenario.string() + " --quiet --json " + out.string() + " " + args);
    INFO(output.text);
    REQUIRE(output.exit_code == 0);
    nlohmann::json j = s2sim::testing::read_json(out);
    drop_wall_clock(j);
    return j;
}
}  // namespace

TEST_CASE("determinism: every bundled scenario reruns bit for bit, whatever --jobs", "[cli][determinism]") {
    const fs::path dir = fs::temp_directory_path() / ("s2sim-determinism-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    int scenarios = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(S2SIM_SOURCE_DIR) / "scenarios")) {
        if (entry.path().extension() != ".toml") continue;
        ++scenarios;
        INFO(entry.path().filename());
        // Short runs keep the test fast; two replications make --jobs matter.
        const std::string args = "--duration 3s --warmup 1s --replications 2";
        const auto first = run(entry.path(), args + " --jobs 1", dir / "a.json");
        const auto again = run(entry.path(), args + " --jobs 1", dir / "b.json");
        const auto parallel = run(entry.path(), args + " --jobs 2", dir / "c.json");
        CHECK(first.dump() == again.dump());
        CHECK(first.dump() == parallel.dump());
        CHECK(first.contains("requests"));
    }
    CHECK(scenarios >= 9);  // the loop really ran over the bundled files
    fs::remove_all(dir);
}

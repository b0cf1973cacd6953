// Every broken scenario (and trace, under traces/) in tests/bad_inputs/ is refused by `s2sim check` and
// `s2sim run` with exit code 2 and `file:line:col: error: ...` at the offending
// value (expected.tsv says where and what), and `run` leaves no output behind.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "tests/cli/cli_support.hpp"

namespace {
namespace fs = std::filesystem;
using s2sim::testing::run_s2sim;
using Output = s2sim::testing::CliOutput;


struct Expectation {
    std::string file;
    std::string position;  // "line:col"
    std::string fragment;
};

std::vector<Expectation> expectations(const fs::path& dir) {
    std::ifstream in(dir / "expected.tsv");
    std::vector<Expectation> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        Expectation e;
        std::getline(fields, e.file, '\t');
        std::getline(fields, e.position, '\t');
        std::getline(fields, e.fragment);
        out.push_back(e);
    }
    return out;
}
}  // namespace

TEST_CASE("bad inputs: each broken scenario is an error at its line and column", "[cli][errors]") {
    const fs::path dir = fs::path(S2SIM_SOURCE_DIR) / "tests" / "bad_inputs";
    const auto all = expectations(dir);
    REQUIRE(all.size() >= 40);
    // Every file in the folder has an expectation, so none is silently skipped.
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(dir)) files += entry.path().extension() == ".toml";
    CHECK(files == all.size());

    const fs::path out = fs::temp_directory_path() / ("s2sim-bad-inputs-" + std::to_string(::getpid()));
    fs::create_directories(out);
    for (const auto& e : all) {
        const std::string path = (dir / e.file).string();
        // "line:col" points into the scenario; "traces/x.csv:line:col" into another file.
        const bool other_file = std::count(e.position.begin(), e.position.end(), ':') == 2;
        const std::string expected_prefix =
            (other_file ? (dir / e.position).string() : path + ":" + e.position) + ": error: ";
        INFO(e.file);
        const Output check = run_s2sim("check " + path);
        INFO(check.text);
        CHECK(check.exit_code == 2);
        CHECK(check.text.rfind(expected_prefix, 0) == 0);
        CHECK(check.text.find(e.fragment) != std::string::npos);

        const fs::path json = out / "results.json";
        const fs::path csv = out / "csv";
        const Output run = run_s2sim("run " + path + " --json " + json.string() + " --csv " + csv.string());
        INFO(run.text);
        CHECK(run.exit_code == 2);
        CHECK(run.text.rfind(expected_prefix, 0) == 0);
        CHECK_FALSE(fs::exists(json));
        CHECK_FALSE(fs::exists(csv));
    }
    fs::remove_all(out);
}

// Ctrl-C stops a run cleanly: it ends within seconds, still writes the results
// gathered so far, marks them partial, and exits with code 3.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_support.hpp"

namespace {

namespace fs = std::filesystem;
using s2sim::testing::scenario_path;

fs::path scratch() { return s2sim::testing::scratch_dir("cli-interrupt"); }

struct Interrupted {
    int exit_code = -1;
    double stop_s = 0;  ///< wall seconds from SIGINT to exit
};

/// Runs s2sim with `args` (stderr to `stderr_path`), sends SIGINT after 1.5 s and
/// waits up to 20 s for it to exit.
Interrupted interrupt(const std::vector<std::string>& args, const fs::path& stderr_path) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::vector<char*> argv{const_cast<char*>(S2SIM_BINARY)};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        if (std::FILE* err = std::freopen(stderr_path.c_str(), "w", stderr); err == nullptr) _exit(126);
        execv(S2SIM_BINARY, argv.data());
        _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    REQUIRE(kill(child, SIGINT) == 0);
    int status = 0;
    const auto start = std::chrono::steady_clock::now();
    pid_t done = 0;
    while ((done = waitpid(child, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(20)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (done == 0) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        FAIL("s2sim did not stop within 20 s of SIGINT");
    }
    REQUIRE(WIFEXITED(status));
    return {WEXITSTATUS(status), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
}

std::string read_all(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("cli: SIGINT stops a long run and writes partial results", "[cli][interrupt]") {
    const fs::path json = scratch() / "single.json";
    fs::remove(json);
    // A run of days of simulated time: minutes of wall time if nothing stops it.
    const Interrupted r = interrupt(
        {"run", scenario_path("ecommerce.toml"), "--quiet", "--duration", "1000000s", "--json", json.string()},
        scratch() / "single.err");
    CHECK(r.stop_s < 5.0);
    CHECK(r.exit_code == 3);
    REQUIRE(fs::exists(json));
    const auto j = s2sim::testing::read_json(json);
    CHECK(j.value("partial", std::string()).find("interrupted") != std::string::npos);
    CHECK(j["simulated_s"].get<double>() > 0.0);
    CHECK(j["simulated_s"].get<double>() < 1000000.0);
    CHECK(j["requests"]["shoppers/home"]["count"].get<double>() > 0.0);
}

TEST_CASE("cli: SIGINT stops the replication running, not only those to come", "[cli][interrupt]") {
    const fs::path json = scratch() / "replications.json";
    const fs::path err = scratch() / "replications.err";
    fs::remove(json);
    // Each replication alone would take hours: none can finish, so there is nothing to write.
    const Interrupted r = interrupt({"run", scenario_path("ecommerce.toml"), "--quiet", "--duration", "1000000s", "-r",
                                     "3", "-j", "1", "--json", json.string()},
                                    err);
    CHECK(r.stop_s < 5.0);
    CHECK(r.exit_code == 3);
    CHECK(read_all(err).find("interrupted before any replication finished") != std::string::npos);
    CHECK_FALSE(fs::exists(json));
}

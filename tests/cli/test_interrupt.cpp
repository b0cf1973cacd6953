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

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

TEST_CASE("cli: SIGINT stops a long run and writes partial results", "[cli][interrupt]") {
    namespace fs = std::filesystem;
    const fs::path json = fs::temp_directory_path() / ("s2sim-interrupt-" + std::to_string(::getpid()) + ".json");
    fs::remove(json);
    const std::string scenario = std::string(S2SIM_SOURCE_DIR) + "/scenarios/ecommerce.toml";
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // A run of days of simulated time: minutes of wall time if nothing stops it.
        execl(S2SIM_BINARY, S2SIM_BINARY, "run", scenario.c_str(), "--quiet", "--duration", "1000000s", "--json",
              json.c_str(), static_cast<char*>(nullptr));
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
    const double stop_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(stop_s < 5.0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 3);
    REQUIRE(fs::exists(json));
    std::ifstream in(json);
    const auto j = nlohmann::json::parse(in);
    CHECK(j.value("partial", std::string()).find("interrupted") != std::string::npos);
    CHECK(j["simulated_s"].get<double>() > 0.0);
    CHECK(j["simulated_s"].get<double>() < 1000000.0);
    CHECK(j["requests"]["shoppers/home"]["count"].get<double>() > 0.0);
    fs::remove(json);
}

#pragma once
// What the command-line tests share: running the s2sim binary as a user would.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace s2sim::testing {

/// What one command printed (stdout and stderr together) and its exit code.
struct CliOutput {
    int exit_code;
    std::string text;
};

/// Runs `s2sim ARGS` through the shell and waits for it.
inline CliOutput run_s2sim(const std::string& args) {
    const std::string command = std::string(S2SIM_BINARY) + " " + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string text;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) text += buffer;
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

/// The path of a bundled scenario file.
inline std::string scenario_path(const std::string& name) {
    return std::string(S2SIM_SOURCE_DIR) + "/scenarios/" + name;
}

/// A scratch folder of this test process, `tag` telling test files apart.
inline std::filesystem::path scratch_dir(const std::string& tag) {
    const auto dir = std::filesystem::temp_directory_path() / ("s2sim-" + tag + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir;
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

}  // namespace s2sim::testing

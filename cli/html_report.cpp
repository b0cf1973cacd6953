#include "cli/html_report.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "scenario/arguments.hpp"
#include "sim/error.hpp"

extern char** environ;

namespace s2sim::cli {
namespace {

/// Runs `argv` (argv[0] looked up on the PATH), stdout and stderr shared with this
/// process unless `quiet`; returns its exit status, or -1 when it could not start.
int run_program(const std::vector<std::string>& args, bool quiet) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (quiet) {
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    }
    pid_t pid = 0;
    const int started = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (started != 0) return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Finds the package and matplotlib without importing them (an import of pandas and numpy
/// would cost a second before every run); a broken installation still fails, after the run,
/// with the renderer's own message.
bool can_render(const std::string& python) {
    return run_program({python, "-c",
                        "import importlib.util as u, sys; "
                        "sys.exit(0 if u.find_spec('s2sim') and u.find_spec('matplotlib') else 1)"},
                       true) == 0;
}

}  // namespace

std::string report_python() {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("S2SIM_PYTHON"); env != nullptr && *env != '\0') {
        candidates.emplace_back(env);
    } else {
        std::error_code ec;
        const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
        // build/s2sim in a checkout: its set-up made .venv next to build/
        if (!ec) candidates.push_back((self.parent_path().parent_path() / ".venv" / "bin" / "python").string());
        candidates.emplace_back("python3");
    }
    for (const auto& python : candidates) {
        if (python.find('/') != std::string::npos && !std::filesystem::exists(python)) continue;
        if (can_render(python)) return python;
    }
    throw scenario::UsageError(fmt::format(
        "the HTML report is drawn by the s2sim Python package, and {} has no s2sim package with matplotlib: run "
        "`bash scripts/setup.sh` in the checkout, or `pip install .`, or set S2SIM_PYTHON to a Python that has it",
        candidates.front()));
}

int render_html(const std::string& python, const std::string& json_path, const std::string& html_path) {
    const int status = run_program({python, "-m", "s2sim.report", json_path, "-o", html_path}, false);
    if (status == -1) throw Error(fmt::format("could not start {} to draw the HTML report", python));
    return status;
}

void render_html_text(const std::string& python, const std::string& json, const std::string& html_path) {
    std::string temp = (std::filesystem::temp_directory_path() / "s2sim-report-XXXXXX.json").string();
    const int fd = mkstemps(temp.data(), 5);
    if (fd < 0) throw Error("--html: cannot create a temporary file for the results JSON");
    ::close(fd);
    struct Remove {
        std::string path;
        ~Remove() { std::filesystem::remove(path); }
    } remove{temp};
    std::ofstream(temp, std::ios::binary) << json;
    const int status = render_html(python, temp, html_path);
    if (status != 0) throw Error(fmt::format("--html: the report renderer failed (exit code {})", status));
}

}  // namespace s2sim::cli

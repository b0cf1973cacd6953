// The progress bar of run, compare and sweep: its line (fraction, elapsed -> text), and
// that it shows on a terminal (a pseudo-terminal from util-linux `script`) but never
// with --quiet or when stderr is not a terminal.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli/progress.hpp"
#include "tests/cli/cli_support.hpp"

namespace {

using s2sim::cli::format_duration;
using s2sim::cli::format_progress_line;
using s2sim::testing::scenario_path;

/// Runs `s2sim ARGS` on a pseudo-terminal (stdout to /dev/null, stderr to the terminal
/// unless ARGS redirects it), sends it Ctrl-C once the terminal shows a time left (or after
/// `patience_s`, or at once when `wait_for_bar` is false, after 2.5 s), and returns what
/// the terminal showed. Waiting for the bar rather than a fixed time keeps the test right
/// on a slow or loaded machine and under sanitizers.
std::string on_terminal(const std::string& args, bool wait_for_bar = true, int patience_s = 60) {
    static int calls = 0;
    const std::string log =
        (s2sim::testing::scratch_dir("cli-progress") / ("typescript-" + std::to_string(++calls))).string();
    const std::string wait =
        wait_for_bar ? "i=0; while [ $i -lt " + std::to_string(patience_s * 10) + " ] && ! grep -q \"elapsed, abou[t]\" " +
                           log + "; do sleep 0.1; i=$((i+1)); done; sleep 0.2"
                     : std::string("sleep 2.5");
    const std::string inner = std::string(S2SIM_BINARY) + " " + args + " >/dev/null & pid=$!; " + wait +
                              "; kill -INT $pid; wait $pid; echo exit=$?";
    std::string quoted;  // for sh -c '...'
    for (const char c : inner) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    // -f: the typescript is flushed as the terminal is written, so the loop above sees the bar.
    // (The typescript's header holds the command itself: hence the pattern abou[t].)
    const std::string command = "script -qfec '" + quoted + "' " + log + " >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) != -1);
    std::ifstream in(log, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool have_script() { return std::system("script --version >/dev/null 2>&1") == 0; }

/// A single run of M/M/1 that takes about a minute: a hundred progress calls, each well
/// under a second apart.
const std::string long_mm1 = scenario_path("mm1.toml") + " --duration 100000000s";

}  // namespace

TEST_CASE("progress: durations read in seconds, minutes or hours", "[cli][progress]") {
    CHECK(format_duration(0) == "0 s");
    CHECK(format_duration(59.4) == "59 s");
    CHECK(format_duration(61) == "1 min 01 s");
    CHECK(format_duration(3725) == "1 h 02 min");
    CHECK(format_duration(-1) == "?");
}

TEST_CASE("progress: the line shows the fraction, the time elapsed and the time left", "[cli][progress]") {
    // A quarter done in 30 s: three quarters left at the same pace take 90 s.
    const std::string quarter = format_progress_line(0.25, 30);
    CHECK(quarter == "[######..................]  25%  30 s elapsed, about 1 min 30 s left");
    // Nothing done yet: no estimate. All done: nothing left to estimate.
    CHECK(format_progress_line(0, 5) == "[........................]   0%  5 s elapsed");
    CHECK(format_progress_line(1, 5) == "[########################] 100%  5 s elapsed");
    // Out of range: clamped.
    CHECK(format_progress_line(1.5, 5) == format_progress_line(1, 5));
    CHECK(format_progress_line(-0.5, 5) == format_progress_line(0, 5));
    CHECK(format_progress_line(std::nan(""), 5) == format_progress_line(0, 5));
    // The widest line fits 80 columns.
    CHECK(format_progress_line(0.5, 3599).size() <= 76);
    CHECK(format_progress_line(0.5, 99 * 3600.0 + 3599).size() <= 76);
}

TEST_CASE("progress: a bar with its ETA on a terminal for run, run -r, compare and sweep", "[cli][progress]") {
    if (!have_script()) {
        WARN("util-linux `script` is missing: the terminal is not tested");
        return;
    }
    const std::vector<std::string> commands{
        "run " + long_mm1,
        "run " + long_mm1 + " -r 2 -j 2",
        "compare " + long_mm1 + " --variant 'fast: service.queue.op.serve.work=\"exp(0.5s)\"' -r 1 -j 2",
        "sweep " + long_mm1 + " --param server.server.cores=1,2 -r 1 -j 2",
    };
    for (const auto& command : commands) {
        INFO(command);
        const std::string shown = on_terminal(command);
        INFO(shown);
        CHECK(shown.find("% ") != std::string::npos);
        CHECK(shown.find(" elapsed, about ") != std::string::npos);
        CHECK(shown.find("exit=3") != std::string::npos);  // interrupted, as asked
        // Cleared before the next message: spaces over the bar, back to the line start.
        CHECK(shown.find(std::string(40, ' ') + "\r") != std::string::npos);
        // The up-front note: about 8e7 requests per design, point or replication.
        CHECK(shown.find("s2sim: note: this ") != std::string::npos);
    }
}

TEST_CASE("progress: no bar with --quiet or when stderr is not a terminal", "[cli][progress]") {
    if (!have_script()) {
        WARN("util-linux `script` is missing: the terminal is not tested");
        return;
    }
    const std::string quiet = on_terminal("run " + long_mm1 + " --quiet", false);
    INFO(quiet);
    CHECK(quiet.find('%') == std::string::npos);
    CHECK(quiet.find("elapsed") == std::string::npos);
    CHECK(quiet.find("exit=3") != std::string::npos);

    const auto file = s2sim::testing::scratch_dir("cli-progress") / "stderr.txt";
    const std::string to_file = on_terminal("run " + long_mm1 + " -r 2 -j 2 2>" + file.string(), false);
    INFO(to_file);
    CHECK(to_file.find("elapsed") == std::string::npos);
    CHECK(to_file.find("exit=3") != std::string::npos);
    std::ifstream in(file);
    const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(written);
    CHECK(written.find("s2sim: interrupted") != std::string::npos);  // it ran, and said so
    CHECK(written.find('\r') == std::string::npos);
    CHECK(written.find("elapsed") == std::string::npos);
}

// Hostile command lines and output paths: every usage error exits 2 with s2sim's own
// message (CLI11's codes never leak), outputs are checked before the run, only regular
// files are ever replaced, no temporary is left behind, and what was computed is still
// printed when one output fails. Also the run-time guard against zero-time loops.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "tests/cli/cli_support.hpp"

namespace {
namespace fs = std::filesystem;
using s2sim::testing::CliOutput;
using s2sim::testing::run_s2sim;
using s2sim::testing::scenario_path;
using s2sim::testing::scratch_dir;

/// A small scenario that runs in a few milliseconds.
std::string small_scenario(const fs::path& dir) {
    const fs::path path = dir / "small.toml";
    std::ofstream(path) << "[scenario]\nduration = \"2s\"\n\n[[server]]\nname = \"web\"\ncount = 2\n\n"
                           "[service.front]\nservers = [\"web\"]\nop.home = { work = \"exp(1ms)\" }\n"
                           "op.search = { work = \"exp(2ms)\" }\n\n[[workload]]\nname = \"users\"\nto = \"front\"\n"
                           "arrival = \"poisson(100/s)\"\nmix = { home = 1, search = 1 }\n";
    return path.string();
}

/// Checks a usage error: exit 2, s2sim's prefix, `fragment` in the message, no CLI11 wording.
void expect_usage_error(const std::string& args, const std::string& fragment) {
    const CliOutput out = run_s2sim(args);
    INFO(args);
    INFO(out.text);
    CHECK(out.exit_code == 2);
    CHECK(out.text.find("error: ") != std::string::npos);
    CHECK(out.text.find(fragment) != std::string::npos);
    CHECK(out.text.find("1797") == std::string::npos);  // CLI11's "not in range 0.000000 to 1.797e308"
}

/// Files in `dir` whose name says they are temporaries of a write.
int temporaries_in(const fs::path& dir) {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        n += name.find(".partial") != std::string::npos || name.find(".s2sim-") != std::string::npos;
    }
    return n;
}

}  // namespace

TEST_CASE("cli robustness: bad command-line values exit 2 in s2sim's words", "[cli][errors]") {
    const fs::path dir = scratch_dir("cli-values");
    const std::string f = small_scenario(dir);
    expect_usage_error("run " + f + " --seed -1", "a seed must not be negative, got '-1'");
    expect_usage_error("run " + f + " --seed 18446744073709551616", "is too large (at most 18446744073709551615");
    expect_usage_error("run " + f + " --seed 12abc", "expected a seed");
    expect_usage_error("run " + f + " --duration ''", "expected a time such as 60s");
    expect_usage_error("run " + f + " --duration 5parsecs", "unknown unit 'parsecs'");
    expect_usage_error("run " + f + " --warmup ''", "expected a time such as 60s or auto");
    expect_usage_error("run " + f + " -r 0", "0 is out of range (expected an integer from 1 to 100000)");
    expect_usage_error("run " + f + " -r 100000000", "100000000 is out of range");
    expect_usage_error("run " + f + " -j -5", "-5 is out of range");
    expect_usage_error("run " + f + " --precision nan", "expected a number from 1e-06 to 1, got 'nan'");
    expect_usage_error("run " + f + " --precision 2", "2 is out of range");
    expect_usage_error("run " + f + " --max-replications 1", "1 is out of range");
    expect_usage_error("run " + (dir / "missing.toml").string(), "missing.toml' not found");
    expect_usage_error("run " + dir.string(), "is a folder, not a regular file");
    expect_usage_error("check /dev/zero", "'/dev/zero' is a character device, not a regular file");
    expect_usage_error("sweep " + f + " --param server.web.cores=", "has an empty value");
    expect_usage_error("sweep " + f + " --param nokey", "is not key=v1,v2");
    expect_usage_error("compare " + f + " --variant nocolon", "variant 'nocolon' has no name");
    expect_usage_error("run " + f + " --set server.web.count=18446744073709551616",
                       "integer 18446744073709551616 is out of range");
    expect_usage_error("run " + f + " --no-such-option", "--no-such-option");
    expect_usage_error("frobnicate", "subcommand");
    // Help and version are not errors.
    CHECK(run_s2sim("--help").exit_code == 0);
    CHECK(run_s2sim("run --help").exit_code == 0);
    CHECK(run_s2sim("--version").exit_code == 0);
    fs::remove_all(dir);
}

TEST_CASE("cli robustness: a FIFO as the scenario or as empirical data is refused, never read", "[cli][errors]") {
    const fs::path dir = scratch_dir("cli-fifo");
    const fs::path fifo = dir / "pipe.toml";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Reading a FIFO with no writer would block forever: the check must not open it.
    expect_usage_error("check " + fifo.string(), "is a FIFO (named pipe), not a regular file");
    const fs::path csv = dir / "pipe.csv";
    REQUIRE(::mkfifo(csv.c_str(), 0600) == 0);
    const fs::path scenario = dir / "empirical.toml";
    std::ofstream(scenario) << "[scenario]\nduration = \"1s\"\n[[server]]\nname = \"web\"\n[service.front]\n"
                               "servers = [\"web\"]\nop.home = { work = { empirical = \"pipe.csv\", unit = \"ms\" } }\n";
    const CliOutput out = run_s2sim("check " + scenario.string());
    INFO(out.text);
    CHECK(out.exit_code == 2);
    CHECK(out.text.find(scenario.string() + ":7:34: error: cannot read empirical data 'pipe.csv'") == 0);
    CHECK(out.text.find("is a FIFO (named pipe), not a regular file") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("cli robustness: output paths are checked before the run", "[cli][output]") {
    const fs::path dir = scratch_dir("cli-outputs");
    const std::string f = small_scenario(dir);
    SECTION("a device is never replaced") {
        expect_usage_error("run " + f + " --json /dev/null", "--json '/dev/null' is a character device");
        struct stat st {};
        REQUIRE(::stat("/dev/null", &st) == 0);
        CHECK(S_ISCHR(st.st_mode));
    }
    SECTION("a folder named as --json is left alone, with no temporary beside it") {
        const fs::path jdir = dir / "jdir";
        fs::create_directories(jdir);
        expect_usage_error("run " + f + " --json " + jdir.string(), "is a folder");
        CHECK(fs::is_directory(jdir));
        CHECK(temporaries_in(dir) == 0);
    }
    SECTION("a file named as --csv is refused") {
        const fs::path file = dir / "not-a-folder";
        std::ofstream(file) << "x";
        expect_usage_error("run " + f + " --csv " + file.string(), "is a regular file, not a folder");
    }
    SECTION("a folder under a regular file cannot be made") {
        const fs::path file = dir / "plain";
        std::ofstream(file) << "x";
        expect_usage_error("run " + f + " --json " + (file / "out.json").string(), "is a regular file, not a folder");
    }
    SECTION("an unwritable folder is found before the run, not after it") {
        // Root writes into any folder whatever its mode bits, but nobody creates files in /proc.
        const bool root = ::geteuid() == 0;
        const fs::path locked = root ? fs::path("/proc/self") : dir / "locked";
        if (!root) {
            fs::create_directories(locked);
            fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
        }
        const CliOutput out = run_s2sim("run " + f + " --json " + (locked / "r.json").string());
        if (!root) fs::permissions(locked, fs::perms::owner_all);
        INFO(out.text);
        CHECK(out.exit_code == 2);
        CHECK(out.text.find("cannot write into folder") != std::string::npos);
        CHECK(out.text.find("requests") == std::string::npos);  // no table: nothing ran
    }
    SECTION("a symbolic link is followed: its target is replaced, the link stays") {
        const fs::path target = dir / "real.json";
        std::ofstream(target) << "old";
        const fs::path link = dir / "link.json";
        fs::create_symlink(target, link);
        const CliOutput out = run_s2sim("run " + f + " --quiet --json " + link.string());
        INFO(out.text);
        CHECK(out.exit_code == 0);
        CHECK(fs::is_symlink(fs::symlink_status(link)));
        CHECK(s2sim::testing::read_json(target).contains("requests"));
        CHECK(temporaries_in(dir) == 0);
    }
    fs::remove_all(dir);
}

TEST_CASE("cli robustness: one output failing keeps the others and the table", "[cli][output]") {
    const fs::path dir = scratch_dir("cli-one-fails");
    const std::string f = small_scenario(dir);
    // Both paths pass the check (neither exists); the JSON is written first, and then the
    // CSV folder cannot be made where the JSON file now is.
    const fs::path same = dir / "out" / "results";
    const CliOutput out = run_s2sim("run " + f + " --json " + same.string() + " --csv " + same.string());
    INFO(out.text);
    CHECK(out.exit_code == 1);
    CHECK(out.text.find("s2sim: error: cannot create folder") != std::string::npos);
    CHECK(out.text.find("users/home") != std::string::npos);  // the table was printed
    CHECK(s2sim::testing::read_json(same).contains("requests"));
    CHECK(temporaries_in(dir) == 0);
    fs::remove_all(dir);
}

TEST_CASE("cli robustness: temporaries of a killed write are cleaned up by the next one", "[cli][output]") {
    const fs::path dir = scratch_dir("cli-stale");
    const std::string f = small_scenario(dir);
    // The temporary name of a writer that no longer runs (the pid of a child that exited).
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    const fs::path stale = dir / (".r.json.s2sim-" + std::to_string(child) + ".partial");
    std::ofstream(stale) << "{ truncated";
    const CliOutput out = run_s2sim("run " + f + " --quiet --json " + (dir / "r.json").string());
    INFO(out.text);
    CHECK(out.exit_code == 0);
    CHECK_FALSE(fs::exists(stale));
    CHECK(temporaries_in(dir) == 0);

    // A kill -9 at any moment leaves the old file or the new one, never a part or a temporary.
    const fs::path big = dir / "big.toml";
    std::ofstream(big) << "[scenario]\nduration = \"20000s\"\nwindow = \"1s\"\n[[server]]\nname = \"web\"\ncount = 40\n"
                          "[service.front]\nservers = [\"web\"]\nop.home = { work = \"exp(1ms)\" }\n[[workload]]\n"
                          "name = \"users\"\nto = \"front\"\narrival = \"poisson(1/s)\"\n";
    for (const int delay_ms : {150, 300, 450, 600, 900}) {
        const std::string cmd = std::string(S2SIM_BINARY) + " run " + big.string() + " --quiet --json " +
                                (dir / "big.json").string() + " >/dev/null 2>&1 & pid=$!; sleep " +
                                std::to_string(delay_ms / 1000.0) + "; kill -9 $pid 2>/dev/null; { wait $pid; } 2>/dev/null";
        (void)std::system(cmd.c_str());
        INFO(delay_ms);
        CHECK(temporaries_in(dir) == 0);
        if (fs::exists(dir / "big.json")) CHECK_NOTHROW(s2sim::testing::read_json(dir / "big.json"));
    }
    fs::remove_all(dir);
}

TEST_CASE("cli robustness: a zero-time loop the loader cannot see is stopped at run time", "[cli][errors]") {
    const fs::path dir = scratch_dir("cli-zero-time");
    // Closed users with no think time and no work, over a link with no latency and empty
    // messages: nothing takes time, yet the [[link]] hides it from the loader's check.
    const fs::path f = dir / "loop.toml";
    std::ofstream(f) << "[scenario]\nduration = \"10s\"\n[[server]]\nname = \"web\"\n[[client]]\nname = \"c\"\n"
                        "[[link]]\nbetween = [\"c\", \"web\"]\nbandwidth = \"10Gbps\"\n"
                        "[service.front]\nservers = [\"web\"]\n"
                        "op.home = { work = \"const(0s)\", request = \"0B\", response = \"0B\" }\n"
                        "[[workload]]\nname = \"users\"\nfrom = \"c\"\nto = \"front\"\n"
                        "arrival = { users = 4, think = \"const(0s)\" }\n";
    const CliOutput out = run_s2sim("run " + f.string() + " --quiet");
    INFO(out.text);
    CHECK(out.exit_code == 1);
    CHECK(out.text.find("without the clock moving") != std::string::npos);
    CHECK(out.text.find("at simulated time 0 s") != std::string::npos);
    fs::remove_all(dir);
}

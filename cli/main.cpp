// The s2sim command: run, check and draw scenarios. Only calls the scenario layer.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "scenario/builder.hpp"
#include "scenario/loader.hpp"
#include "scenario/report.hpp"
#include "sim/error.hpp"

namespace {

using namespace s2sim;

volatile std::sig_atomic_t interrupted = 0;

/// A progress bar on stderr, shown only on a terminal and only once a run has taken a second.
class ProgressBar {
public:
    explicit ProgressBar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) != 0) {}
    bool operator()(double fraction) {
        if (interrupted != 0) return false;
        if (!enabled_) return true;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        if (elapsed < 1.0) return true;
        const int width = 40;
        const int filled = static_cast<int>(fraction * width);
        std::fprintf(stderr, "\r[%s%s] %3.0f%%  %.1f s", std::string(filled, '#').c_str(),
                     std::string(width - filled, ' ').c_str(), 100 * fraction, elapsed);
        shown_ = true;
        return true;
    }
    ~ProgressBar() {
        if (shown_) std::fprintf(stderr, "\r%s\r", std::string(60, ' ').c_str());
    }

private:
    bool enabled_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

struct RunArgs {
    std::string file;
    std::vector<std::string> sets;
    std::optional<std::uint64_t> seed;
    std::string duration;
    std::string warmup;
    std::string json;
    std::string csv;
    bool quiet = false;
};

std::vector<std::string> overrides_of(const RunArgs& a) {
    std::vector<std::string> out = a.sets;
    if (!a.duration.empty()) out.push_back("scenario.duration=\"" + a.duration + "\"");
    if (!a.warmup.empty()) out.push_back("scenario.warmup=\"" + a.warmup + "\"");
    return out;
}

int run_command(const RunArgs& a) {
    const scenario::Spec spec = scenario::load_file(a.file, overrides_of(a));
    const std::uint64_t seed = a.seed.value_or(spec.run.seed);
    models::System system(scenario::build(spec, seed));
    std::signal(SIGINT, [](int) { interrupted = 1; });
    models::RunResults results;
    {
        ProgressBar bar(!a.quiet);
        results = system.run([&bar](double f) { return bar(f); });
    }
    std::signal(SIGINT, SIG_DFL);
    if (!a.json.empty()) scenario::write_file_atomically(a.json, scenario::to_json(results).dump(2) + "\n");
    if (!a.csv.empty()) scenario::write_csv(results, a.csv);
    if (!a.quiet) std::cout << scenario::format_table(results);
    if (!results.stopped_early.empty()) {
        std::cerr << "s2sim: warning: the run stopped early (" << results.stopped_early
                  << "); the results are partial\n";
        return 3;
    }
    return 0;
}

int check_command(const std::string& file, const std::vector<std::string>& sets) {
    const scenario::Spec spec = scenario::load_file(file, sets);
    scenario::validate(spec);
    std::cout << file << ": ok\n" << scenario::summarize(spec);
    return 0;
}

int graph_command(const std::string& file, const std::vector<std::string>& sets) {
    const scenario::Spec spec = scenario::load_file(file, sets);
    const models::SystemModel model = scenario::build(spec, spec.run.seed);
    if (!model.topology) {
        throw Error("'" + file + "' has no [[link]]: there is no network to draw");
    }
    std::cout << model.topology->to_dot();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"s2sim: simulate server-to-server systems described in a TOML scenario file.\n"
                 "Predicts latency percentiles, throughput, errors and utilisation of a design."};
    app.require_subcommand(1);
    app.set_version_flag("--version", scenario::version);

    RunArgs run;
    CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario and report what it measured.");
    run_cmd->add_option("file", run.file, "Scenario file (TOML)")->required()->check(CLI::ExistingFile);
    run_cmd->add_option("--seed", run.seed, "Master seed (default: [scenario] seed)");
    run_cmd->add_option("--duration", run.duration, "Measured simulated time, e.g. 60s (overrides the file)");
    run_cmd->add_option("--warmup", run.warmup, "Warm-up discarded from statistics, e.g. 10s");
    run_cmd->add_option("--json", run.json, "Write the results JSON to this file");
    run_cmd->add_option("--csv", run.csv, "Write requests.csv, ops.csv, servers.csv, links.csv into this folder");
    run_cmd->add_option("--set", run.sets, "Override a key by its dotted TOML path: --set server.web.count=6")
        ->take_all();
    run_cmd->add_flag("--quiet,-q", run.quiet, "Print nothing but errors");

    std::string check_file;
    std::vector<std::string> check_sets;
    CLI::App* check_cmd = app.add_subcommand("check", "Load and validate a scenario; print a summary or the errors.");
    check_cmd->add_option("file", check_file, "Scenario file (TOML)")->required()->check(CLI::ExistingFile);
    check_cmd->add_option("--set", check_sets, "Override a key by its dotted TOML path")->take_all();

    std::string graph_file;
    std::vector<std::string> graph_sets;
    CLI::App* graph_cmd =
        app.add_subcommand("graph", "Print the topology as Graphviz DOT: s2sim graph f.toml | dot -Tsvg > f.svg");
    graph_cmd->add_option("file", graph_file, "Scenario file (TOML)")->required()->check(CLI::ExistingFile);
    graph_cmd->add_option("--set", graph_sets, "Override a key by its dotted TOML path")->take_all();

    CLI11_PARSE(app, argc, argv);
    try {
        if (*run_cmd) return run_command(run);
        if (*check_cmd) return check_command(check_file, check_sets);
        if (*graph_cmd) return graph_command(graph_file, graph_sets);
    } catch (const ConfigError& e) {
        std::cerr << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "s2sim: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

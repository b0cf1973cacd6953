// The s2sim command: run, compare, sweep, analyze, check and draw scenarios.
// Only calls the scenario layer.

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/html_report.hpp"
#include "cli/progress.hpp"
#include "cli/usage.hpp"
#include "scenario/arguments.hpp"
#include "scenario/builder.hpp"
#include "scenario/experiment.hpp"
#include "scenario/files.hpp"
#include "scenario/loader.hpp"
#include "scenario/model_dot.hpp"
#include "scenario/model_json.hpp"
#include "scenario/network_summary.hpp"
#include "scenario/report.hpp"
#include "sim/error.hpp"

namespace {

using namespace s2sim;
using namespace s2sim::cli;

// Set by SIGINT (a lock-free atomic is async-signal-safe); the event loop polls it.
std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

/// This invocation as a shell would take it back, for the results JSON ("command").
std::string command_text;

struct RunArgs {
    std::string file;
    std::vector<std::string> sets;
    std::optional<std::uint64_t> seed;
    std::string duration;
    std::string warmup;
    std::string json;
    std::string csv;
    std::string html;  ///< --html: the HTML report (cli/html_report.hpp)
    bool quiet = false;
    int replications = 0;
    int jobs = 0;
    std::optional<double> precision;
    int max_replications = 50;
};

/// The options of `a`; progress goes to `bar` (which draws only when it should).
scenario::ExperimentOptions experiment_options(const RunArgs& a, cli::ProgressBar& bar) {
    scenario::ExperimentOptions o;
    o.seed = a.seed;
    o.replications = a.replications;
    o.jobs = a.jobs;
    o.precision = a.precision;
    o.max_replications = a.max_replications;
    o.progress = [&bar](double fraction) {
        bar.update(fraction);
        return !interrupted;
    };
    o.stop_flag = &interrupted;  // Ctrl-C stops the replications running, not only those to come
    return o;
}

/// Adds the options shared by run, compare and sweep to `cmd`.
void add_common_options(CLI::App* cmd, RunArgs& a) {
    cmd->add_option("--seed", a.seed, "Master seed (default: [scenario] seed)")->check(checked(scenario::seed_problem));
    cmd->add_option("--duration", a.duration, "Measured simulated time, e.g. 60s (overrides the file)")
        ->check(checked([](std::string_view v) { return scenario::time_problem(v, false); }));
    cmd->add_option("--warmup", a.warmup, "Warm-up discarded from statistics, e.g. 10s, or auto (MSER)")
        ->check(checked([](std::string_view v) { return scenario::time_problem(v, true); }));
    cmd->add_option("--set", a.sets, "Override a key by its dotted TOML path: --set server.web.count=6; KEY+=VALUE appends to an array")->take_all();
    cmd->add_option("--replications,-r", a.replications,
                    "Independent replications (default: [scenario] replications); figures gain 95% CIs")
        ->check(integer_from(1, scenario::max_replications_allowed));
    cmd->add_option("--jobs,-j", a.jobs, "Replications run at once (default: all cores); results do not change")
        ->check(integer_from(1, 4096));
    cmd->add_option("--precision", a.precision,
                    "Add replications until every class's mean and p99 CI is within this fraction, e.g. 0.02")
        ->check(checked([](std::string_view v) { return scenario::number_problem(v, 1e-6, 1.0); }));
    cmd->add_option("--max-replications", a.max_replications, "Upper bound for --precision (default 50)")
        ->check(integer_from(2, scenario::max_replications_allowed));
    cmd->add_flag("--quiet,-q", a.quiet, "Print nothing but errors");
}

/// What a command will simulate, as the analytic estimate sees it.
struct SimulatedWork {
    double requests = 0;
    double calls = 0;
};

/// The requests and calls `spec` simulates over `replications`, from the analytic
/// estimate; prints its saturation warnings first (each after `label`) when `warn`.
/// Zero when the estimate cannot handle the model: it is advice, the model is simulated
/// all the same.
SimulatedWork estimate_work(const scenario::Spec& spec, int replications, const std::string& label = "",
                            bool warn = true) {
    try {
        const models::AnalyticResults estimate = scenario::analyze(spec);
        if (warn) {
            for (const auto& w : scenario::saturation_warnings(estimate)) {
                std::cerr << "s2sim: warning: " << label << w << "\n";
            }
        }
        double calls_per_s = 0;
        for (const auto& op : estimate.ops) calls_per_s += op.visit_rate;
        double requests_per_s = 0;
        for (const auto& r : estimate.requests) requests_per_s += r.rate;
        const double simulated_s = (spec.run.warmup + spec.run.duration) * std::max(1, replications);
        return {requests_per_s * simulated_s, calls_per_s * simulated_s};
    } catch (const std::exception&) {
        return {};
    }
}

/// Says up front when `work` will take long: over a minute at the speed bench/README.md
/// measures for the shop. `what` names it: "run", "comparison", "sweep".
void note_if_long(const SimulatedWork& work, const std::string& what) {
    constexpr double calls_per_wall_s = 1e6;  // one core, the shop of scenarios/ecommerce.toml
    if (work.calls / calls_per_wall_s > 60) {
        std::cerr << fmt::format(
            "s2sim: note: this {} simulates about {:.3g} requests and {:.3g} calls; at about {:.0g} calls "
            "per second and core that takes roughly {:.0f} minutes. Ctrl-C stops it and keeps what was measured.\n",
            what, work.requests, work.calls, calls_per_wall_s, work.calls / calls_per_wall_s / 60);
    }
}

/// Before any simulation: warns about servers the analytic estimate finds saturated, and
/// says up front when the run will be long.
void preflight(const scenario::Spec& spec, int replications) {
    note_if_long(estimate_work(spec, replications), "run");
}

std::vector<std::string> overrides_of(const RunArgs& a) {
    std::vector<std::string> out = a.sets;
    if (!a.duration.empty()) out.push_back("scenario.duration=\"" + a.duration + "\"");
    if (!a.warmup.empty()) out.push_back("scenario.warmup=\"" + a.warmup + "\"");
    return out;
}

/// Ctrl-C before any replication finished: unfinished ones are dropped, so there is
/// nothing to pool or write.
int nothing_to_report() {
    std::cerr << "s2sim: interrupted before any replication finished: nothing to report\n";
    return 3;
}

/// Before the run: --html can be written and a Python can draw it; the Python, or "".
std::string check_html(const RunArgs& a) {
    if (a.html.empty()) return "";
    scenario::check_output_file(a.html, "--html");
    return cli::report_python();
}

/// The writes of --json, --csv and --html of `j` (the results JSON) and `results`.
template <class Results>
std::vector<std::function<void()>> outputs(const RunArgs& a, const nlohmann::json& j, const Results& results,
                                           const std::string& python) {
    return {[&] { if (!a.json.empty()) scenario::write_file_atomically(a.json, j.dump(2) + "\n"); },
            [&] { if (!a.csv.empty()) scenario::write_csv(results, a.csv); },
            [&] { if (!a.html.empty()) cli::render_html_text(python, j.dump(), a.html); }};
}

int run_command(const RunArgs& a) {
    check_outputs(a.json, a.csv);
    const std::string python = check_html(a);
    const scenario::Spec spec = scenario::load_file(a.file, overrides_of(a));
    const int replications = a.replications > 0 ? a.replications : spec.run.replications;
    if (!a.quiet) preflight(spec, replications);
    std::signal(SIGINT, [](int) { interrupted = true; });
    if (replications > 1 || a.precision || spec.run.warmup_auto) {
        cli::ProgressBar bar(!a.quiet);
        const scenario::ExperimentResults results = scenario::run_experiment(spec, experiment_options(a, bar));
        bar.clear();
        std::signal(SIGINT, SIG_DFL);
        if (results.runs.empty()) return nothing_to_report();
        if (!results.stopped_early.empty()) {
            std::cerr << "s2sim: warning: the experiment stopped early (" << results.stopped_early
                      << "); the results are partial\n";
        }
        nlohmann::json j = scenario::to_json(results);
        scenario::add_report_inputs(j, spec, results, command_text);
        return write_outputs(outputs(a, j, results, python),
            [&] { if (!a.quiet) std::cout << scenario::format_table(results); }, results.stopped_early.empty() ? 0 : 3);
    }
    const std::uint64_t seed = a.seed.value_or(spec.run.seed);
    models::System system(scenario::build(spec, seed));
    system.simulation().set_stop_flag(&interrupted);
    models::RunResults results;
    {
        cli::ProgressBar bar(!a.quiet);
        results = system.run([&bar](double fraction) {
            bar.update(fraction);
            return !interrupted;
        });
    }
    if (interrupted && results.stopped_early.empty()) results.stopped_early = "interrupted (Ctrl-C)";
    std::signal(SIGINT, SIG_DFL);
    if (!results.stopped_early.empty()) {
        std::cerr << "s2sim: warning: the run stopped early (" << results.stopped_early
                  << "); the results are partial\n";
    }
    nlohmann::json j = scenario::to_json(results);
    scenario::add_report_inputs(j, spec, results, command_text);
    return write_outputs(outputs(a, j, results, python),
        [&] { if (!a.quiet) std::cout << scenario::format_table(results); }, results.stopped_early.empty() ? 0 : 3);
}

struct CompareArgs {
    RunArgs common;
    std::vector<std::string> files;
    std::vector<std::string> variants;
    std::vector<std::string> show;  ///< tables of the terminal output; empty = all
};

/// A design's name: the file's stem, made unique with its position when two agree.
std::string design_name(const std::string& file) { return std::filesystem::path(file).stem().string(); }

int compare_command(const CompareArgs& c) {
    const RunArgs& a = c.common;
    check_outputs(a.json, a.csv);
    const std::string python = check_html(a);
    std::vector<scenario::Design> designs;
    for (const auto& file : c.files) {
        std::string name = design_name(file);
        for (const auto& d : designs) {
            if (d.name == name) name += fmt::format("#{}", designs.size() + 1);
        }
        designs.push_back({name, scenario::load_file(file, overrides_of(a))});
    }
    for (const auto& text : c.variants) {
        auto [name, sets] = scenario::parse_variant(text);
        std::vector<std::string> all = overrides_of(a);
        all.insert(all.end(), sets.begin(), sets.end());
        designs.push_back({name, scenario::load_file(c.files.front(), all)});
    }
    if (designs.size() < 2) {
        throw Error("compare needs at least two designs: give two files, or a file and --variant 'name: key=value'");
    }
    std::vector<const scenario::Spec*> specs;
    for (const auto& d : designs) specs.push_back(&d.spec);
    scenario::check_tables(c.show, specs);  // before the runs, not after
    if (!a.quiet) {
        // As scenario::compare counts them: the most any design asks for, at least 2.
        int replications = a.replications;
        if (replications <= 0) {
            for (const auto& d : designs) replications = std::max(replications, d.spec.run.replications);
            if (replications < 2) replications = 5;
        }
        SimulatedWork work;
        for (const auto& d : designs) {
            const SimulatedWork one = estimate_work(d.spec, replications, d.name + ": ");
            work.requests += one.requests;
            work.calls += one.calls;
        }
        note_if_long(work, "comparison");
    }
    std::signal(SIGINT, [](int) { interrupted = true; });
    cli::ProgressBar bar(!a.quiet);
    const scenario::CompareResults results = scenario::compare(designs, experiment_options(a, bar));
    bar.clear();
    std::signal(SIGINT, SIG_DFL);
    if (results.designs.empty() || results.designs.front().runs.empty()) return nothing_to_report();
    const bool partial = std::any_of(results.designs.begin(), results.designs.end(),
                                     [](const auto& e) { return !e.stopped_early.empty(); });
    nlohmann::json j = scenario::to_json(results);
    for (std::size_t i = 0; i < results.designs.size(); ++i) {
        scenario::add_report_inputs(j["results"][results.names[i]], designs[i].spec, results.designs[i], "");
    }
    j["command"] = command_text;
    return write_outputs(outputs(a, j, results, python),
        [&] { if (!a.quiet) std::cout << scenario::format_table(results, c.show); }, partial ? 3 : 0);
}

struct SweepArgs {
    RunArgs common;
    std::vector<std::string> params;
    std::vector<std::string> show{"requests"};  ///< tables of the terminal output
};

int sweep_command(const SweepArgs& s) {
    const RunArgs& a = s.common;
    const scenario::Spec base = scenario::load_file(a.file, overrides_of(a));
    scenario::check_tables(s.show, {&base});  // before the runs, not after
    check_outputs(a.json, a.csv);
    const std::string python = check_html(a);
    std::vector<scenario::SweepParam> params;
    for (const auto& p : s.params) {
        for (auto& linked : scenario::parse_sweep_params(p)) params.push_back(std::move(linked));
    }
    if (!a.quiet) {
        // Loads every point for the estimate (milliseconds each); a bad point is left to
        // scenario::sweep to report. No saturation warnings: sweeps often go there on purpose.
        SimulatedWork work;
        try {
            for (const auto& values : scenario::sweep_points(params)) {
                std::vector<std::string> sets = overrides_of(a);
                for (std::size_t i = 0; i < params.size(); ++i) sets.push_back(params[i].key + "=" + values[i]);
                const scenario::Spec spec = scenario::load_file(a.file, sets);
                const SimulatedWork one = estimate_work(
                    spec, a.replications > 0 ? a.replications : spec.run.replications, "", false);
                work.requests += one.requests;
                work.calls += one.calls;
            }
            note_if_long(work, "sweep");
        } catch (const std::exception&) {
        }
    }
    std::signal(SIGINT, [](int) { interrupted = true; });
    cli::ProgressBar bar(!a.quiet);
    const scenario::SweepResults results =
        scenario::sweep(a.file, params, experiment_options(a, bar), overrides_of(a));
    bar.clear();
    std::signal(SIGINT, SIG_DFL);
    if (std::all_of(results.points.begin(), results.points.end(),
                    [](const scenario::SweepPoint& p) { return p.results.runs.empty(); })) {
        return nothing_to_report();
    }
    const bool partial = std::any_of(results.points.begin(), results.points.end(),
                                     [](const scenario::SweepPoint& p) { return !p.results.stopped_early.empty(); });
    nlohmann::json j = scenario::to_json(results);
    try {
        j["model"] = scenario::model_json(scenario::load_file(a.file, overrides_of(a)));  // the grid's base
    } catch (const ConfigError&) {
        // a base that only the grid's values make valid: the report then draws no model
    }
    j["command"] = command_text;
    return write_outputs(outputs(a, j, results, python),
        [&] { if (!a.quiet) std::cout << scenario::format_table(results, s.show); }, partial ? 3 : 0);
}

int analyze_command(const std::string& file, const std::vector<std::string>& sets, const std::string& json) {
    check_outputs(json, "");
    const scenario::Spec spec = scenario::load_file(file, sets);
    const models::AnalyticResults results = scenario::analyze(spec);
    return write_outputs(
        {[&] { if (!json.empty()) scenario::write_file_atomically(json, scenario::to_json(results).dump(2) + "\n"); }},
        [&] { std::cout << scenario::format_table(results); }, 0);
}

int check_command(const std::string& file, const std::vector<std::string>& sets) {
    const scenario::Spec spec = scenario::load_file(file, sets);
    const std::string network = scenario::describe_network(spec);  // validates too
    std::cout << file << ": ok\n" << scenario::summarize(spec) << network;
    return 0;
}

int graph_command(const std::string& file, const std::vector<std::string>& sets, bool calls) {
    const scenario::Spec spec = scenario::load_file(file, sets);
    (void)scenario::build(spec, spec.run.seed);  // the same checks as run (a disconnected network, ...)
    std::cout << (calls ? scenario::calls_dot(spec) : scenario::topology_dot(spec));
    return 0;
}

/// `s2sim report RESULTS.json -o FILE.html`: the Python package draws it.
int report_command(const std::string& json, const std::string& html) {
    scenario::check_output_file(html, "-o");
    return cli::render_html(cli::report_python(), json, html);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"s2sim: simulate server-to-server systems described in a TOML scenario file.\n"
                 "Predicts latency percentiles, throughput, errors and utilisation of a design."};
    app.require_subcommand(1);
    app.set_version_flag("--version", scenario::version);

    RunArgs run;
    CLI::App* run_cmd = app.add_subcommand("run", "Run a scenario and report what it measured.");
    run_cmd->add_option("file", run.file, "Scenario file (TOML)")->required()->check(checked_file());
    run_cmd->add_option("--json", run.json, "Write the results JSON to this file (its folder is created when missing)");
    run_cmd->add_option("--csv", run.csv, "Write CSV files into this folder (created when missing): requests.csv, ops.csv, servers.csv, links.csv, "
                        "timeseries_requests.csv, timeseries_servers.csv, timeseries_links.csv and, with replication, replication.csv and "
                        "timeseries_replication.csv, <table>.csv and timeseries_<table>.csv per table the model publishes; "
                        "with several replications the time series go to replication-N/ subfolders");
    run_cmd->add_option("--html", run.html, "Write the HTML report (one self-contained page, docs/report.md) to this file");
    add_common_options(run_cmd, run);

    CompareArgs compare;
    CLI::App* compare_cmd = app.add_subcommand(
        "compare", "Compare designs side by side, paired by common random numbers: s2sim compare A.toml B.toml, "
                   "or s2sim compare A.toml --variant 'name: key=value, key=value'");
    compare_cmd->add_option("files", compare.files, "Scenario files (TOML); the first is the reference")
        ->required()
        ->check(checked_file());
    compare_cmd->add_option("--variant", compare.variants,
                            "A design made from the first file: 'name: key=value, key=value' (as --set)")
        ->check(checked_text(scenario::variant_problem))
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    compare_cmd->add_option("--json", compare.common.json, "Write the comparison JSON to this file");
    compare_cmd->add_option("--csv", compare.common.csv, "Write compare.csv (every row, every design) into this folder");
    compare_cmd->add_option("--show", compare.show,
                            "Tables to print: requests, ops, servers, links, replication, or a table the scenario "
                            "publishes (default: all)")
        ->delimiter(',');
    compare_cmd->add_option("--html", compare.common.html, "Write the HTML report of the comparison to this file");
    add_common_options(compare_cmd, compare.common);

    SweepArgs sweep;
    CLI::App* sweep_cmd =
        app.add_subcommand("sweep", "Run the grid of values of one or more keys: --param key=v1,v2,v3 [--param ...]; "
                                    "keys linked by ';' in one --param move together");
    sweep_cmd->add_option("file", sweep.common.file, "Scenario file (TOML)")->required()->check(checked_file());
    sweep_cmd->add_option("--param", sweep.params, "A key and its values, server.web.count=2,4,8 (each --param is crossed with the others), or keys "
                    "that move together, 'workload.a.arrival=poisson(40/s),poisson(60/s); "
                    "workload.b.arrival=poisson(60/s),poisson(40/s)' (2 points)")
        ->check(checked_text(scenario::sweep_param_problem))
        ->required()
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    sweep_cmd->add_option("--json", sweep.common.json, "Write the sweep JSON to this file");
    sweep_cmd->add_option("--csv", sweep.common.csv,
                          "Write sweep_requests.csv, sweep_ops.csv, sweep_servers.csv, sweep_links.csv, "
                          "sweep_replication.csv and sweep_<table>.csv per published table into this folder");
    sweep_cmd->add_option("--show", sweep.show,
                          "Tables to print: requests, ops, servers, links, replication, or a table the scenario "
                          "publishes (default: requests)")
        ->delimiter(',');
    sweep_cmd->add_option("--html", sweep.common.html, "Write the HTML report of the sweep to this file");
    add_common_options(sweep_cmd, sweep.common);

    std::string analyze_file;
    std::string analyze_json;
    std::vector<std::string> analyze_sets;
    CLI::App* analyze_cmd = app.add_subcommand(
        "analyze", "Estimate utilisation and mean latency analytically (traffic equations, M/M/c), without simulating");
    analyze_cmd->add_option("file", analyze_file, "Scenario file (TOML)")->required()->check(checked_file());
    analyze_cmd->add_option("--set", analyze_sets, "Override a key by its dotted TOML path")->take_all();
    analyze_cmd->add_option("--json", analyze_json, "Write the estimate as JSON to this file");

    std::string check_file;
    std::vector<std::string> check_sets;
    CLI::App* check_cmd = app.add_subcommand("check", "Load and validate a scenario; print a summary or the errors.");
    check_cmd->add_option("file", check_file, "Scenario file (TOML)")->required()->check(checked_file());
    check_cmd->add_option("--set", check_sets, "Override a key by its dotted TOML path")->take_all();

    std::string graph_file;
    std::vector<std::string> graph_sets;
    bool graph_calls = false;
    CLI::App* graph_cmd = app.add_subcommand(
        "graph", "Print the topology (servers grouped by site) or, with --calls, the call graph as Graphviz DOT: "
                 "s2sim graph f.toml | dot -Tsvg > f.svg");
    graph_cmd->add_option("file", graph_file, "Scenario file (TOML)")->required()->check(checked_file());
    graph_cmd->add_option("--set", graph_sets, "Override a key by its dotted TOML path")->take_all();
    graph_cmd->add_flag("--calls", graph_calls, "The call graph: workloads, ops and the calls between them");

    std::string report_json;
    std::string report_html;
    CLI::App* report_cmd = app.add_subcommand(
        "report", "Write the HTML report of a results JSON (of run, compare or sweep): s2sim report out.json -o out.html");
    report_cmd->add_option("results", report_json, "Results JSON written by run, compare or sweep --json")
        ->required()
        ->check(checked_file());
    report_cmd->add_option("-o,--output", report_html, "The HTML file to write")->required();

    command_text = scenario::command_line(argc, argv);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli::exit_code_of(app, e);
    }
    try {
        if (*run_cmd) return run_command(run);
        if (*check_cmd) return check_command(check_file, check_sets);
        if (*graph_cmd) return graph_command(graph_file, graph_sets, graph_calls);
        if (*report_cmd) return report_command(report_json, report_html);
        if (*compare_cmd) return compare_command(compare);
        if (*sweep_cmd) return sweep_command(sweep);
        if (*analyze_cmd) return analyze_command(analyze_file, analyze_sets, analyze_json);
    } catch (const ConfigError& e) {
        std::cerr << e.what() << "\n";
        return 2;
    } catch (const scenario::UsageError& e) {
        std::cerr << "s2sim: error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "s2sim: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "common.hpp"
#include "register.hpp"
#include "scenario/loader.hpp"
#include "scenario/model_json.hpp"
#include "scenario/run_results_io.hpp"
#include "sim/error.hpp"

namespace s2sim::python {
namespace {

std::vector<models::RunResults> decode_all(const std::vector<std::string>& runs) {
    std::vector<models::RunResults> out;
    out.reserve(runs.size());
    for (const auto& bytes : runs) out.push_back(scenario::decode_run_results(bytes));
    return out;
}

}  // namespace

void register_distributed(py::module_& m) {
    m.def(
        "plan_run",
        [](const std::string& text, const std::string& filename, const std::vector<std::string>& overrides,
           const std::string& base_dir, std::optional<std::uint64_t> seed, int replications,
           std::optional<double> precision, int max_replications) {
            scenario::ExperimentOptions options;
            options.seed = seed;
            options.replications = replications;
            options.precision = precision;
            options.max_replications = max_replications;
            const auto plan = scenario::plan_experiment(scenario::parse(text, filename, overrides, base_dir), options);
            return std::make_tuple(plan.seed, plan.replications, plan.warmup_auto, plan.warmup_s);
        },
        py::arg("text"), py::arg("filename"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("base_dir") = "", py::kw_only(), py::arg("seed") = py::none(), py::arg("replications") = 0,
        py::arg("precision") = py::none(), py::arg("max_replications") = 50,
        py::call_guard<py::gil_scoped_release>(),
        "How `run` with these arguments starts: (master seed, replications of the first round,\n"
        "warm-up automatic, warm-up seconds of the file). Raises as `run` does for bad values.");

    m.def(
        "choose_warmup",
        [](const std::string& text, const std::string& filename, const std::vector<std::string>& overrides,
           const std::string& base_dir, std::uint64_t master_seed, int jobs) {
            return scenario::choose_warmup(scenario::parse(text, filename, overrides, base_dir), master_seed, jobs);
        },
        py::arg("text"), py::arg("filename"), py::arg("overrides"), py::arg("base_dir"), py::arg("master_seed"),
        py::arg("jobs") = 1, py::call_guard<py::gil_scoped_release>(),
        "The warm-up (seconds) MSER picks for warmup = \"auto\", from pilot runs with `master_seed`\n"
        "on `jobs` threads (0 = all cores); the same whatever `jobs`.");

    m.def(
        "run_replication",
        [](const std::string& text, const std::string& filename, const std::vector<std::string>& overrides,
           const std::string& base_dir, std::uint64_t master_seed, int index, double warmup_s) {
            if (index < 0) throw Error(fmt::format("replication index must be at least 0, got {}", index));
            std::string bytes;
            {
                py::gil_scoped_release release;
                const scenario::Spec spec = scenario::parse(text, filename, overrides, base_dir);
                const auto runs = scenario::run_replications(spec, master_seed, index, index + 1, 1, warmup_s);
                bytes = scenario::encode_run_results(runs.at(0));
            }
            return py::bytes(bytes);
        },
        py::arg("text"), py::arg("filename"), py::arg("overrides"), py::arg("base_dir"), py::arg("master_seed"),
        py::arg("index"), py::arg("warmup_s"),
        "Runs replication `index` of scenario `text` (seed replication_seed(master_seed, index)) with\n"
        "warm-up `warmup_s`, on one thread with the GIL released. Returns its results losslessly\n"
        "encoded (bytes for `pool_runs`): the worker's half of `run` on a cluster.");

    m.def(
        "replications_wanted",
        [](const std::vector<std::string>& runs, std::optional<double> precision, int max_replications) {
            scenario::ExperimentOptions options;
            options.precision = precision;
            options.max_replications = max_replications;
            return scenario::replications_wanted(scenario::pool(decode_all(runs)), options);
        },
        py::arg("runs"), py::kw_only(), py::arg("precision"), py::arg("max_replications") = 50,
        py::call_guard<py::gil_scoped_release>(),
        "How many replications in all a run with `precision` needs after `runs` (encoded, in\n"
        "replication order): len(runs) once the target is met or `max_replications` reached.");

    m.def(
        "pool_runs",
        [](const std::vector<std::string>& runs, std::uint64_t seed, double warmup_s, bool warmup_auto,
           std::optional<double> precision, double wall_s, const std::vector<double>& quantiles,
           const std::optional<std::tuple<std::string, std::string, std::vector<std::string>, std::string>>& scenario) {
            RunOutput out;
            {
                py::gil_scoped_release release;
                scenario::ExperimentPlan plan;
                plan.seed = seed;
                plan.warmup_s = warmup_s;
                plan.warmup_auto = warmup_auto;
                scenario::ExperimentResults r = scenario::pool_experiment(decode_all(runs), plan, precision);
                r.wall_s = wall_s;
                out = run_output(r, quantiles);
                if (scenario) {  // what Results.to_html draws, as a local run has it
                    const auto& [text, filename, overrides, base_dir] = *scenario;
                    out.json = scenario::with_report_inputs(out.json, scenario::parse(text, filename, overrides, base_dir), r);
                }
            }
            return to_python(out);
        },
        py::arg("runs"), py::kw_only(), py::arg("seed"), py::arg("warmup_s"), py::arg("warmup_auto") = false,
        py::arg("precision") = py::none(), py::arg("wall_s") = 0.0, py::arg("quantiles") = std::vector<double>{},
        py::arg("scenario") = py::none(),
        "Pools `runs` (encoded by `run_replication`, in replication order) as `run` would have:\n"
        "master `seed`, the warm-up used, the `precision` target, `wall_s` for the whole run.\n"
        "`scenario`: (text, filename, overrides, base_dir) of the runs, for the report's keys of the JSON.\n"
        "Returns (json, runs, quantiles) exactly as `run` does.");
}

}  // namespace s2sim::python

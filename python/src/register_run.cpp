#include <pybind11/stl.h>

#include "common.hpp"
#include "register.hpp"
#include "scenario/loader.hpp"
#include "scenario/model_json.hpp"

namespace s2sim::python {

void register_run(py::module_& m) {
    m.def(
        "run",
        [](const std::string& text, const std::string& filename, const std::vector<std::string>& overrides,
           const std::string& base_dir, std::optional<std::uint64_t> seed, int replications, int jobs,
           std::optional<double> precision, int max_replications, const std::vector<double>& quantiles) {
            const RunOutput out = interruptible([&](const std::atomic<bool>& stop) {
                const scenario::Spec spec = scenario::parse(text, filename, overrides, base_dir);
                const scenario::ExperimentResults r = scenario::run_experiment(
                    spec, options_of(seed, replications, jobs, precision, max_replications, stop));
                RunOutput out = run_output(r, quantiles);
                out.json = scenario::with_report_inputs(out.json, spec, r);  // what Results.to_html draws
                return out;
            });
            return to_python(out);
        },
        py::arg("text"), py::arg("filename"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("base_dir") = "", py::kw_only(), py::arg("seed") = py::none(), py::arg("replications") = 0,
        py::arg("jobs") = 0, py::arg("precision") = py::none(), py::arg("max_replications") = 50,
        py::arg("quantiles") = std::vector<double>{},
        "Runs scenario `text` (after `overrides`) as an experiment: `replications` (0 = the file's)\n"
        "independent runs on `jobs` threads (0 = all cores), master `seed` (None = the file's), with\n"
        "the GIL released; Ctrl-C stops it. Returns (json, runs, quantiles): the pooled results JSON\n"
        "of docs/results.md (UTF-8 bytes; for one replication the same as `s2sim run --json`), the JSON\n"
        "of each replication, and {request: [pooled latency seconds at each of `quantiles`]}.");
}

}  // namespace s2sim::python

#include <pybind11/stl.h>

#include "common.hpp"
#include "register.hpp"
#include "scenario/loader.hpp"

namespace s2sim::python {

void register_experiment(py::module_& m) {
    m.def("replication_seed", &scenario::replication_seed, py::arg("master"), py::arg("index"),
          "The master seed of replication `index` (replication 0 runs with `master` itself).");

    // A design travels as (name, text, filename, overrides, base_dir).
    using DesignText = std::tuple<std::string, std::string, std::string, std::vector<std::string>, std::string>;
    m.def(
        "compare",
        [](const std::vector<DesignText>& designs, std::optional<std::uint64_t> seed, int replications, int jobs,
           std::optional<double> precision, int max_replications, const std::vector<double>& quantiles) {
            auto out = interruptible([&](const std::atomic<bool>& stop) {
                std::vector<scenario::Design> specs;
                for (const auto& [name, text, filename, overrides, base_dir] : designs) {
                    specs.push_back({name, scenario::parse(text, filename, overrides, base_dir)});
                }
                const scenario::CompareResults r = scenario::compare(
                    specs, options_of(seed, replications, jobs, precision, max_replications, stop));
                std::vector<Quantiles> qs;
                for (const auto& d : r.designs) qs.push_back(quantiles_of(d, quantiles));
                return std::make_pair(scenario::to_json(r).dump(), qs);
            });
            return py::make_tuple(py::bytes(out.first), out.second);
        },
        py::arg("designs"), py::kw_only(), py::arg("seed") = py::none(), py::arg("replications") = 0,
        py::arg("jobs") = 0, py::arg("precision") = py::none(), py::arg("max_replications") = 50,
        py::arg("quantiles") = std::vector<double>{},
        "Compares designs [(name, text, filename, overrides, base_dir)] under common random numbers\n"
        "(paired t-tests against the first). Returns (json, [quantiles per design]).");

    m.def(
        "sweep",
        [](const std::string& text, const std::string& filename,
           const std::vector<std::tuple<std::string, std::vector<std::string>, bool>>& params,
           const std::vector<std::string>& overrides, const std::string& base_dir, std::optional<std::uint64_t> seed,
           int replications, int jobs, std::optional<double> precision, int max_replications) {
            std::vector<scenario::SweepParam> ps;
            for (const auto& [key, values, linked] : params) ps.push_back({key, values, linked});
            const std::string json = interruptible([&](const std::atomic<bool>& stop) {
                return scenario::to_json(scenario::sweep_text(
                                             text, filename, ps,
                                             options_of(seed, replications, jobs, precision, max_replications, stop),
                                             overrides, base_dir))
                    .dump();
            });
            return py::bytes(json);
        },
        py::arg("text"), py::arg("filename"), py::arg("params"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("base_dir") = "", py::kw_only(), py::arg("seed") = py::none(), py::arg("replications") = 0,
        py::arg("jobs") = 0, py::arg("precision") = py::none(), py::arg("max_replications") = 50,
        "Runs the grid of `params` [(key, [values as --set takes them], linked with the previous)] over\n"
        "scenario `text`;\n"
        "returns the sweep JSON ({params, points: [{values, results}]}).");

    m.def(
        "analyze",
        [](const std::string& text, const std::string& filename, const std::vector<std::string>& overrides,
           const std::string& base_dir) {
            std::string json;
            {
                py::gil_scoped_release release;
                json = scenario::to_json(scenario::analyze(scenario::parse(text, filename, overrides, base_dir))).dump();
            }
            return py::bytes(json);
        },
        py::arg("text"), py::arg("filename"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("base_dir") = "",
        "The analytic estimate (no simulation) of scenario `text`, as JSON: predicted mean latency\n"
        "per class, load per server, saturated servers.");
}

}  // namespace s2sim::python

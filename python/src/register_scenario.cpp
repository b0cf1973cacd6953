#include "register.hpp"

#include <pybind11/stl.h>

#include "scenario/builder.hpp"
#include "scenario/experiment.hpp"
#include "scenario/loader.hpp"
#include "scenario/network_summary.hpp"

namespace s2sim::python {

void register_scenario(py::module_& m) {
    m.def(
        "check",
        [](const std::string& text, const std::string& filename, const std::vector<std::string>& overrides,
           const std::string& base_dir) {
            const scenario::Spec spec = scenario::parse(text, filename, overrides, base_dir);
            return scenario::summarize(spec) + scenario::describe_network(spec);  // validates too
        },
        py::arg("text"), py::arg("filename"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("base_dir") = "", py::call_guard<py::gil_scoped_release>(),
        "Parses and validates scenario `text` after `overrides` (\"dotted.key=value\"); returns the "
        "summary of `s2sim check`. Raises ConfigError at the offending value.");
    m.def(
        "recorded_tables",
        [](const std::string& text, const std::string& filename, const std::vector<std::string>& overrides,
           const std::string& base_dir) {
            return scenario::recorded_table_names(scenario::parse(text, filename, overrides, base_dir));
        },
        py::arg("text"), py::arg("filename"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("base_dir") = "", py::call_guard<py::gil_scoped_release>(),
        "The names of the tables the model of scenario `text` publishes through its Recorder (beyond "
        "requests, ops, servers, links, replication).");
    m.def("apply_overrides_to_text", &scenario::apply_overrides_to_text, py::arg("text"), py::arg("filename"),
          py::arg("overrides"), py::call_guard<py::gil_scoped_release>(),
          "Applies `overrides` to the TOML `text` and returns the edited TOML (comments are not kept).");
}

}  // namespace s2sim::python

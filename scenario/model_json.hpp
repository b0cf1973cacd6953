#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/results.hpp"
#include "scenario/experiment.hpp"
#include "scenario/spec.hpp"

/// What a report needs besides the figures, added to the results JSON under keys of its
/// own (docs/report.md): "model" (the scenario drawn: sites, nodes, links with bandwidth
/// and latency, services with the call steps of each op, workloads, events),
/// "latency_cdf" (quantiles of each request class for CDF plots), "warnings" (what s2sim
/// said on stderr before the run) and "command" (the command line). The figures are
/// untouched.
namespace s2sim::scenario {

/// The scenario as the report draws it. Times in seconds, bandwidths in bytes per second,
/// distances in metres; distributions as written ("exp(2ms)").
[[nodiscard]] nlohmann::json model_json(const Spec& spec);

/// The probabilities at which "latency_cdf" keeps each class's latency: fine in the body,
/// finer in the tail (p99.9, p99.99).
[[nodiscard]] const std::vector<double>& latency_cdf_grid();

/// {"q": [grid], "requests": {"workload/op": [seconds or null at each q]}} of one run or
/// of the pooled histograms of an experiment.
[[nodiscard]] nlohmann::json latency_cdf_json(const models::RunResults& results);
[[nodiscard]] nlohmann::json latency_cdf_json(const ExperimentResults& results);

/// The analytic estimate's saturation warnings for `spec` (what `run` prints on stderr),
/// empty when the estimate cannot handle the model.
[[nodiscard]] std::vector<std::string> model_warnings(const Spec& spec);

/// Adds "model", "latency_cdf" and "warnings" for `spec` and its `results` to `j` (the
/// results JSON of a run or an experiment), and "command" when `command` is not empty.
void add_report_inputs(nlohmann::json& j, const Spec& spec, const models::RunResults& results,
                       const std::string& command);
void add_report_inputs(nlohmann::json& j, const Spec& spec, const ExperimentResults& results,
                       const std::string& command);

/// `json_text` (a results JSON) with add_report_inputs applied, as compact JSON text: for the
/// Python binding, whose results are JSON text already.
[[nodiscard]] std::string with_report_inputs(const std::string& json_text, const Spec& spec,
                                             const ExperimentResults& results);

/// The command line as a shell would take it back: arguments quoted where needed, the
/// program named `s2sim`.
[[nodiscard]] std::string command_line(int argc, const char* const* argv);

}  // namespace s2sim::scenario

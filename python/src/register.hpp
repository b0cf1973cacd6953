#pragma once
// The register_* functions of the s2sim._core module, one per area.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace s2sim::python {

/// Translates s2sim::ConfigError to s2sim.ConfigError (a ValueError with file, line,
/// column) and s2sim::Error to s2sim.Error (a RuntimeError).
void register_errors(py::module_& m);
/// Loading, checking and editing scenario text (scenario/loader.hpp).
void register_scenario(py::module_& m);
/// One run of a scenario, returning the results JSON of docs/results.md.
void register_run(py::module_& m);
/// Replications, comparisons and sweeps (scenario/experiment.hpp), when present.
void register_experiment(py::module_& m);
/// The pieces of `run` whose replications run on a cluster (Dask): the plan, the warm-up,
/// one replication encoded losslessly, and the pooling of the encoded runs.
void register_distributed(py::module_& m);

}  // namespace s2sim::python

// s2sim._core: the thin binding. Registration only; each area has its register_*.cpp.
#include "register.hpp"

PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
    m.doc() = "The C++ core of s2sim (registration only; use the pure-Python package s2sim).";
    s2sim::python::register_errors(m);
    s2sim::python::register_scenario(m);
    s2sim::python::register_run(m);
    s2sim::python::register_experiment(m);
    s2sim::python::register_distributed(m);
}

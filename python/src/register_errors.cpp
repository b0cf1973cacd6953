#include "register.hpp"

#include "sim/error.hpp"

namespace s2sim::python {

void register_errors(py::module_& m) {
    // The exception classes live in s2sim/_errors.py, so that they are ordinary,
    // picklable Python classes with attributes; the translator only fills them in.
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const ConfigError& e) {
            const py::object errors = py::module_::import("s2sim._errors");
            const py::object error = errors.attr("ConfigError")(e.message(), e.where().file, e.where().line,
                                                                e.where().column);
            PyErr_SetObject(py::type::handle_of(error).ptr(), error.ptr());
        } catch (const Error& e) {
            const py::object error = py::module_::import("s2sim._errors").attr("Error")(e.what());
            PyErr_SetObject(py::type::handle_of(error).ptr(), error.ptr());
        }
    });
    (void)m;
}

}  // namespace s2sim::python

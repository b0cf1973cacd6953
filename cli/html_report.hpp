#pragma once
// The HTML report of `s2sim report` and `--html`: drawn by the Python package
// (python/s2sim/report.py), which this program runs as `PYTHON -m s2sim.report`.
#include <string>

namespace s2sim::cli {

/// The Python that renders reports: $S2SIM_PYTHON when set (the wheel's `s2sim` command sets
/// it to its own interpreter), else the checkout's .venv/bin/python next to the build folder
/// of this program, else `python3` on the PATH. Throws scenario::UsageError (exit 2) when
/// none has the s2sim package and matplotlib, saying how to get them; checked before a run, not after it.
[[nodiscard]] std::string report_python();

/// Renders results JSON file `json_path` into `html_path` with `python` (see report_python);
/// returns the renderer's exit code (0, or 2 for a bad JSON: its messages are on stderr).
/// Throws s2sim::Error when it cannot be started.
[[nodiscard]] int render_html(const std::string& python, const std::string& json_path, const std::string& html_path);

/// Renders the results JSON text `json` into `html_path`, through a temporary file. Throws
/// s2sim::Error when the renderer fails.
void render_html_text(const std::string& python, const std::string& json, const std::string& html_path);

}  // namespace s2sim::cli

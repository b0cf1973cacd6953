#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "scenario/spec.hpp"

/// The TOML scenario loader (the only place that knows TOML; see docs/scenario-format.md).
namespace s2sim::scenario {

/// Reads and checks the scenario file at `path`, after applying `overrides`
/// ("dotted.key=value", as `--set` takes them) to its TOML document.
/// Relative paths inside (traces, empirical data) are resolved against the file's folder.
/// Throws ConfigError (`file:line:col: error: ...`) for bad content, s2sim::Error when
/// the file cannot be read.
[[nodiscard]] Spec load_file(const std::string& path, const std::vector<std::string>& overrides = {});

/// Like load_file, from `text`; `filename` is used in error positions and for the
/// default scenario name. Relative paths are resolved against `base_dir`
/// (default: the current directory).
[[nodiscard]] Spec parse(std::string_view text, const std::string& filename,
                         const std::vector<std::string>& overrides = {}, const std::string& base_dir = "");

/// Applies `overrides` to the TOML `text` and returns the edited document as TOML
/// (comments and layout are not kept), so scripts can save an edited scenario.
/// Only checks the TOML syntax and the override paths, not the scenario itself.
[[nodiscard]] std::string apply_overrides_to_text(std::string_view text, const std::string& filename,
                                                  const std::vector<std::string>& overrides);

}  // namespace s2sim::scenario

#pragma once
// Internal to s2sim_scenario: includes TOML++ (built as a shared library, see
// tomlplusplus.pc), so only the scenario .cpp files may include this header.
// The public entry points are in scenario/loader.hpp.
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace s2sim::scenario {

/// Applies one "dotted.key=value" override (as given to `--set`) to `root`.
/// Path segments name table keys; on an array of tables ([[server]], [[workload]]) a
/// segment picks the element whose `name` is that segment, or the element at that
/// 0-based index. Missing tables along the path are created; the last key is
/// inserted or replaced. "dotted.key+=value" appends the value to the array at the
/// path instead (created when missing). The value is parsed as a TOML value when it
/// is one (number, boolean, array, inline table, quoted string), else taken as a
/// bare string. Keys, tables and values an override makes keep a source position
/// whose file is "--set KEY=VALUE" (line 1, columns counted in KEY=VALUE), so later
/// errors point into the override.
/// Throws ConfigError naming the override when the path cannot be followed.
void apply_override(toml::table& root, std::string_view override_text);

/// Applies `overrides` in order.
void apply_overrides(toml::table& root, const std::vector<std::string>& overrides);

}  // namespace s2sim::scenario

#pragma once
// The command line's own checks: option values in s2sim's words, output paths before the
// run, outputs written even when one fails, and usage errors mapped to exit code 2.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace s2sim::cli {

/// A CLI11 check in the project's words: `problem` says why a value is bad, or "".
[[nodiscard]] CLI::Validator checked(std::string (*problem)(std::string_view));
/// The same for checks that take the whole text (sweep parameters, variants).
[[nodiscard]] CLI::Validator checked_text(std::string (*problem)(const std::string&));
/// A scenario file: it exists and is a regular file of a sane size (never opened here).
[[nodiscard]] CLI::Validator checked_file();
/// An integer from `min` to `max`.
[[nodiscard]] CLI::Validator integer_from(std::int64_t min, std::int64_t max);

/// Before any run: every output path can be written (a run of hours must not end in a
/// path error), and none names something other than a regular file or a folder.
/// Throws scenario::UsageError. Empty paths are outputs not asked for.
void check_outputs(const std::string& json, const std::string& csv);

/// Writes the outputs asked for, then calls `print` (the table), even when one output
/// failed; returns 1 (saying why on stderr) when one did, else `code`.
[[nodiscard]] int write_outputs(const std::vector<std::function<void()>>& writes, const std::function<void()>& print,
                                int code);

/// The exit code for a CLI11 parse error: help and version print and give 0; any usage
/// error prints "s2sim: error: ..." and gives 2, so CLI11's own codes (105, 109, ...) never leak.
[[nodiscard]] int exit_code_of(const CLI::App& app, const CLI::ParseError& e);

}  // namespace s2sim::cli

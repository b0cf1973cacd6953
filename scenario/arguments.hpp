#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/error.hpp"

/// Command-line values checked in the project's own words (the `s2sim` command and the
/// Python API share these rules): a bad value is a usage error, exit code 2.
namespace s2sim::scenario {

/// A command-line value or an argument that cannot be used: the command prints
/// "s2sim: error: MESSAGE" and exits with 2, like a scenario error.
class UsageError : public Error {
public:
    using Error::Error;
};

/// Largest number of replications one command may ask for (each holds its results).
inline constexpr std::int64_t max_replications_allowed = 100'000;

/// Why `text` is not a master seed (an integer from 0 to 2^64 - 1), or "" when it is.
[[nodiscard]] std::string seed_problem(std::string_view text);
/// Why `text` is not an integer from `min` to `max`, or "".
[[nodiscard]] std::string integer_problem(std::string_view text, std::int64_t min, std::int64_t max);
/// Why `text` is not a finite number in [`min`, `max`], or "".
[[nodiscard]] std::string number_problem(std::string_view text, double min, double max);
/// Why `text` is not a time such as "60s", or "" (an empty value is a problem).
[[nodiscard]] std::string time_problem(std::string_view text, bool allow_auto);
/// Why `text` cannot be a scenario file: missing, a folder, a FIFO, too large ... or "".
[[nodiscard]] std::string scenario_file_problem(const std::string& text);
/// Why `text` is not a sweep parameter "key=v1,v2,...", or "".
[[nodiscard]] std::string sweep_param_problem(const std::string& text);
/// Why `text` is not a variant "name: key=value, ...", or "".
[[nodiscard]] std::string variant_problem(const std::string& text);

}  // namespace s2sim::scenario

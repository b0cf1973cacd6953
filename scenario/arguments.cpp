#include "scenario/arguments.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "scenario/experiment.hpp"
#include "scenario/files.hpp"
#include "sim/units.hpp"

namespace s2sim::scenario {

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::string seed_problem(std::string_view text) {
    const std::string_view t = trimmed(text);
    if (t.empty()) return "expected a seed (an integer from 0 to 18446744073709551615), got nothing";
    if (t.front() == '-') return fmt::format("a seed must not be negative, got '{}'", text);
    std::uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (ec == std::errc::result_out_of_range) {
        return fmt::format("seed '{}' is too large (at most 18446744073709551615, 2^64 - 1)", text);
    }
    if (ec != std::errc() || ptr != t.data() + t.size()) {
        return fmt::format("expected a seed (an integer from 0 to 18446744073709551615), got '{}'", text);
    }
    return "";
}

std::string integer_problem(std::string_view text, std::int64_t min, std::int64_t max) {
    const std::string_view t = trimmed(text);
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (t.empty() || (ec != std::errc() && ec != std::errc::result_out_of_range) || ptr != t.data() + t.size()) {
        return fmt::format("expected an integer from {} to {}, got '{}'", min, max, text);
    }
    if (ec == std::errc::result_out_of_range || value < min || value > max) {
        return fmt::format("{} is out of range (expected an integer from {} to {})", text, min, max);
    }
    return "";
}

std::string number_problem(std::string_view text, double min, double max) {
    const std::string t(trimmed(text));
    char* end = nullptr;
    const double value = t.empty() ? 0.0 : std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(value)) {
        return fmt::format("expected a number from {:g} to {:g}, got '{}'", min, max, text);
    }
    if (value < min || value > max) {
        return fmt::format("{} is out of range (expected a number from {:g} to {:g})", text, min, max);
    }
    return "";
}

std::string time_problem(std::string_view text, bool allow_auto) {
    const std::string_view t = trimmed(text);
    if (t.empty()) return fmt::format("expected a time such as 60s{}, got nothing", allow_auto ? " or auto" : "");
    if (allow_auto && t == "auto") return "";
    try {
        (void)units::parse_time(t);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

std::string scenario_file_problem(const std::string& text) {
    if (text.empty()) return "expected a scenario file, got nothing";
    return input_file_problem(text, max_scenario_bytes).value_or("");
}

std::string sweep_param_problem(const std::string& text) {
    try {
        for (const SweepParam& p : parse_sweep_params(text)) {
            if (p.values.empty()) return fmt::format("sweep parameter '{}' has no values (expected key=v1,v2,...)", text);
        }
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

std::string variant_problem(const std::string& text) {
    try {
        (void)parse_variant(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace s2sim::scenario

#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "models/results.hpp"

namespace s2sim::scenario {

/// The version written into every result.
inline constexpr const char* version = "0.1.0";

/// A percentile q of `count` samples rests on the few samples beyond it; with fewer
/// than this many it is little more than the largest values seen, and reports mark it
/// (`few_samples` in the JSON, a '~' in the table).
inline constexpr double min_samples_beyond_percentile = 10;

/// True when the q-percentile of `count` samples has too few samples beyond it.
[[nodiscard]] bool too_few_samples(std::uint64_t count, double q);

/// The results JSON of docs/results.md. Latency figures of a class with no completed
/// request are null, never a made-up 0.
[[nodiscard]] nlohmann::json to_json(const models::RunResults& results);

/// A readable summary for the terminal: requests, servers, busiest links.
[[nodiscard]] std::string format_table(const models::RunResults& results);

/// Writes requests.csv, ops.csv, servers.csv and links.csv into `folder` (created
/// if missing). Each file is written to a temporary name and renamed, so no file
/// is ever left half-written. Throws s2sim::Error when the folder cannot be written.
void write_csv(const models::RunResults& results, const std::string& folder);

/// {mean, p50, p90, p95, p99, p999, max} of a latency histogram in seconds (nulls when
/// empty), plus "few_samples": [names] for percentiles resting on too few samples.
[[nodiscard]] nlohmann::json latency_json(const stats::LogHistogram& h);

/// A CSV field: as it is, or quoted (with doubled quotes) when it holds a comma, a quote or a newline.
[[nodiscard]] std::string csv_quoted(const std::string& s);

/// A JSON number, or null when not finite (a window where nothing completed has no latency).
[[nodiscard]] nlohmann::json number_or_null(double x);

/// Writes `text` to `path` through an unnamed temporary file and a rename (scenario/files.cpp):
/// never leaves a part or a temporary behind, and replaces only a regular file (a symbolic
/// link is followed to its target). Throws s2sim::Error.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace s2sim::scenario

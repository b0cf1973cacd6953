#pragma once
#include <cstdint>
#include <string>

#include "scenario/spec.hpp"

/// What a scenario will hold in memory, estimated from its Spec before anything is built,
/// so that an impossible size (a billion servers, a trillion users, 100,000 windows of a
/// thousand servers) is refused with its position instead of ending in std::bad_alloc.
namespace s2sim::scenario {

/// Estimated bytes per item, measured on the shop (`/usr/bin/time -v`, maximum RSS over
/// a run and its --json; see docs/limits.md). Rounded up: the check refuses what cannot
/// fit, it does not promise what can.
namespace footprint {
inline constexpr double per_server = 4096;           ///< host, server, statistics, results, output
inline constexpr double per_core = 48;               ///< a core's state (fcfs and priority)
inline constexpr double per_user = 256;              ///< a closed user: its think event and its request in flight
inline constexpr double per_key = 40;                ///< Zipf weights, their cumulative sums and guide table
inline constexpr double per_series_value = 64;       ///< one number of a time series, in memory and in the JSON
inline constexpr double per_histogram = 72 * 1024;   ///< a latency histogram of a result
inline constexpr double per_ring_point = 24;         ///< consistent_hash ring and maglev table entries
}  // namespace footprint

/// Bytes a scenario may be estimated to need before it is refused (default 8 GiB).
[[nodiscard]] std::uint64_t memory_budget();
/// Changes memory_budget(), e.g. for a fuzzer whose process is limited to 2 GiB.
void set_memory_budget(std::uint64_t bytes);

/// "12.3 GiB", "512 MiB", "96 KiB".
[[nodiscard]] std::string bytes_text(double bytes);

/// The time-series windows of one run of `spec`.
[[nodiscard]] double windows_of(const Spec& spec);
/// Numbers one time-series window of `spec` holds (window bounds, each class, server and
/// replication pair).
[[nodiscard]] double series_values_per_window(const Spec& spec);
/// Estimated bytes of one run of `spec`: model, statistics, time series and results.
[[nodiscard]] double run_bytes(const Spec& spec);

/// Throws UsageError when `replications` runs of `spec` (an experiment keeps every run's
/// results) are estimated above memory_budget(), saying the figure.
void check_replications_fit(const Spec& spec, int replications);

}  // namespace s2sim::scenario

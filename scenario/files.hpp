#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

/// Files s2sim reads (scenarios, traces, empirical data) and writes (results): what they
/// are is checked before anything is read or computed, and results are written so that
/// no half-written or temporary file is ever left behind.
namespace s2sim::scenario {

/// Largest scenario file read (bytes): a scenario is a page of text, not a data set.
inline constexpr std::uintmax_t max_scenario_bytes = std::uintmax_t{64} << 20;
/// Largest empirical CSV read (bytes): its values are all held in memory.
inline constexpr std::uintmax_t max_empirical_bytes = std::uintmax_t{1} << 30;

/// What the file system entry at `path` is, for messages: "a folder", "a FIFO (named
/// pipe)", "a character device", ...; "missing" when nothing is there (links are followed).
[[nodiscard]] std::string file_kind(const std::string& path);

/// Why `path` cannot be read as an input file, or nullopt when it can: it must exist, be a
/// regular file (a FIFO would block, /dev/zero never ends) and hold at most `max_bytes`.
/// The message reads "'PATH' is a folder, not a regular file", "'PATH' not found", ...
[[nodiscard]] std::optional<std::string> input_file_problem(const std::string& path, std::uintmax_t max_bytes);

/// Reads the whole regular file at `path` (checked as input_file_problem does).
/// Throws s2sim::Error "cannot read WHAT 'PATH': ..." naming what is wrong.
[[nodiscard]] std::string read_input_file(const std::string& path, std::uintmax_t max_bytes, const std::string& what);

/// Checks, before a run, that a results file can later be written at `path` (for
/// `option`, e.g. "--json"): whatever is there is a regular file (or a link to one) and
/// the folder it goes in exists or can be created, and is writable. Throws UsageError.
void check_output_file(const std::string& path, const std::string& option);

/// Checks, before a run, that CSV files can later be written into `folder` (for
/// `option`): it is a folder or does not exist yet, and the nearest existing folder is
/// writable. Throws UsageError.
void check_output_folder(const std::string& folder, const std::string& option);

/// Runs every write of `writes`, also after one has failed, so that one bad output does not
/// throw away the others; returns the messages of those that threw.
[[nodiscard]] std::vector<std::string> write_each(const std::vector<std::function<void()>>& writes);

}  // namespace s2sim::scenario

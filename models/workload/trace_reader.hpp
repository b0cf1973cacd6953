#pragma once
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace s2sim::models {

/// Parameters of trace replay.
struct TraceArrivals {
    std::string path;      ///< the CSV file (absolute, or relative to the working directory)
    double speedup = 1.0;  ///< trace times are divided by it (> 0)
};

/// One request of a trace.
struct TraceRecord {
    double time_s = 0;        ///< seconds from the start, as written (before speedup)
    std::uint32_t op = 0;     ///< index into the reader's `ops`
    bool has_key = false;
    std::uint64_t key = 0;    ///< the key column: its value if an unsigned integer, else a stable hash of the text
    double size_bytes = -1;   ///< the size column, bytes; < 0 when absent
    std::uint64_t line = 0;   ///< 1-based line in the file
};

/// Streams a request trace from a CSV file, one line at a time, in constant memory.
/// The first line is a header naming the columns, in any order: `time` (seconds from
/// the start, non-decreasing), `op` (an op of the entry service), optionally `key` and
/// `size` (request bytes). Fields are separated by commas, without quoting; spaces
/// around a field and a trailing '\r' are ignored. Every defect is an
/// s2sim::ConfigError at the file, line and column of the field: an unknown, repeated
/// or missing column, a wrong number of fields, an empty line, a number that does not
/// parse, a time that goes backwards, an op not in `ops`. Nothing is skipped.
class TraceReader {
public:
    /// Opens `path` and reads its header. `ops` are the op names a record may name,
    /// `service` the entry service's name (for messages). Throws ConfigError.
    TraceReader(std::string path, std::vector<std::string> ops, std::string service);

    /// Reads the next record into `out`; false at the end of the file. Throws ConfigError.
    bool next(TraceRecord& out);

    [[nodiscard]] bool has_key_column() const { return key_col_ >= 0; }
    [[nodiscard]] bool has_size_column() const { return size_col_ >= 0; }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    [[noreturn]] void fail(std::size_t column, const std::string& message) const;

    std::string path_;
    std::vector<std::string> ops_;
    std::string service_;
    std::ifstream in_;
    std::string line_;  ///< reused: no allocation per line once it is long enough
    std::uint64_t line_no_ = 0;
    int columns_ = 0;
    int time_col_ = -1, op_col_ = -1, key_col_ = -1, size_col_ = -1;
    double last_time_ = 0;
    std::vector<std::size_t> starts_, ends_;  ///< field bounds in line_, reused
};

/// What a full pass over a trace found.
struct TraceSummary {
    std::uint64_t records = 0;
    std::vector<bool> used;  ///< per op of `ops`: named by at least one record
    double last_time_s = 0;  ///< time of the last record (before speedup)
    bool has_key = false;
    bool has_size = false;
};

/// Reads the whole trace once, checking every line (so that a bad line late in a
/// long trace fails the build, not the run). Constant memory. Throws ConfigError.
[[nodiscard]] TraceSummary scan_trace(const std::string& path, const std::vector<std::string>& ops,
                                      const std::string& service);

}  // namespace s2sim::models

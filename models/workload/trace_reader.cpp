#include "models/workload/trace_reader.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "sim/error.hpp"
#include "sim/random.hpp"

namespace s2sim::models {
namespace {

constexpr const char* known_columns = "time, op, key, size";

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace

TraceReader::TraceReader(std::string path, std::vector<std::string> ops, std::string service)
    : path_(std::move(path)), ops_(std::move(ops)), service_(std::move(service)), in_(path_) {
    if (!in_) throw ConfigError(SourcePos{path_, 1, 1}, "cannot open trace '" + path_ + "'");
    if (!std::getline(in_, line_)) {
        throw ConfigError(SourcePos{path_, 1, 1}, "empty trace: expected a header line such as 'time,op,key,size'");
    }
    line_no_ = 1;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    std::size_t start = 0;
    std::vector<std::string> seen;
    for (int column = 0;; ++column) {
        const std::size_t comma = line_.find(',', start);
        const std::size_t end = comma == std::string::npos ? line_.size() : comma;
        std::size_t a = start, b = end;
        while (a < b && is_space(line_[a])) ++a;
        while (b > a && is_space(line_[b - 1])) --b;
        const std::string name = line_.substr(a, b - a);
        int* slot = name == "time" ? &time_col_ : name == "op" ? &op_col_ : name == "key" ? &key_col_
                  : name == "size" ? &size_col_ : nullptr;
        if (slot == nullptr) {
            fail(a + 1, "unknown trace column '" + name + "' (expected: " + known_columns + ")");
        }
        if (*slot >= 0) fail(a + 1, "trace column '" + name + "' appears twice");
        *slot = column;
        seen.push_back(name);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    columns_ = static_cast<int>(seen.size());
    for (const auto& [col, name] : {std::pair{time_col_, "time"}, std::pair{op_col_, "op"}}) {
        if (col < 0) {
            fail(1, std::string("trace header has no '") + name + "' column (found: " + join(seen) +
                        "; expected: " + known_columns + ")");
        }
    }
    starts_.resize(static_cast<std::size_t>(columns_));
    ends_.resize(static_cast<std::size_t>(columns_));
}

void TraceReader::fail(std::size_t column, const std::string& message) const {
    throw ConfigError(SourcePos{path_, static_cast<int>(line_no_), static_cast<int>(column)}, message);
}

bool TraceReader::next(TraceRecord& out) {
    if (!std::getline(in_, line_)) {
        if (in_.bad()) fail(1, "cannot read trace '" + path_ + "'");
        return false;
    }
    ++line_no_;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    // Split into fields, trimmed.
    std::size_t start = 0;
    int n = 0;
    for (;;) {
        const std::size_t comma = line_.find(',', start);
        const std::size_t end = comma == std::string::npos ? line_.size() : comma;
        if (n < columns_) {
            std::size_t a = start, b = end;
            while (a < b && is_space(line_[a])) ++a;
            while (b > a && is_space(line_[b - 1])) --b;
            starts_[n] = a;
            ends_[n] = b;
        }
        ++n;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (n == 1 && starts_[0] == ends_[0]) {
        fail(1, "empty line in trace (expected " + std::to_string(columns_) + " fields, as in the header)");
    }
    if (n != columns_) {
        fail(1, "expected " + std::to_string(columns_) + " fields, as in the header, got " + std::to_string(n));
    }
    auto field = [&](int col) { return std::string_view(line_).substr(starts_[col], ends_[col] - starts_[col]); };
    auto number = [&](int col, const char* what) {
        const std::string_view text = field(col);
        double value = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value) ||
            value < 0) {
            fail(starts_[col] + 1, fmt::format("'{}' is not a {}", text, what));
        }
        return value;
    };
    out.line = line_no_;
    out.time_s = number(time_col_, "time (non-negative seconds, e.g. 12.5)");
    if (out.time_s < last_time_) {
        fail(starts_[time_col_] + 1,
             fmt::format("time {} goes backwards (the previous request is at {:g} s; times must not decrease)",
                         field(time_col_), last_time_));
    }
    last_time_ = out.time_s;
    const std::string_view op = field(op_col_);
    std::uint32_t index = 0;
    while (index < ops_.size() && ops_[index] != op) ++index;
    if (index == ops_.size()) {
        fail(starts_[op_col_] + 1,
             fmt::format("op '{}' is not offered by service '{}' (expected: {})", op, service_, join(ops_)));
    }
    out.op = index;
    out.has_key = key_col_ >= 0;
    if (out.has_key) {
        const std::string_view key = field(key_col_);
        if (key.empty()) fail(starts_[key_col_] + 1, "empty key");
        // An unsigned integer is the key itself (Zipf-style key ids); any other text is hashed.
        std::uint64_t value = 0;
        const auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), value);
        out.key = ec == std::errc() && ptr == key.data() + key.size() ? value : stable_hash(key);
    }
    out.size_bytes = size_col_ >= 0 ? number(size_col_, "size (non-negative bytes, e.g. 2048)") : -1.0;
    return true;
}

TraceSummary scan_trace(const std::string& path, const std::vector<std::string>& ops, const std::string& service) {
    TraceReader reader(path, ops, service);
    TraceSummary summary;
    summary.used.assign(ops.size(), false);
    summary.has_key = reader.has_key_column();
    summary.has_size = reader.has_size_column();
    TraceRecord record;
    while (reader.next(record)) {
        ++summary.records;
        summary.used[record.op] = true;
        summary.last_time_s = record.time_s;
    }
    return summary;
}

}  // namespace s2sim::models

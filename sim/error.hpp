#pragma once
#include <stdexcept>
#include <string>
#include <utility>

namespace s2sim {

/// Base of every error s2sim throws. Nothing in s2sim calls abort or exit:
/// a Jupyter kernel must survive a bad scenario.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Where a value came from in a scenario file: 1-based line and column.
struct SourcePos {
    std::string file;
    int line = 0;
    int column = 0;
};

/// A configuration error that points at the offending value.
/// `what()` reads `file:line:col: error: message`.
class ConfigError : public Error {
public:
    ConfigError(SourcePos where, const std::string& message)
        : Error(where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) +
                ": error: " + message),
          where_(std::move(where)),
          message_(message) {}

    /// The file, line and column of the offending value.
    [[nodiscard]] const SourcePos& where() const { return where_; }
    /// The message without the position prefix.
    [[nodiscard]] const std::string& message() const { return message_; }

private:
    SourcePos where_;
    std::string message_;
};

}  // namespace s2sim

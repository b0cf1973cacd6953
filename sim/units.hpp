#pragma once
#include <string>
#include <string_view>

namespace s2sim::units {

/// Parsers for the unit-carrying strings of docs/scenario.md ("5ms", "10Gbps", ...).
/// Each returns SI base units and throws s2sim::Error with a lowercase message
/// that quotes the input and lists the accepted units, e.g.
///   "number without unit '5' (expected a time such as '5ms')"
///   "unknown unit 'mss' in '5mss' (expected: ns, us, µs, ms, s, min, h, d)".
/// Negative values are rejected ("negative time '-5ms'"); zero is allowed here,
/// callers that need a positive value check it themselves.

/// Seconds, from "250ns", "20us", "20µs", "5ms", "1.5s", "2min", "1h", "1d".
[[nodiscard]] double parse_time(std::string_view text);
/// Bytes, from "512B", "2KB" (2,000), "2KiB" (2,048), "4MB", "1GiB", "1TB", ...
[[nodiscard]] double parse_size(std::string_view text);
/// Bytes per second, from "100Mbps", "10Gbps", "1Tbps", "1kbps", "800bps" (bits/s),
/// or "500MB/s", "1GiB/s", "100B/s" (bytes/s).
[[nodiscard]] double parse_bandwidth(std::string_view text);
/// Metres, from "300m", "1200km", "0.2km".
[[nodiscard]] double parse_distance(std::string_view text);
/// Events per second, from "800/s", "3000/min", "1e6/h", "5/ms", "1/d".
[[nodiscard]] double parse_rate(std::string_view text);
/// Metres per second, from "200000km/s", "2e8m/s".
[[nodiscard]] double parse_speed(std::string_view text);

/// A plain number without a unit ("0.8", "3", "1e6"), e.g. a shape parameter.
/// Throws s2sim::Error on a trailing unit ("unexpected unit 'ms' in '2ms' (expected a
/// plain number)") or on text that is not a finite number. Negative numbers are allowed.
[[nodiscard]] double parse_number(std::string_view text);

/// For labels (graphs, `check`): bytes per second as bits per second with a decimal prefix,
/// 4 significant digits ("10 Gbps", "1.5 Mbps"; "inf" when unbounded).
[[nodiscard]] std::string format_bandwidth(double bytes_per_s);
/// For labels: seconds in the largest unit that keeps the number >= 1, 4 significant digits
/// ("5 us", "1.2 ms", "0 s").
[[nodiscard]] std::string format_time(double seconds);

}  // namespace s2sim::units

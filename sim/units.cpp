#include "sim/units.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim::units {
namespace {

/// value in SI base units = number * mul / div. Sub-unit factors are divisions (5 / 1e3,
/// not 5 * 1e-3) because that rounds decimal inputs correctly: "20us" is exactly 2e-05.
struct Unit {
    std::string_view name;
    double mul;
    double div = 1.0;
};

/// One kind of quantity: its noun for messages, an example and its units.
struct Kind {
    std::string_view noun;
    std::string_view example;
    std::span<const Unit> units;
    std::string_view expected;  // the units as listed in messages
    double max = std::numeric_limits<double>::infinity();  // largest value in base units
    std::string_view max_text = {};                      // ... as messages say it
};

// "µ" may arrive as MICRO SIGN (U+00B5) or GREEK SMALL LETTER MU (U+03BC); both look alike.
constexpr std::array time_units{
    Unit{"ns", 1.0, 1e9},  Unit{"us", 1.0, 1e6}, Unit{"\xC2\xB5s", 1.0, 1e6},
    Unit{"\xCE\xBCs", 1.0, 1e6}, Unit{"ms", 1.0, 1e3}, Unit{"s", 1.0},
    Unit{"min", 60.0},     Unit{"h", 3600.0},    Unit{"d", 86400.0},
};

constexpr std::array size_units{
    Unit{"B", 1.0},      Unit{"KB", 1e3},           Unit{"kB", 1e3},
    Unit{"KiB", 1024.0}, Unit{"MB", 1e6},           Unit{"MiB", 1048576.0},
    Unit{"GB", 1e9},     Unit{"GiB", 1073741824.0}, Unit{"TB", 1e12},
    Unit{"TiB", 1099511627776.0},
};

// Bits per second are divided by 8: the model moves bytes.
constexpr std::array bandwidth_units{
    Unit{"bps", 1.0, 8.0},      Unit{"kbps", 1e3, 8.0},       Unit{"Kbps", 1e3, 8.0},
    Unit{"Mbps", 1e6, 8.0},     Unit{"Gbps", 1e9, 8.0},       Unit{"Tbps", 1e12, 8.0},
    Unit{"B/s", 1.0},          Unit{"KB/s", 1e3},           Unit{"kB/s", 1e3},
    Unit{"KiB/s", 1024.0},     Unit{"MB/s", 1e6},           Unit{"MiB/s", 1048576.0},
    Unit{"GB/s", 1e9},         Unit{"GiB/s", 1073741824.0}, Unit{"TB/s", 1e12},
    Unit{"TiB/s", 1099511627776.0},
};

constexpr std::array distance_units{Unit{"m", 1.0}, Unit{"km", 1e3}};

constexpr std::array rate_units{
    Unit{"/ns", 1e9},         Unit{"/us", 1e6},       Unit{"/\xC2\xB5s", 1e6},
    Unit{"/\xCE\xBCs", 1e6},  Unit{"/ms", 1e3},       Unit{"/s", 1.0},
    Unit{"/min", 1.0, 60.0}, Unit{"/h", 1.0, 3600.0}, Unit{"/d", 1.0, 86400.0},
};

constexpr std::array speed_units{Unit{"m/s", 1.0}, Unit{"km/s", 1e3}};

// Times are int64 nanoseconds (292 years); sums of a few must not overflow either.
constexpr Kind time_kind{"time", "5ms", time_units, "ns, us, \xC2\xB5s, ms, s, min, h, d", 1e9,
                         "1e9 s, about 31 years"};
constexpr Kind size_kind{"size", "4KB", size_units,
                         "B, KB, kB, KiB, MB, MiB, GB, GiB, TB, TiB"};
constexpr Kind bandwidth_kind{"bandwidth", "10Gbps", bandwidth_units,
                              "bps, kbps, Mbps, Gbps, Tbps, B/s, KB/s, KiB/s, MB/s, MiB/s, "
                              "GB/s, GiB/s, TB/s, TiB/s"};
constexpr Kind distance_kind{"distance", "300m", distance_units, "m, km"};
constexpr Kind rate_kind{"rate", "800/s", rate_units,
                         "/ns, /us, /\xC2\xB5s, /ms, /s, /min, /h, /d"};
constexpr Kind speed_kind{"speed", "200000km/s", speed_units, "m/s, km/s"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

/// A number split from its unit; `number` is empty when the text does not start with one.
struct Split {
    std::string_view number;
    std::string_view unit;
};

/// Splits "  1.5e3 ms " into "1.5e3" and "ms". Surrounding blanks and blanks between the
/// number and its unit are tolerated, because people write "5 ms".
Split split_number(std::string_view text) {
    const std::string_view s = trim(text);
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && is_digit(s[i])) ++i, ++digits;
    }
    if (digits == 0) return {{}, s};
    // An exponent only when digits follow, so that no unit starting with 'e' is eaten.
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
        if (j < s.size() && is_digit(s[j])) {
            while (j < s.size() && is_digit(s[j])) ++j;
            i = j;
        }
    }
    return {s.substr(0, i), trim(s.substr(i))};
}

/// The value of a number accepted by split_number; nullopt when out of range.
std::optional<double> to_double(std::string_view number) {
    bool negative = false;
    if (!number.empty() && (number.front() == '+' || number.front() == '-')) {
        negative = number.front() == '-';
        number.remove_prefix(1);
    }
    double value = 0.0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc{} || end != number.data() + number.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return negative ? -value : value;
}

double parse(std::string_view text, const Kind& kind) {
    const Split split = split_number(text);
    if (split.number.empty()) {
        if (trim(text).empty()) {
            throw Error(fmt::format("empty {} '{}' (expected a {} such as '{}')", kind.noun, text,
                                    kind.noun, kind.example));
        }
        throw Error(fmt::format("invalid {} '{}' (expected a number and a unit such as '{}')",
                                kind.noun, text, kind.example));
    }
    if (split.unit.empty()) {
        throw Error(fmt::format("number without unit '{}' (expected a {} such as '{}')", text,
                                kind.noun, kind.example));
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kind.units) {
        if (u.name == split.unit) unit = &u;
    }
    if (unit == nullptr) {
        throw Error(fmt::format("unknown unit '{}' in '{}' (expected: {})", split.unit, text,
                                kind.expected));
    }
    const std::optional<double> number = to_double(split.number);
    const double value = number ? *number * unit->mul / unit->div : 0.0;
    if (!number || !std::isfinite(value)) {
        throw Error(fmt::format("{} '{}' is out of range", kind.noun, text));
    }
    if (*number < 0.0) throw Error(fmt::format("negative {} '{}'", kind.noun, text));
    if (value > kind.max) {
        throw Error(fmt::format("{} '{}' is out of range (expected at most {})", kind.noun, text, kind.max_text));
    }
    // "-0ms" is zero, not a negative zero that would print as "-0".
    return value == 0.0 ? 0.0 : value;
}

}  // namespace

double parse_time(std::string_view text) { return parse(text, time_kind); }
double parse_size(std::string_view text) { return parse(text, size_kind); }
double parse_bandwidth(std::string_view text) { return parse(text, bandwidth_kind); }
double parse_distance(std::string_view text) { return parse(text, distance_kind); }
double parse_rate(std::string_view text) { return parse(text, rate_kind); }
double parse_speed(std::string_view text) { return parse(text, speed_kind); }

double parse_number(std::string_view text) {
    const Split split = split_number(text);
    if (split.number.empty()) {
        throw Error(fmt::format("invalid number '{}' (expected a plain number such as '2')", text));
    }
    if (!split.unit.empty()) {
        throw Error(fmt::format("unexpected unit '{}' in '{}' (expected a plain number)",
                                split.unit, text));
    }
    const std::optional<double> number = to_double(split.number);
    if (!number) throw Error(fmt::format("number '{}' is out of range", text));
    return *number;
}

std::string format_bandwidth(double bytes_per_s) {
    if (std::isinf(bytes_per_s)) return "inf";
    double bits = bytes_per_s * 8.0;
    static constexpr const char* prefixes[] = {"", "k", "M", "G", "T", "P"};
    std::size_t i = 0;
    while (bits >= 1000.0 && i + 1 < std::size(prefixes)) {
        bits /= 1000.0;
        ++i;
    }
    return fmt::format("{:.4g} {}bps", bits, prefixes[i]);
}

std::string format_time(double s) {
    if (s == 0.0) return "0 s";
    if (s >= 1.0) return fmt::format("{:.4g} s", s);
    if (s >= 1e-3) return fmt::format("{:.4g} ms", s * 1e3);
    if (s >= 1e-6) return fmt::format("{:.4g} us", s * 1e6);
    return fmt::format("{:.4g} ns", s * 1e9);
}

}  // namespace s2sim::units

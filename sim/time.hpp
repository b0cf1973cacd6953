#pragma once
#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>

namespace s2sim {

/// Simulated time (and durations) as a whole number of nanoseconds.
/// 64 bits resolve a nanosecond over 292 years, so weeks of simulated time
/// keep full resolution and sums are exact, which keeps reruns bit-identical.
class Time {
public:
    constexpr Time() = default;

    [[nodiscard]] static constexpr Time from_ns(std::int64_t ns) { return Time(ns); }
    /// Rounds to the nearest nanosecond (half away from zero; inline, unlike llround).
    [[nodiscard]] static constexpr Time from_seconds(double s) {
        const double ns = s * 1e9;
        return Time(static_cast<std::int64_t>(ns >= 0 ? ns + 0.5 : ns - 0.5));
    }
    [[nodiscard]] static constexpr Time zero() { return Time(0); }
    [[nodiscard]] static constexpr Time max() {
        return Time(std::numeric_limits<std::int64_t>::max());
    }

    [[nodiscard]] constexpr std::int64_t ns() const { return ns_; }
    [[nodiscard]] constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }

    constexpr auto operator<=>(const Time&) const = default;
    constexpr Time& operator+=(Time d) { ns_ += d.ns_; return *this; }
    constexpr Time& operator-=(Time d) { ns_ -= d.ns_; return *this; }
    friend constexpr Time operator+(Time a, Time b) { return Time(a.ns_ + b.ns_); }
    friend constexpr Time operator-(Time a, Time b) { return Time(a.ns_ - b.ns_); }

private:
    constexpr explicit Time(std::int64_t ns) : ns_(ns) {}
    std::int64_t ns_ = 0;
};

}  // namespace s2sim

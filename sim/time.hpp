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
    /// Beyond +-292 years (and for NaN) it saturates at max() or -max(): a huge sampled
    /// delay then means "never" instead of an undefined conversion.
    [[nodiscard]] static constexpr Time from_seconds(double s) {
        const double ns = s * 1e9;
        constexpr double limit = 9.2e18;  // just below 2^63
        if (!(ns < limit)) return max();  // NaN too
        if (ns <= -limit) return Time(-max().ns_);
        return Time(static_cast<std::int64_t>(ns >= 0 ? ns + 0.5 : ns - 0.5));
    }
    [[nodiscard]] static constexpr Time zero() { return Time(0); }
    [[nodiscard]] static constexpr Time max() {
        return Time(std::numeric_limits<std::int64_t>::max());
    }

    [[nodiscard]] constexpr std::int64_t ns() const { return ns_; }
    [[nodiscard]] constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }

    constexpr auto operator<=>(const Time&) const = default;
    /// Sums saturate at max() (or -max()), so that a time plus a "never" stays "never"
    /// rather than overflowing (undefined behaviour); one well-predicted branch.
    constexpr Time& operator+=(Time d) { return *this = *this + d; }
    constexpr Time& operator-=(Time d) { ns_ -= d.ns_; return *this; }
    friend constexpr Time operator+(Time a, Time b) {
        std::int64_t sum = 0;
        if (__builtin_add_overflow(a.ns_, b.ns_, &sum)) return b.ns_ > 0 ? max() : Time(-max().ns_);
        return Time(sum);
    }
    friend constexpr Time operator-(Time a, Time b) { return Time(a.ns_ - b.ns_); }

private:
    constexpr explicit Time(std::int64_t ns) : ns_(ns) {}
    std::int64_t ns_ = 0;
};

}  // namespace s2sim

#pragma once
#include "sim/time.hpp"

namespace s2sim::stats {

/// Time-weighted average of a piecewise-constant signal such as a queue length or the
/// number of busy cores: the signal holds `value` from each update() to the next.
/// Times are simulated times; the average is per second of the observed span.
class TimeWeighted {
public:
    /// Starts observing at `start` with the signal at `value`.
    explicit TimeWeighted(Time start = Time::zero(), double value = 0.0)
        : start_(start), last_(start), value_(value), min_(value), max_(value) {}

    /// The signal becomes `value` at `now`; throws s2sim::Error if `now` is before the
    /// previous update or reset.
    void update(Time now, double value) {
        update_mean_only(now, value);
        if (value < min_) min_ = value;
        if (value > max_) max_ = value;
    }

    /// update() for a signal whose min() and max() are not read: leaves them alone (they
    /// keep the value at the start or last reset), two compares less.
    void update_mean_only(Time now, double value) {
        if (now < last_) backwards(now);
        area_ += value_ * static_cast<double>((now - last_).ns());
        last_ = now;
        value_ = value;
    }

    /// Time average over [start or last reset, now]; the current value when that span is
    /// empty. `now` must not be before the last update.
    [[nodiscard]] double mean(Time now) const;
    /// Integral of the signal over [start or last reset, now], in value-seconds (e.g.
    /// busy core-seconds).
    [[nodiscard]] double integral(Time now) const;
    /// Largest value held since the start or last reset (the value at reset included).
    [[nodiscard]] double max() const { return max_; }
    /// Smallest value held since the start or last reset (the value at reset included).
    [[nodiscard]] double min() const { return min_; }
    /// The value the signal holds now.
    [[nodiscard]] double value() const { return value_; }
    /// Forgets the history before `now` but keeps the current value: used at the end of
    /// the warm-up.
    void reset(Time now);

private:
    [[noreturn]] void backwards(Time now) const;

    Time start_;
    Time last_;
    double value_;
    double area_ = 0.0;  // value * nanoseconds up to last_
    double min_;
    double max_;
};

}  // namespace s2sim::stats

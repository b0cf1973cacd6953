#pragma once
#include <cstdint>
#include <limits>

namespace s2sim::stats {

/// Streaming count, mean, variance, min and max (Welford 1962), numerically stable for
/// long runs; two accumulators merge exactly (Chan, Golub, LeVeque 1979), so replications
/// or threads can be summarised apart and combined. Values are in the caller's unit.
class Welford {
public:
    /// Adds one value.
    void add(double x) {
        ++count_;
        const double delta = x - mean_;
        mean_ += delta / static_cast<double>(count_);
        m2_ += delta * (x - mean_);
        if (x < min_) min_ = x;
        if (x > max_) max_ = x;
    }

    /// Number of values added.
    [[nodiscard]] std::uint64_t count() const { return count_; }
    /// Sample mean; NaN when empty.
    [[nodiscard]] double mean() const;
    /// Unbiased sample variance (divisor n - 1); NaN for fewer than 2 values.
    [[nodiscard]] double variance() const;
    /// Square root of variance().
    [[nodiscard]] double stddev() const;
    /// Smallest value added; NaN when empty.
    [[nodiscard]] double min() const;
    /// Largest value added; NaN when empty.
    [[nodiscard]] double max() const;

    /// Combines `other` into this, as if its values had been added here.
    void merge(const Welford& other);
    /// Forgets every value.
    void reset() { *this = Welford{}; }

private:
    std::uint64_t count_ = 0;
    double mean_ = 0.0;
    double m2_ = 0.0;  // sum of squared deviations from the mean
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace s2sim::stats

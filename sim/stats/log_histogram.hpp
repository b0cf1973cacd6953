#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace s2sim::stats {

/// A streaming histogram of non-negative values (seconds, usually), HdrHistogram-like:
/// log-linear buckets, 2^sub_bits linear sub-buckets per power of two from 2^min_exponent
/// to 2^max_exponent (about 0.9 ps to 194 days), plus one bucket below (zero and tiny
/// values) and one above. Memory is constant: bucket_count() counters, allocated on the
/// first record (64 KiB) so that histograms never written to cost almost nothing.
/// count, min, max and mean are exact; quantile() is within max_relative_error of the
/// exact sample quantile for values inside the bucketed range.
class LogHistogram {
public:
    static constexpr int min_exponent = -40;
    static constexpr int max_exponent = 24;
    static constexpr int sub_bits = 7;
    /// Number of counters: one per sub-bucket of each power of two in range.
    [[nodiscard]] static constexpr std::size_t bucket_count() {
        return static_cast<std::size_t>(max_exponent - min_exponent) << sub_bits;
    }
    /// Bound on |quantile() - exact| / exact inside the bucketed range: half a bucket
    /// width over the bucket's lower edge, 2^-(sub_bits + 1) = 0.39%.
    static constexpr double max_relative_error = 1.0 / (2 << sub_bits);

    /// Adds one value; throws s2sim::Error when `value` is negative, NaN or infinite.
    void record(double value) {
        if (!(value >= 0.0 && value <= std::numeric_limits<double>::max())) reject(value);
        ++count_;
        sum_ += value;
        if (value < min_) min_ = value;
        if (value > max_) max_ = value;
        const auto bits = std::bit_cast<std::uint64_t>(value);
        // The exponent and top mantissa bits of the double are the bucket index.
        const int exponent = static_cast<int>(bits >> 52) - 1023;
        if (exponent < min_exponent) {
            ++underflow_;
        } else if (exponent >= max_exponent) {
            ++overflow_;
        } else {
            if (counts_.empty()) allocate();
            const auto sub = static_cast<std::size_t>(bits >> (52 - sub_bits)) &
                             ((std::size_t{1} << sub_bits) - 1);
            ++counts_[(static_cast<std::size_t>(exponent - min_exponent) << sub_bits) | sub];
        }
    }

    /// Number of values recorded.
    [[nodiscard]] std::uint64_t count() const { return count_; }
    /// Smallest value recorded; NaN when empty.
    [[nodiscard]] double min() const;
    /// Largest value recorded; NaN when empty.
    [[nodiscard]] double max() const;
    /// Exact mean (from a running sum); NaN when empty.
    [[nodiscard]] double mean() const;
    /// Sum of the values recorded.
    [[nodiscard]] double sum() const { return sum_; }

    /// The q-quantile, q in [0, 1]: the smallest recorded value v with at least
    /// sample_rank(q, count()) values <= v, reported as the midpoint of v's bucket clamped
    /// to [min(), max()]; ranks 1 and count() report min() and max() exactly. Values below
    /// 2^min_exponent report min(), above 2^max_exponent max(). NaN when empty; throws
    /// s2sim::Error when q is outside [0, 1].
    [[nodiscard]] double quantile(double q) const;

    /// Adds every value `other` recorded, as if recorded here.
    void merge(const LogHistogram& other);
    /// Forgets every value; keeps the allocated counters.
    void reset();

    /// Counters currently allocated: 0 before the first record, bucket_count() after,
    /// whatever the number of values.
    [[nodiscard]] std::size_t allocated_buckets() const { return counts_.size(); }

private:
    [[noreturn]] static void reject(double value);
    void allocate();

    std::vector<std::uint64_t> counts_;
    std::uint64_t underflow_ = 0;
    std::uint64_t overflow_ = 0;
    std::uint64_t count_ = 0;
    double sum_ = 0.0;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
};

/// The rank (1-based) of the q-quantile among n sorted values: ceil(q * n) clamped to
/// [1, n], with a relative slack of 1e-12 so that 0.99 * 100 counts as 99 despite rounding.
[[nodiscard]] std::uint64_t sample_rank(double q, std::uint64_t n);

}  // namespace s2sim::stats

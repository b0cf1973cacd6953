#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
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
        // One unsigned comparison picks out the values in range: below it the position is
        // negative, so it wraps to a number as large as those above it.
        const std::int64_t p = position(value);
        if (static_cast<std::uint64_t>(p) < bucket_count()) {
            if (counts_.empty()) allocate();
            ++counts_[static_cast<std::size_t>(p)];
        } else if (p < 0) {
            ++underflow_;
        } else {
            ++overflow_;
        }
    }

    /// The index in buckets() of the counter record(value) adds to when 2^min_exponent <= value
    /// < 2^max_exponent; 0 for smaller values (counted in underflow()) and bucket_count() - 1 for
    /// larger ones (overflow()), the counters nearest them. Never decreases as `value` (>= 0) grows.
    [[nodiscard]] static constexpr std::size_t bucket_index(double value) {
        const std::int64_t p = position(value);
        if (p < 0) return 0;
        return p < static_cast<std::int64_t>(bucket_count()) ? static_cast<std::size_t>(p) : bucket_count() - 1;
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

    /// The counters, bucket_index() order: empty until a value within [2^min_exponent,
    /// 2^max_exponent) is recorded, then bucket_count() of them. Valid until the next record(),
    /// merge() or assignment.
    [[nodiscard]] std::span<const std::uint64_t> buckets() const { return counts_; }
    /// Number of values recorded below 2^min_exponent (zero included).
    [[nodiscard]] std::uint64_t underflow() const { return underflow_; }
    /// Number of values recorded from 2^max_exponent up.
    [[nodiscard]] std::uint64_t overflow() const { return overflow_; }

    /// The histogram with exactly this state, as read from buckets(), underflow(), overflow(),
    /// count(), sum(), min() and max(), so that a histogram can be stored or sent and restored.
    /// `buckets` is copied. Throws s2sim::Error when no sequence of record() and merge() could
    /// have produced the state: `buckets` holds neither 0 nor bucket_count() counters; the
    /// counters, underflow and overflow do not add up to `count`; or, when `count` > 0, min and
    /// max are not 0 <= min <= max < inf, `sum` is below max, a value is counted outside
    /// [bucket of min, bucket of max] (underflow and overflow included), or min's or max's own
    /// bucket is empty. When `count` is 0, `min` and `max` are ignored (min() and max() give NaN)
    /// and `sum` must be 0.
    [[nodiscard]] static LogHistogram from_state(std::span<const std::uint64_t> buckets, std::uint64_t underflow,
                                                 std::uint64_t overflow, std::uint64_t count, double sum, double min,
                                                 double max);

    /// Counters currently allocated: 0 before the first record, bucket_count() after,
    /// whatever the number of values.
    [[nodiscard]] std::size_t allocated_buckets() const { return counts_.size(); }

private:
    /// Where `value` falls in an unbounded row of counters that has buckets() at 0 to
    /// bucket_count() - 1: negative below 2^min_exponent, bucket_count() and up from
    /// 2^max_exponent. The biased exponent and the top sub_bits mantissa bits of a double, read
    /// as one integer, grow with its value; dropping the sign bit files -0.0 with 0.
    [[nodiscard]] static constexpr std::int64_t position(double value) {
        const std::uint64_t bits = std::bit_cast<std::uint64_t>(value) << 1;
        return static_cast<std::int64_t>(bits >> (53 - sub_bits)) -
               (std::int64_t{1023 + min_exponent} << sub_bits);
    }
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

#pragma once
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace s2sim::stats {

/// A streaming histogram of non-negative values (seconds, usually), HdrHistogram-like:
/// log-linear buckets, 2^sub_bits linear sub-buckets per power of two from 2^min_exponent
/// to 2^max_exponent (about 0.9 ps to 194 days), plus one bucket below (zero and tiny
/// values) and one above. count, min, max, sum and mean are exact; quantile() is within
/// max_relative_error (2^-10, under 0.1%) of the exact sample quantile for values inside
/// the bucketed range.
///
/// Memory follows the values, not the range: 32-bit counters are held only for a window of
/// buckets that covers every bucket touched, grown on demand by whole chunks of
/// chunk_buckets (an eighth of a power of two, 256 bytes). Values spanning two decades (6.64
/// powers of two, 3,402 buckets) cost at most 55 chunks, 13.75 KiB; nothing is allocated
/// before the first value in range. A counter that would wrap past 2^32 - 1 carries into a
/// small sorted list of high words.
class LogHistogram {
public:
    static constexpr int min_exponent = -40;
    static constexpr int max_exponent = 24;
    static constexpr int sub_bits = 9;
    /// Buckets per chunk of the counter window: the unit in which it grows.
    static constexpr std::size_t chunk_buckets = std::size_t{1} << (sub_bits - 3);
    /// Number of buckets in range: one per sub-bucket of each power of two.
    [[nodiscard]] static constexpr std::size_t bucket_count() {
        return static_cast<std::size_t>(max_exponent - min_exponent) << sub_bits;
    }
    /// Bound on |quantile() - exact| / exact inside the bucketed range: half a bucket width
    /// over the bucket's lower edge, 2^-(sub_bits + 1) = 2^-10 = 0.098%. A reporter may take
    /// max_relative_error * quantile() as the resolution of any quantile.
    static constexpr double max_relative_error = 1.0 / (2 << sub_bits);

    /// One non-empty bucket: its index (as bucket_index()) and the values it counts.
    struct Bucket {
        std::size_t index = 0;
        std::uint64_t count = 0;
        friend bool operator==(const Bucket&, const Bucket&) = default;
    };

    /// Adds one value; throws s2sim::Error when `value` is negative, NaN or infinite.
    /// O(1); allocates only when `value` falls outside the buckets already held.
    void record(double value) {
        if (!(value >= 0.0 && value <= std::numeric_limits<double>::max())) reject(value);
        record_duration(value);
    }
    /// record(value) of a `value` known to be >= 0 and finite (a duration: a difference of
    /// integer times, later minus earlier), without the check.
    void record_duration(double value) {
        assert(value >= 0.0 && value <= std::numeric_limits<double>::max());
        ++count_;
        sum_ += value;
        if (value < min_) min_ = value;
        if (value > max_) max_ = value;
        // One unsigned comparison picks out the buckets held: below the window the offset is
        // negative, so it wraps to a number as large as those above it.
        const auto i = static_cast<std::uint64_t>(position(value) - first_);
        if (i < counts_.size()) [[likely]] {
            if (++counts_[i] == 0) [[unlikely]] carry(first_ + static_cast<std::int64_t>(i), 1);
        } else {
            record_outside(position(value));
        }
    }

    /// The counter record(value) would increment, with a hint to the processor to fetch it;
    /// null when `value` is outside the counters held. A caller recording a batch of values
    /// takes all their counters first, so that their cache misses overlap, then records each
    /// with record_at(). Valid until the window grows (record() of a value outside it, or
    /// merge()), which may move the counters.
    [[nodiscard]] std::uint32_t* counter_for(double value) {
        const auto i = static_cast<std::uint64_t>(position(value) - first_);
        if (i >= counts_.size()) return nullptr;
        std::uint32_t* counter = counts_.data() + i;
        __builtin_prefetch(counter, 1);
        return counter;
    }
    /// record(value) of a `value` known to be >= 0 and finite (a duration), whose counter_for()
    /// is `counter`, not null: the same figures without the bucket's computation and the check.
    void record_at(double value, std::uint32_t* counter) {
        ++count_;
        sum_ += value;
        if (value < min_) min_ = value;
        if (value > max_) max_ = value;
        if (++*counter == 0) [[unlikely]] carry(first_ + (counter - counts_.data()), 1);
    }

    /// The index of the bucket record(value) counts in when 2^min_exponent <= value <
    /// 2^max_exponent; 0 for smaller values (counted in underflow()) and bucket_count() - 1 for
    /// larger ones (overflow()), the buckets nearest them. Never decreases as `value` (>= 0) grows.
    [[nodiscard]] static constexpr std::size_t bucket_index(double value) {
        const std::int64_t p = position(value);
        if (p < 0) return 0;
        return p < static_cast<std::int64_t>(bucket_count()) ? static_cast<std::size_t>(p) : bucket_count() - 1;
    }
    /// The smallest value bucket `index` (< bucket_count()) counts; it holds [lower, lower +
    /// its width).
    [[nodiscard]] static double bucket_lower(std::size_t index);
    /// Width of the bucket `value` falls in (same unit as `value`): 2^(e - sub_bits) for
    /// 2^e <= value < 2^(e+1) inside the range, 2^min_exponent below it (the underflow bucket
    /// [0, 2^min_exponent)), infinity from 2^max_exponent up; NaN for a negative or NaN value.
    /// A quantile reported from a bucket is within half this width of the exact one.
    [[nodiscard]] static double resolution(double value);

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
    /// Forgets every value; keeps the counters allocated (so that a histogram reset per
    /// time-series window stops allocating once its range is known) and clears only those
    /// between min()'s and max()'s buckets.
    void reset();

    /// The non-empty buckets in increasing index order (out-of-range values are in
    /// underflow() and overflow()): with them, a histogram can be stored or sent and
    /// restored by from_state().
    [[nodiscard]] std::vector<Bucket> buckets() const;
    /// Number of values recorded below 2^min_exponent (zero included).
    [[nodiscard]] std::uint64_t underflow() const { return underflow_; }
    /// Number of values recorded from 2^max_exponent up.
    [[nodiscard]] std::uint64_t overflow() const { return overflow_; }

    /// The histogram with exactly this state, as read from buckets(), underflow(), overflow(),
    /// count(), sum(), min() and max(). Throws s2sim::Error when no sequence of record() and
    /// merge() could have produced the state: a bucket index is out of range, repeated or out
    /// of order, or a listed bucket is empty; the buckets, underflow and overflow do not add up
    /// to `count`; or, when `count` > 0, min and max are not 0 <= min <= max < inf, `sum` is
    /// below max, a value is counted outside [bucket of min, bucket of max] (underflow and
    /// overflow included), or min's or max's own bucket is empty. When `count` is 0, `min` and
    /// `max` are ignored (min() and max() give NaN) and `sum` must be 0.
    [[nodiscard]] static LogHistogram from_state(std::span<const Bucket> buckets, std::uint64_t underflow,
                                                 std::uint64_t overflow, std::uint64_t count, double sum, double min,
                                                 double max);

    /// Counters currently allocated: 0 before the first value in range, then whole chunks
    /// covering every bucket touched since (reset() keeps them), whatever the number of values.
    [[nodiscard]] std::size_t allocated_buckets() const { return counts_.size(); }
    /// Heap bytes held: the counters and the high words of those that passed 2^32 - 1.
    [[nodiscard]] std::size_t allocated_bytes() const {
        return counts_.capacity() * sizeof(std::uint32_t) + carries_.capacity() * sizeof(Carry);
    }

private:
    /// Where `value` falls in an unbounded row of buckets that has bucket 0 to bucket_count() - 1
    /// in range: negative below 2^min_exponent, bucket_count() and up from 2^max_exponent. The
    /// biased exponent and the top sub_bits mantissa bits of a double, read as one integer,
    /// grow with its value; dropping the sign bit files -0.0 with 0.
    [[nodiscard]] static constexpr std::int64_t position(double value) {
        const std::uint64_t bits = std::bit_cast<std::uint64_t>(value) << 1;
        return static_cast<std::int64_t>(bits >> (53 - sub_bits)) -
               (std::int64_t{1023 + min_exponent} << sub_bits);
    }
    /// The high 32 bits of one bucket's count, for the rare counter that passed 2^32 - 1.
    struct Carry {
        std::uint32_t bucket;
        std::uint32_t high;
    };
    [[noreturn]] static void reject(double value);
    /// record() of a value outside the window of counters: underflow, overflow or growth.
    void record_outside(std::int64_t position);
    /// Grows the window of counters to hold buckets `lo` to `hi` (in range), by whole chunks.
    void cover(std::int64_t lo, std::int64_t hi);
    /// Adds `high` * 2^32 to the count of `bucket`.
    void carry(std::int64_t bucket, std::uint32_t high);
    /// The full count of the bucket at `i` in counts_, given `next`, the first carry of a
    /// bucket >= it (moved past the bucket's carry, if any).
    [[nodiscard]] std::uint64_t full_count(std::size_t i, std::vector<Carry>::const_iterator& next) const;

    // What record() reads comes first, in one cache line of 64 bytes when the histogram is
    // aligned to 64; the rest is touched rarely.
    std::uint64_t count_ = 0;
    double sum_ = 0.0;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
    std::int64_t first_ = 0;             ///< bucket index of counts_[0]
    std::vector<std::uint32_t> counts_;  ///< low 32 bits of the counts of buckets first_, first_ + 1, ...
    std::uint64_t underflow_ = 0;
    std::uint64_t overflow_ = 0;
    std::vector<Carry> carries_;  ///< by increasing bucket; usually empty
};

/// The rank (1-based) of the q-quantile among n sorted values: ceil(q * n) clamped to
/// [1, n], with a relative slack of 1e-12 so that 0.99 * 100 counts as 99 despite rounding.
[[nodiscard]] std::uint64_t sample_rank(double q, std::uint64_t n);

}  // namespace s2sim::stats

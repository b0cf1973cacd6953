#include "sim/stats/log_histogram.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim::stats {

void LogHistogram::reject(double value) {
    throw Error(fmt::format("histogram: cannot record {} (expected a finite value >= 0)", value));
}

void LogHistogram::allocate() { counts_.assign(bucket_count(), 0); }

double LogHistogram::min() const { return count_ == 0 ? std::nan("") : min_; }
double LogHistogram::max() const { return count_ == 0 ? std::nan("") : max_; }
double LogHistogram::mean() const {
    return count_ == 0 ? std::nan("") : sum_ / static_cast<double>(count_);
}

std::uint64_t sample_rank(double q, std::uint64_t n) {
    const double x = q * static_cast<double>(n);
    const auto k = static_cast<std::uint64_t>(std::ceil(x - x * 1e-12));
    return std::clamp<std::uint64_t>(k, 1, n);
}

double LogHistogram::quantile(double q) const {
    if (!(q >= 0.0 && q <= 1.0)) {
        throw Error(fmt::format("histogram: quantile {} is outside [0, 1]", q));
    }
    if (count_ == 0) return std::nan("");
    const std::uint64_t rank = sample_rank(q, count_);
    // The extreme ranks are known exactly, whatever their buckets.
    if (rank == 1) return min_;
    if (rank == count_) return max_;
    std::uint64_t seen = underflow_;
    if (seen >= rank) return min_;
    constexpr std::size_t subs = std::size_t{1} << sub_bits;
    // Every bucket below the one holding min() is empty: start there rather than
    // scanning the thousands of buckets below typical latencies.
    const std::size_t first = bucket_index(min_);
    for (std::size_t i = first; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            const int exponent = static_cast<int>(i >> sub_bits) + min_exponent;
            const double sub = static_cast<double>(i & (subs - 1));
            const double lower = std::ldexp(1.0 + sub / subs, exponent);
            const double upper = std::ldexp(1.0 + (sub + 1.0) / subs, exponent);
            return std::clamp(0.5 * (lower + upper), min_, max_);
        }
    }
    return max_;  // in the overflow bucket
}

LogHistogram LogHistogram::from_state(std::span<const std::uint64_t> buckets, std::uint64_t underflow,
                                      std::uint64_t overflow, std::uint64_t count, double sum, double min,
                                      double max) {
    if (!buckets.empty() && buckets.size() != bucket_count()) {
        throw Error(fmt::format("a histogram's state has {} counters (expected 0 or {})", buckets.size(),
                                bucket_count()));
    }
    // Added with a check for wrapping: huge counters must not fake the total.
    std::uint64_t total = 0;
    bool wrapped = false;
    const auto add = [&](std::uint64_t n) {
        wrapped = wrapped || n > std::numeric_limits<std::uint64_t>::max() - total;
        total += n;
    };
    add(underflow);
    add(overflow);
    for (const std::uint64_t n : buckets) add(n);
    if (wrapped || total != count) {
        throw Error(fmt::format("a histogram's buckets hold {} values but its count is {}",
                                wrapped ? "2^64 or more" : fmt::to_string(total), count));
    }
    LogHistogram h;
    h.counts_.assign(buckets.begin(), buckets.end());
    if (count == 0) {
        if (sum != 0.0) throw Error(fmt::format("a histogram of no values has sum {} (expected 0)", sum));
        return h;
    }
    if (!(min >= 0.0 && min <= max && max <= std::numeric_limits<double>::max())) {
        throw Error(fmt::format("a histogram's min {} and max {} are not 0 <= min <= max < inf", min, max));
    }
    // Sums of values >= 0 never round below a term, so a recorded or merged sum is >= max.
    if (!(sum >= max)) throw Error(fmt::format("a histogram's sum {} is below its max {}", sum, max));
    // quantile() starts at min()'s bucket and reset() clears only the buckets from min()'s
    // to max()'s: a count outside them would give wrong quantiles, or outlive a reset.
    const std::int64_t lo = position(min);
    const std::int64_t hi = position(max);
    if (underflow > 0 && lo >= 0) {
        throw Error(fmt::format("a histogram's underflow is {} but its min {} is not below {}", underflow, min,
                                std::ldexp(1.0, min_exponent)));
    }
    if (overflow > 0 && hi < static_cast<std::int64_t>(bucket_count())) {
        throw Error(fmt::format("a histogram's overflow is {} but its max {} is below {}", overflow, max,
                                std::ldexp(1.0, max_exponent)));
    }
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        if (buckets[i] != 0 && (static_cast<std::int64_t>(i) < lo || static_cast<std::int64_t>(i) > hi)) {
            throw Error(fmt::format("a histogram's bucket {} lies outside its min {} and max {}", i, min, max));
        }
    }
    // min and max are recorded values: the counters they fall in are not empty.
    const auto held = [&](std::int64_t p) {
        if (p < 0) return underflow;
        if (p >= static_cast<std::int64_t>(bucket_count())) return overflow;
        return buckets.empty() ? std::uint64_t{0} : buckets[static_cast<std::size_t>(p)];
    };
    if (held(lo) == 0) throw Error(fmt::format("a histogram counts no value in the bucket of its min {}", min));
    if (held(hi) == 0) throw Error(fmt::format("a histogram counts no value in the bucket of its max {}", max));
    h.underflow_ = underflow;
    h.overflow_ = overflow;
    h.count_ = count;
    h.sum_ = sum;
    h.min_ = min;
    h.max_ = max;
    return h;
}

void LogHistogram::merge(const LogHistogram& other) {
    if (other.count_ == 0) return;
    if (!other.counts_.empty()) {
        if (counts_.empty()) allocate();
        for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    }
    underflow_ += other.underflow_;
    overflow_ += other.overflow_;
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

void LogHistogram::reset() {
    // Recorded values lie in [min_, max_] and the bucket index grows with the value,
    // so only the counters between their buckets can be non-zero: clearing just those
    // keeps a reset per time-series window cheap.
    if (count_ > 0 && !counts_.empty()) {
        std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(bucket_index(min_)),
                  counts_.begin() + static_cast<std::ptrdiff_t>(bucket_index(max_)) + 1, 0);
    }
    underflow_ = overflow_ = count_ = 0;
    sum_ = 0.0;
    min_ = std::numeric_limits<double>::infinity();
    max_ = -std::numeric_limits<double>::infinity();
}

}  // namespace s2sim::stats

#include "sim/stats/log_histogram.hpp"

#include <algorithm>
#include <bit>
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
    std::size_t first = 0;
    if (const int min_exp = static_cast<int>(std::bit_cast<std::uint64_t>(min_) >> 52) - 1023; min_exp > min_exponent) {
        first = std::min(counts_.size(), static_cast<std::size_t>(min_exp - min_exponent) << sub_bits);
    }
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
        const auto index = [](double v) {
            const auto bits = std::bit_cast<std::uint64_t>(v);
            const int exponent = static_cast<int>(bits >> 52) - 1023;
            if (exponent < min_exponent) return std::size_t{0};
            if (exponent >= max_exponent) return bucket_count() - 1;
            return (static_cast<std::size_t>(exponent - min_exponent) << sub_bits) |
                   (static_cast<std::size_t>(bits >> (52 - sub_bits)) & ((std::size_t{1} << sub_bits) - 1));
        };
        std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(index(min_)),
                  counts_.begin() + static_cast<std::ptrdiff_t>(index(max_)) + 1, 0);
    }
    underflow_ = overflow_ = count_ = 0;
    sum_ = 0.0;
    min_ = std::numeric_limits<double>::infinity();
    max_ = -std::numeric_limits<double>::infinity();
}

}  // namespace s2sim::stats

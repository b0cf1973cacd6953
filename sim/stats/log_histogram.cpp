#include "sim/stats/log_histogram.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim::stats {

namespace {
constexpr auto chunk = static_cast<std::int64_t>(LogHistogram::chunk_buckets);
constexpr auto in_range = static_cast<std::int64_t>(LogHistogram::bucket_count());
}  // namespace

void LogHistogram::reject(double value) {
    throw Error(fmt::format("histogram: cannot record {} (expected a finite value >= 0)", value));
}

double LogHistogram::bucket_lower(std::size_t index) {
    constexpr std::size_t subs = std::size_t{1} << sub_bits;
    const int exponent = static_cast<int>(index >> sub_bits) + min_exponent;
    return std::ldexp(1.0 + static_cast<double>(index & (subs - 1)) / subs, exponent);
}

double LogHistogram::resolution(double value) {
    if (!(value >= 0.0)) return std::nan("");
    const std::int64_t p = position(value);
    if (p < 0) return std::ldexp(1.0, min_exponent);
    if (p >= in_range) return std::numeric_limits<double>::infinity();
    return std::ldexp(1.0, static_cast<int>(p >> sub_bits) + min_exponent - sub_bits);
}

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

void LogHistogram::record_outside(std::int64_t p) {
    if (p < 0) {
        ++underflow_;
    } else if (p >= in_range) {
        ++overflow_;
    } else {
        cover(p, p);
        ++counts_[static_cast<std::size_t>(p - first_)];  // a new counter: it cannot wrap
    }
}

void LogHistogram::cover(std::int64_t lo, std::int64_t hi) {
    const auto held = static_cast<std::int64_t>(counts_.size());
    if (held > 0) {
        lo = std::min(lo, first_);
        hi = std::max(hi, first_ + held - 1);
    }
    // Whole chunks: a window growing value by value reallocates at most once per chunk,
    // 512 times over the whole range, so record() stays O(1) amortised.
    const std::int64_t from = lo / chunk * chunk;
    const std::int64_t to = std::min(in_range, (hi / chunk + 1) * chunk);
    if (held > 0 && from == first_ && to == first_ + held) return;
    // Zeros only for the new chunks, below and above the counters copied (an early window
    // grows a chunk at a time, so most of it is copied), and exactly the capacity needed.
    std::vector<std::uint32_t> grown;
    grown.reserve(static_cast<std::size_t>(to - from));
    grown.resize(static_cast<std::size_t>((held > 0 ? first_ : to) - from), 0);
    grown.insert(grown.end(), counts_.begin(), counts_.end());
    grown.resize(static_cast<std::size_t>(to - from), 0);
    counts_.swap(grown);
    first_ = from;
}

void LogHistogram::carry(std::int64_t bucket, std::uint32_t high) {
    const auto b = static_cast<std::uint32_t>(bucket);
    const auto at = std::ranges::lower_bound(carries_, b, {}, &Carry::bucket);
    if (at != carries_.end() && at->bucket == b) {
        at->high += high;
    } else {
        carries_.insert(at, Carry{b, high});
    }
}

std::uint64_t LogHistogram::full_count(std::size_t i, std::vector<Carry>::const_iterator& next) const {
    std::uint64_t n = counts_[i];
    const auto bucket = static_cast<std::uint32_t>(first_ + static_cast<std::int64_t>(i));
    if (next != carries_.end() && next->bucket == bucket) {
        n += std::uint64_t{next->high} << 32;
        ++next;
    }
    return n;
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
    // Every bucket below the one holding min() is empty: start there rather than
    // scanning the thousands of buckets below typical latencies.
    const auto start = static_cast<std::size_t>(std::max<std::int64_t>(0, position(min_) - first_));
    const auto start_bucket = static_cast<std::uint32_t>(first_ + static_cast<std::int64_t>(start));
    auto next = std::ranges::lower_bound(carries_, start_bucket, {}, &Carry::bucket);
    const auto midpoint = [this](std::size_t i) {
        const std::size_t index = static_cast<std::size_t>(first_) + i;
        const double lower = bucket_lower(index);
        const double upper = lower + resolution(lower);
        return std::clamp(0.5 * (lower + upper), min_, max_);
    };
    std::size_t i = start;
    if (next == carries_.end()) {
        // No counter from here up passed 2^32 - 1 (the usual case): skip whole blocks of
        // counters whose sum leaves the rank unreached, then find the bucket in the block.
        // A report asks for a hundred quantiles of each class, each a walk of thousands of buckets.
        constexpr std::size_t block = 16;
        const std::uint32_t* counts = counts_.data();
        for (; i + block <= counts_.size(); i += block) {
            std::uint64_t sum = 0;
            for (std::size_t k = 0; k < block; ++k) sum += counts[i + k];
            if (seen + sum >= rank) break;
            seen += sum;
        }
        for (; i < counts_.size(); ++i) {
            seen += counts[i];
            if (seen >= rank) return midpoint(i);
        }
        return max_;  // in the overflow bucket
    }
    for (; i < counts_.size(); ++i) {
        seen += full_count(i, next);
        if (seen >= rank) return midpoint(i);
    }
    return max_;  // in the overflow bucket
}

std::vector<LogHistogram::Bucket> LogHistogram::buckets() const {
    std::vector<Bucket> out;
    auto next = carries_.cbegin();
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        if (const std::uint64_t n = full_count(i, next); n != 0) {
            out.push_back({static_cast<std::size_t>(first_) + i, n});
        }
    }
    return out;
}

LogHistogram LogHistogram::from_state(std::span<const Bucket> buckets, std::uint64_t underflow,
                                      std::uint64_t overflow, std::uint64_t count, double sum, double min,
                                      double max) {
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        const Bucket& b = buckets[i];
        if (b.index >= bucket_count()) {
            throw Error(fmt::format("a histogram's bucket {} is out of range (expected 0 to {})", b.index,
                                    bucket_count() - 1));
        }
        // buckets() lists each non-empty bucket once, in increasing order: refuse anything else
        // rather than guess.
        if (i > 0 && b.index <= buckets[i - 1].index) {
            throw Error(fmt::format("a histogram's bucket {} follows bucket {} (expected increasing indexes)",
                                    b.index, buckets[i - 1].index));
        }
        if (b.count == 0) throw Error(fmt::format("a histogram's bucket {} is listed but holds no value", b.index));
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
    for (const Bucket& b : buckets) add(b.count);
    if (wrapped || total != count) {
        throw Error(fmt::format("a histogram's buckets hold {} values but its count is {}",
                                wrapped ? "2^64 or more" : fmt::to_string(total), count));
    }
    LogHistogram h;
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
    if (overflow > 0 && hi < in_range) {
        throw Error(fmt::format("a histogram's overflow is {} but its max {} is below {}", overflow, max,
                                std::ldexp(1.0, max_exponent)));
    }
    for (const Bucket& b : buckets) {
        if (static_cast<std::int64_t>(b.index) < lo || static_cast<std::int64_t>(b.index) > hi) {
            throw Error(fmt::format("a histogram's bucket {} lies outside its min {} and max {}", b.index, min, max));
        }
    }
    // min and max are recorded values: the buckets they fall in are not empty.
    const auto held = [&](std::int64_t p) {
        if (p < 0) return underflow > 0;
        if (p >= in_range) return overflow > 0;
        return std::ranges::binary_search(buckets, static_cast<std::size_t>(p), {}, &Bucket::index);
    };
    if (!held(lo)) throw Error(fmt::format("a histogram counts no value in the bucket of its min {}", min));
    if (!held(hi)) throw Error(fmt::format("a histogram counts no value in the bucket of its max {}", max));
    if (!buckets.empty()) {
        h.cover(static_cast<std::int64_t>(buckets.front().index), static_cast<std::int64_t>(buckets.back().index));
        for (const Bucket& b : buckets) {
            const auto bucket = static_cast<std::int64_t>(b.index);
            h.counts_[static_cast<std::size_t>(bucket - h.first_)] = static_cast<std::uint32_t>(b.count);
            if (const auto high = static_cast<std::uint32_t>(b.count >> 32); high != 0) {
                h.carries_.push_back({static_cast<std::uint32_t>(bucket), high});
            }
        }
    }
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
    if (&other == this) {
        const LogHistogram copy = other;
        merge(copy);
        return;
    }
    // Only other's non-zero counters matter: its window may reach far beyond them (a
    // window is kept across resets), and copying zeros would only cost memory here.
    const std::span<const std::uint32_t> theirs = other.counts_;
    const auto nonzero = [](std::uint32_t n) { return n != 0; };
    const auto first = std::ranges::find_if(theirs, nonzero);
    if (first != theirs.end() || !other.carries_.empty()) {
        // A counter that is a multiple of 2^32 has a zero low word but a carry.
        std::int64_t lo = first == theirs.end() ? in_range : other.first_ + (first - theirs.begin());
        std::int64_t hi = -1;
        if (first != theirs.end()) {
            const auto last = std::ranges::find_if(theirs.rbegin(), theirs.rend(), nonzero);
            hi = other.first_ + (theirs.rend() - last) - 1;
        }
        if (!other.carries_.empty()) {
            lo = std::min<std::int64_t>(lo, other.carries_.front().bucket);
            hi = std::max<std::int64_t>(hi, other.carries_.back().bucket);
        }
        cover(lo, hi);
        for (std::int64_t b = lo; b <= hi; ++b) {
            const std::uint32_t n = theirs[static_cast<std::size_t>(b - other.first_)];
            std::uint32_t& mine = counts_[static_cast<std::size_t>(b - first_)];
            mine += n;
            if (mine < n) carry(b, 1);
        }
        for (const Carry& c : other.carries_) carry(c.bucket, c.high);
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
        const auto held = static_cast<std::int64_t>(counts_.size());
        const std::int64_t from = std::clamp<std::int64_t>(position(min_) - first_, 0, held);
        const std::int64_t to = std::clamp<std::int64_t>(position(max_) - first_ + 1, 0, held);
        if (from < to) std::fill(counts_.begin() + from, counts_.begin() + to, 0);
    }
    carries_.clear();
    underflow_ = overflow_ = count_ = 0;
    sum_ = 0.0;
    min_ = std::numeric_limits<double>::infinity();
    max_ = -std::numeric_limits<double>::infinity();
}

}  // namespace s2sim::stats

#include "sim/stats/welford.hpp"

#include <algorithm>
#include <cmath>

namespace s2sim::stats {

double Welford::mean() const { return count_ == 0 ? std::nan("") : mean_; }
double Welford::variance() const {
    return count_ < 2 ? std::nan("") : m2_ / static_cast<double>(count_ - 1);
}
double Welford::stddev() const { return std::sqrt(variance()); }
double Welford::min() const { return count_ == 0 ? std::nan("") : min_; }
double Welford::max() const { return count_ == 0 ? std::nan("") : max_; }

void Welford::merge(const Welford& other) {
    if (other.count_ == 0) return;
    if (count_ == 0) {
        *this = other;
        return;
    }
    const double na = static_cast<double>(count_);
    const double nb = static_cast<double>(other.count_);
    const double n = na + nb;
    const double delta = other.mean_ - mean_;
    mean_ += delta * nb / n;
    m2_ += other.m2_ + delta * delta * na * nb / n;
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

}  // namespace s2sim::stats

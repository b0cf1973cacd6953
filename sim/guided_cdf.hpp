#pragma once
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace s2sim {

/// Draws an index from a cumulative distribution by inversion: the first i with
/// cdf[i] >= u (the last index if none), exactly what a binary search over the
/// whole table gives, so the same u always gives the same index. A guide table
/// (Chen's method) narrows the search to the entries whose cumulative
/// probabilities fall in u's 1/G slice: for a 100,000-key Zipf table that is a
/// short search in one or two cache lines instead of 17 probes across 800 KB.
/// Written by hand because the library alternatives (alias tables such as
/// boost::random::discrete_distribution) map u to different indices.
class GuidedCdf {
public:
    GuidedCdf() = default;
    /// `cdf`: non-decreasing, last entry 1 (or close to it).
    explicit GuidedCdf(std::vector<double> cdf) : cdf_(std::move(cdf)) {
        if (cdf_.empty()) return;
        // A power of two, so that j / G and u * G are exact and the slices meet exactly.
        slices_ = std::min<std::size_t>(std::bit_floor(cdf_.size()), max_slices);
        guide_.resize(slices_ + 1);
        for (std::size_t j = 0; j <= slices_; ++j) {
            const double at = static_cast<double>(j) / static_cast<double>(slices_);
            guide_[j] = static_cast<std::uint32_t>(std::lower_bound(cdf_.begin(), cdf_.end(), at) - cdf_.begin());
        }
    }

    [[nodiscard]] bool empty() const { return cdf_.empty(); }
    [[nodiscard]] std::size_t size() const { return cdf_.size(); }

    /// The index for u in [0, 1). Precondition: not empty.
    [[nodiscard]] std::uint32_t draw(double u) const {
        // j / G <= u < (j + 1) / G, so the answer lies in [guide[j], guide[j + 1]].
        const auto j = std::min(static_cast<std::size_t>(u * static_cast<double>(slices_)), slices_ - 1);
        const std::size_t first = guide_[j];
        const std::size_t last = std::min<std::size_t>(guide_[j + 1] + 1, cdf_.size());
        const std::size_t i = first < last ? lower_bound(cdf_.data() + first, last - first, u) - cdf_.data() : first;
        return static_cast<std::uint32_t>(std::min<std::size_t>(i, cdf_.size() - 1));
    }

private:
    // std::lower_bound over [base, base + n), n >= 1, without branches: which half holds u is
    // a coin toss, so a branching search mispredicts about half of its steps (a Zipf slice
    // holds up to 75 keys).
    static const double* lower_bound(const double* base, std::size_t n, double u) {
        while (n > 1) {
            const std::size_t half = n / 2;
            base = base[half] < u ? base + half : base;
            n -= half;
        }
        return base + static_cast<std::size_t>(*base < u);
    }
    static constexpr std::size_t max_slices = std::size_t{1} << 14;
    std::vector<double> cdf_;
    std::vector<std::uint32_t> guide_;  // per slice j: the first index with cdf >= j / G
    std::size_t slices_ = 0;
};

}  // namespace s2sim

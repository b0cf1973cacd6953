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
///
/// The search within a slice reads a 16-bit copy of each entry's position in its slice
/// (the fraction (cdf[i] - j / G) * G, rounded down to 1/65536; exact and monotone),
/// not the 8-byte cumulative values: a Zipf table's copy is 200 KB instead of 800 KB and a
/// slice's copy one cache line or two, so the draws (random across the table) miss the
/// caches less. Only an equal 16-bit copy (about one draw in 3,000 at 100,000 keys) reads
/// the cumulative values. A slice with one candidate (most of a Zipf table's) is answered
/// by the guide alone.
class GuidedCdf {
public:
    GuidedCdf() = default;
    /// `cdf`: non-decreasing, last entry 1 (or close to it).
    explicit GuidedCdf(std::vector<double> cdf) : cdf_(std::move(cdf)) {
        if (cdf_.empty()) return;
        // A power of two, so that j / G and u * G are exact and the slices meet exactly.
        slices_ = std::min<std::size_t>(std::bit_floor(cdf_.size()), max_slices);
        guide_.resize(slices_ + 1);
        // What std::lower_bound(cdf, j / G) gives, for every j in one walk up the table
        // (cdf does not decrease): 100,000 Zipf keys cost 16,385 binary searches otherwise.
        std::size_t k = 0;
        for (std::size_t j = 0; j <= slices_; ++j) {
            const double at = static_cast<double>(j) / static_cast<double>(slices_);
            while (k < cdf_.size() && cdf_[k] < at) ++k;
            guide_[j] = static_cast<std::uint32_t>(k);
        }
        // Entry i belongs to the slice j with j / G <= cdf[i] < (j + 1) / G: guide[j] <= i < guide[j + 1].
        position_.assign(cdf_.size(), UINT16_MAX);  // entries at or past 1 belong to no slice: never read
        for (std::size_t j = 0; j < slices_; ++j) {
            for (std::size_t i = guide_[j]; i < guide_[j + 1]; ++i) {
                position_[i] = static_cast<std::uint16_t>(position_in_slice(cdf_[i], j));
            }
        }
    }

    [[nodiscard]] bool empty() const { return cdf_.empty(); }
    [[nodiscard]] std::size_t size() const { return cdf_.size(); }

    /// The index for u in [0, 1]. Precondition: not empty.
    [[nodiscard]] std::uint32_t draw(double u) const {
        // j / G <= u <= (j + 1) / G, so the answer lies in [guide[j], guide[j + 1]]: the
        // entries i with guide[j] <= i < guide[j + 1] fall in the slice (cdf[i] < (j + 1) / G),
        // and cdf[guide[j + 1]] >= (j + 1) / G >= u, when that index exists.
        const auto j = std::min(static_cast<std::size_t>(u * static_cast<double>(slices_)), slices_ - 1);
        const std::size_t first = guide_[j];
        const std::size_t end = guide_[j + 1];
        std::size_t i = first;
        if (first != end) {
            // The first entry of the slice not below u, by the 16-bit positions: position[i]
            // < position(u) means cdf[i] < u, greater means cdf[i] > u; only equal ones need
            // the exact values.
            const std::uint32_t at = position_in_slice(u, j);
            i = lower_bound(position_.data() + first, end - first, at) - position_.data();
            if (i < end && position_[i] == at) {
                i = lower_bound(cdf_.data() + i, std::min<std::size_t>(end + 1, cdf_.size()) - i, u) - cdf_.data();
            }
        }
        return static_cast<std::uint32_t>(std::min<std::size_t>(i, cdf_.size() - 1));
    }

private:
    /// floor((x - j / G) * G * 65536) for j / G <= x <= (j + 1) / G: at most 65536 (only for
    /// x = (j + 1) / G), and exact: x * G is exact (G is a power of two), and so is x * G - j
    /// (Sterbenz: j <= x * G <= 2j for j >= 1).
    [[nodiscard]] std::uint32_t position_in_slice(double x, std::size_t j) const {
        return static_cast<std::uint32_t>((x * static_cast<double>(slices_) - static_cast<double>(j)) * 65536.0);
    }
    // std::lower_bound over [base, base + n), n >= 1, without branches: which half holds u is
    // a coin toss, so a branching search mispredicts about half of its steps (a Zipf slice
    // holds up to 143 keys).
    template <class T, class U>
    static const T* lower_bound(const T* base, std::size_t n, U u) {
        while (n > 1) {
            const std::size_t half = n / 2;
            base = static_cast<U>(base[half]) < u ? base + half : base;
            n -= half;
        }
        return base + static_cast<std::size_t>(static_cast<U>(*base) < u);
    }
    static constexpr std::size_t max_slices = std::size_t{1} << 14;
    std::vector<double> cdf_;
    std::vector<std::uint32_t> guide_;       // per slice j: the first index with cdf >= j / G
    std::vector<std::uint16_t> position_;  // per index: position_in_slice() of its cdf in its slice
    std::size_t slices_ = 0;
};

}  // namespace s2sim

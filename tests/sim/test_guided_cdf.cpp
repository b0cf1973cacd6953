#include "sim/guided_cdf.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <pcg_random.hpp>

namespace {

std::vector<double> zipf_cdf(std::size_t n, double skew) {
    std::vector<double> cdf;
    double sum = 0;
    for (std::size_t k = 0; k < n; ++k) cdf.push_back(sum += std::pow(static_cast<double>(k + 1), -skew));
    for (double& c : cdf) c /= sum;
    return cdf;
}

// The reference: a binary search over the whole table.
std::uint32_t by_binary_search(const std::vector<double>& cdf, double u) {
    const auto it = std::lower_bound(cdf.begin(), cdf.end(), u);
    return static_cast<std::uint32_t>(std::min<std::size_t>(it - cdf.begin(), cdf.size() - 1));
}

}  // namespace

// Entries closer together than a slice's 16-bit positions resolve (1/65536 of a slice):
// the search must fall back to the exact values, at the entries and between them.
std::vector<double> clustered_cdf() {
    std::vector<double> cdf = {0.1};
    for (int k = 0; k < 300; ++k) cdf.push_back(0.3 + k * 1e-13);
    for (int k = 0; k < 300; ++k) cdf.push_back(0.7 + k * 1e-8);  // about three on each position
    cdf.push_back(1.0);
    return cdf;
}

TEST_CASE("guided cdf: the same index as a binary search for every u", "[sim]") {
    // Zipf tables (steep head, long tail), a table with zero-probability entries
    // and ties, a last entry a few ulps short of 1, tiny tables, and entries that share
    // a 16-bit position within their slice.
    std::vector<std::vector<double>> tables = {zipf_cdf(100'000, 1.1), zipf_cdf(1000, 0.0), zipf_cdf(37, 2.5),
                                               {0.0, 0.0, 0.25, 0.25, 0.5, 1.0, 1.0},
                                               {0.1, 0.3, 0.9999999999999998},
                                               {1.0},
                                               clustered_cdf()};
    pcg64 rng(2026);
    for (const auto& cdf : tables) {
        const s2sim::GuidedCdf guided(cdf);
        REQUIRE(guided.size() == cdf.size());
        std::vector<double> probes = {0.0, 0.25, 0.5, 0.9999999999999999, 1.0};
        for (const double c : cdf) {  // the table's own values and their neighbours
            probes.push_back(c);
            probes.push_back(std::nextafter(c, 0.0));
            probes.push_back(std::nextafter(c, 2.0));
        }
        for (int i = 0; i < 200'000; ++i) probes.push_back(static_cast<double>(rng() >> 11) * 0x1.0p-53);
        std::size_t mismatches = 0;
        for (const double u : probes) {
            if (u < 0.0 || u > 1.0) continue;
            if (guided.draw(u) != by_binary_search(cdf, u)) ++mismatches;
        }
        CHECK(mismatches == 0);
    }
}

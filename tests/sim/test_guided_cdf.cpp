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

TEST_CASE("guided cdf: the same index as a binary search for every u", "[sim]") {
    // Zipf tables (steep head, long tail), a table with zero-probability entries
    // and ties, a last entry a few ulps short of 1, and tiny tables.
    std::vector<std::vector<double>> tables = {zipf_cdf(100'000, 1.1), zipf_cdf(1000, 0.0), zipf_cdf(37, 2.5),
                                               {0.0, 0.0, 0.25, 0.25, 0.5, 1.0, 1.0},
                                               {0.1, 0.3, 0.9999999999999998},
                                               {1.0}};
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

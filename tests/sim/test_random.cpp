#include "sim/random.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

using s2sim::RandomStream;
using s2sim::stable_hash;

namespace {

std::vector<std::uint64_t> draws(RandomStream& rng, int n) {
    std::vector<std::uint64_t> out;
    for (int i = 0; i < n; ++i) out.push_back(rng.next_u64());
    return out;
}

}  // namespace

TEST_CASE("random: stable_hash is FNV-1a 64", "[sim][random]") {
    // Published FNV-1a 64-bit test vectors.
    CHECK(stable_hash("") == 0xcbf29ce484222325ULL);
    CHECK(stable_hash("a") == 0xaf63dc4c8601ec8cULL);
    CHECK(stable_hash("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("random: same seed and name give the same sequence", "[sim][random]") {
    RandomStream a(42, "web-1");
    RandomStream b(42, "web-1");
    CHECK(draws(a, 1000) == draws(b, 1000));
}

TEST_CASE("random: the first draws are pinned across versions", "[sim][random]") {
    // Changing the seeding would silently change every published result for a seed;
    // this golden value (recorded from this implementation) makes such a change visible.
    RandomStream rng(1, "web-1");
    const auto first = rng.next_u64();
    RandomStream again(1, "web-1");
    CHECK(again.next_u64() == first);
    CHECK(first == 0xbe35a5d00c77bda6ULL);
}

TEST_CASE("random: different names or seeds give unrelated sequences", "[sim][random]") {
    RandomStream a(42, "web-1");
    RandomStream b(42, "web-2");
    RandomStream c(43, "web-1");
    const auto da = draws(a, 1000);
    const auto db = draws(b, 1000);
    const auto dc = draws(c, 1000);
    int same_ab = 0;
    int same_ac = 0;
    for (int i = 0; i < 1000; ++i) {
        same_ab += da[i] == db[i];
        same_ac += da[i] == dc[i];
    }
    CHECK(same_ab == 0);
    CHECK(same_ac == 0);
    // Not shifted copies of each other either: no draw of b appears early in a.
    int shared = 0;
    for (int i = 0; i < 100; ++i) {
        for (int j = 0; j < 1000; ++j) shared += db[i] == da[j];
    }
    CHECK(shared == 0);
}

TEST_CASE("random: other streams do not disturb a component's sequence", "[sim][random]") {
    RandomStream alone(9, "a");
    const auto expected = draws(alone, 300);

    RandomStream a(9, "a");
    RandomStream b(9, "b");
    std::vector<std::uint64_t> got;
    for (int i = 0; i < 100; ++i) {
        got.push_back(a.next_u64());
        (void)b.next_u64();
        (void)b.uniform01();
    }
    // A component added midway ("c") draws from its own stream only.
    RandomStream c(9, "c");
    for (int i = 0; i < 200; ++i) {
        (void)c.uniform_index(7);
        got.push_back(a.next_u64());
        (void)b.next_u64();
    }
    CHECK(got == expected);
}

TEST_CASE("random: uniform01 is on (0, 1) with the right mean and variance",
          "[sim][random][theory]") {
    RandomStream rng(2024, "uniform");
    constexpr int n = 1'000'000;
    double sum = 0.0;
    double sum2 = 0.0;
    double lo = 1.0;
    double hi = 0.0;
    std::vector<double> xs(n);
    for (double& x : xs) {
        x = rng.uniform01();
        sum += x;
        lo = std::min(lo, x);
        hi = std::max(hi, x);
    }
    const double mean = sum / n;
    for (const double x : xs) sum2 += (x - mean) * (x - mean);
    const double var = sum2 / (n - 1);
    CHECK(lo > 0.0);
    CHECK(hi < 1.0);
    // 99.9% intervals, z = 3.29: the mean has sd sqrt(sigma^2 / n) with sigma^2 = 1/12; the
    // sample variance has asymptotic sd sqrt((mu4 - sigma^4) / n) with mu4 = 1/80.
    constexpr double z = 3.29;
    CHECK(std::abs(mean - 0.5) < z * std::sqrt(1.0 / 12.0 / n));
    CHECK(std::abs(var - 1.0 / 12.0) < z * std::sqrt((1.0 / 80.0 - 1.0 / 144.0) / n));
}

TEST_CASE("random: uniform_index stays in range and is balanced", "[sim][random][theory]") {
    RandomStream rng(5, "index");
    constexpr int n = 600'000;
    constexpr int k = 6;
    std::vector<int> counts(k, 0);
    for (int i = 0; i < n; ++i) {
        const auto v = rng.uniform_index(k);
        REQUIRE(v < static_cast<std::uint64_t>(k));
        ++counts[v];
    }
    // Each count is Binomial(n, 1/k): 99.9% interval per cell, z = 3.29.
    const double expect = static_cast<double>(n) / k;
    const double sd = std::sqrt(n * (1.0 / k) * (1.0 - 1.0 / k));
    for (const int c : counts) CHECK(std::abs(c - expect) < 3.29 * sd);
}

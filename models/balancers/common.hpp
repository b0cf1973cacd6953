#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "models/balancer.hpp"

/// Small helpers shared by the balancer policies (internal to models/balancers).
namespace s2sim::models::balancing {

/// The splitmix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix
/// whose every output bit depends on every input bit. Used to place backends
/// and keys on rings and tables; stable across platforms and runs.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// Number of healthy backends in `servers`.
[[nodiscard]] inline std::uint32_t count_healthy(std::span<const ServerView> servers) {
    std::uint32_t count = 0;
    for (const auto& s : servers) count += s.healthy ? 1U : 0U;
    return count;
}

/// Fills `out` (reused, so no allocation once it has grown) with the healthy indices.
inline void healthy_indices(std::span<const ServerView> servers, std::vector<ServerIndex>& out) {
    out.clear();
    for (std::size_t i = 0; i < servers.size(); ++i) {
        if (servers[i].healthy) out.push_back(static_cast<ServerIndex>(i));
    }
}

/// Draws min(d, pool.size()) distinct entries of `pool` uniformly (a partial
/// Fisher-Yates shuffle, which reorders `pool`); they end up in pool[0..d).
/// Returns how many were drawn.
inline std::size_t sample_distinct(std::vector<ServerIndex>& pool, std::size_t d, RandomStream& rng) {
    const std::size_t k = d < pool.size() ? d : pool.size();
    for (std::size_t j = 0; j < k; ++j) {
        const auto r = j + static_cast<std::size_t>(rng.uniform_index(pool.size() - j));
        std::swap(pool[j], pool[r]);
    }
    return k;
}

/// Throws s2sim::Error "`policy`: `what`" (policy-specific option checks).
[[noreturn]] void fail(std::string_view policy, std::string_view what);

}  // namespace s2sim::models::balancing

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

/// The healthy backends in list order, kept across picks and rebuilt only after a
/// health flag changed (on_view_changed), so that sampling d of them costs O(d),
/// not a pass over all n. sample() draws exactly what a partial Fisher-Yates shuffle
/// of a freshly built list draws, and returns the same backends in the same order.
class HealthyPool {
public:
    /// `count` backends, all healthy.
    explicit HealthyPool(std::size_t count) : healthy_(count, 1) {
        pool_.reserve(count);
        for (std::size_t i = 0; i < count; ++i) pool_.push_back(static_cast<ServerIndex>(i));
    }
    /// Notes backend `server`'s health flag.
    void on_view_changed(ServerIndex server, const ServerView& view) {
        const char healthy = view.healthy ? 1 : 0;
        if (healthy_[server] != healthy) {
            healthy_[server] = healthy;
            stale_ = true;
        }
    }
    /// Draws min(d, healthy count) distinct healthy backends uniformly (a partial
    /// Fisher-Yates shuffle, undone afterwards so the list stays in order). The
    /// span stays valid until the next call; empty when none is healthy.
    [[nodiscard]] std::span<const ServerIndex> sample(std::size_t d, RandomStream& rng) {
        if (stale_) rebuild();
        const std::size_t k = d < pool_.size() ? d : pool_.size();
        swaps_.clear();
        chosen_.clear();
        for (std::size_t j = 0; j < k; ++j) {
            const auto r = j + static_cast<std::size_t>(rng.uniform_index(pool_.size() - j));
            std::swap(pool_[j], pool_[r]);
            swaps_.push_back(r);
            chosen_.push_back(pool_[j]);
        }
        for (std::size_t j = k; j-- > 0;) std::swap(pool_[j], pool_[swaps_[j]]);
        return chosen_;
    }

private:
    void rebuild() {
        pool_.clear();
        for (std::size_t i = 0; i < healthy_.size(); ++i) {
            if (healthy_[i] != 0) pool_.push_back(static_cast<ServerIndex>(i));
        }
        stale_ = false;
    }

    std::vector<char> healthy_;          // per backend: the last flag on_view_changed() saw
    std::vector<ServerIndex> pool_;      // the healthy backends, in list order between picks
    std::vector<std::size_t> swaps_;     // scratch: the positions swapped by the last sample
    std::vector<ServerIndex> chosen_;    // scratch: the last sample
    bool stale_ = false;                 // a flag changed since pool_ was built
};

/// Throws s2sim::Error "`policy`: `what`" (policy-specific option checks).
[[noreturn]] void fail(std::string_view policy, std::string_view what);

}  // namespace s2sim::models::balancing

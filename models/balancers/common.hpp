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

/// A uniform draw on [0, bound) that takes exactly the numbers pcg's bounded_rand takes
/// (RandomStream::uniform_index): redraw below (2^64 - bound) mod bound, then r mod bound.
/// The threshold is worked out once per bound, not per draw (one 64-bit division less), and
/// a power-of-two bound masks instead of dividing.
class BoundedDraw {
public:
    /// For `bound` >= 1 (0 makes a draw that must not be used).
    explicit BoundedDraw(std::uint64_t bound = 1)
        : bound_(bound),
          threshold_(bound == 0 ? 0 : (0 - bound) % bound),
          mask_(bound != 0 && (bound & (bound - 1)) == 0 ? bound - 1 : 0),
          power_of_two_(bound != 0 && (bound & (bound - 1)) == 0) {}
    /// Same as rng.uniform_index(bound), drawing the same numbers.
    [[nodiscard]] std::uint64_t operator()(RandomStream& rng) const {
        for (;;) {
            const std::uint64_t r = rng.next_u64();
            if (r >= threshold_) return power_of_two_ ? r & mask_ : r % bound_;
        }
    }

private:
    std::uint64_t bound_;
    std::uint64_t threshold_;
    std::uint64_t mask_;
    bool power_of_two_;
};

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
        set_draws();
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

    /// sample(2, rng) without the shuffle when at least two backends are healthy: the
    /// same two draws (r0 on [0, h), 1 + r1 on [0, h - 1)), the same two backends in the
    /// same order. False, with nothing drawn, when fewer than two are healthy.
    [[nodiscard]] bool sample_two(RandomStream& rng, ServerIndex& first, ServerIndex& second) {
        if (stale_) [[unlikely]] rebuild();
        if (pool_.size() < 2) [[unlikely]] return false;
        const auto r0 = static_cast<ServerIndex>(draw_all_(rng));
        const auto r1 = static_cast<ServerIndex>(1 + draw_rest_(rng));
        // The first swap moved slot 0's backend to slot r0.
        const ServerIndex slot1 = r1 == r0 ? 0 : r1;
        if (identity_) {
            first = r0;
            second = slot1;
        } else {
            first = pool_[r0];
            second = pool_[slot1];
        }
        return true;
    }
    /// sample(1, rng)[0] without the shuffle; false, with nothing drawn, when none is healthy.
    [[nodiscard]] bool sample_one(RandomStream& rng, ServerIndex& first) {
        if (stale_) [[unlikely]] rebuild();
        if (pool_.empty()) [[unlikely]] return false;
        const auto r0 = static_cast<ServerIndex>(draw_all_(rng));
        first = identity_ ? r0 : pool_[r0];
        return true;
    }

private:
    void rebuild() {
        pool_.clear();
        for (std::size_t i = 0; i < healthy_.size(); ++i) {
            if (healthy_[i] != 0) pool_.push_back(static_cast<ServerIndex>(i));
        }
        stale_ = false;
        set_draws();
    }
    void set_draws() {
        identity_ = pool_.size() == healthy_.size();
        draw_all_ = BoundedDraw(pool_.size());
        draw_rest_ = BoundedDraw(pool_.empty() ? 0 : pool_.size() - 1);
    }

    std::vector<char> healthy_;          // per backend: the last flag on_view_changed() saw
    std::vector<ServerIndex> pool_;      // the healthy backends, in list order between picks
    std::vector<std::size_t> swaps_;     // scratch: the positions swapped by the last sample
    std::vector<ServerIndex> chosen_;    // scratch: the last sample
    BoundedDraw draw_all_;               // on [0, healthy count)
    BoundedDraw draw_rest_;              // on [0, healthy count - 1)
    bool stale_ = false;                 // a flag changed since pool_ was built
    bool identity_ = true;               // all healthy: pool_[i] == i
};

/// Throws s2sim::Error "`policy`: `what`" (policy-specific option checks).
[[noreturn]] void fail(std::string_view policy, std::string_view what);

}  // namespace s2sim::models::balancing

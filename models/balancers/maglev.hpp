#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "models/balancer.hpp"

namespace s2sim::models {

/// Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software
/// Network Load Balancer", NSDI 2016, section 3.4; Envoy's `MAGLEV`): a lookup
/// table of prime size M in which each healthy backend, in turn, claims the
/// next free slot of its own permutation (offset + j * skip) mod M, with offset
/// and skip from two hashes of the backend's index. A request goes to
/// table[hash(key) mod M]. Every backend gets floor(M/n) or ceil(M/n) slots,
/// and when a backend goes down the table is rebuilt from the healthy ones,
/// which moves its keys plus a small extra share of the others'. Tables are
/// cached per health set, so a flapping backend costs no rebuilds.
class Maglev final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "maglev";
    /// For `backend_count` >= 1 backends and a prime `table_size` >= backend_count.
    Maglev(std::size_t backend_count, std::uint32_t table_size);
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    /// Keeps the health flags as told (the service calls this after every health change):
    /// a pick then knows whether its newest table still fits without comparing the views.
    void on_view_changed(ServerIndex server, const ServerView& view) override;
    /// No feedback but health changes, which are always told.
    [[nodiscard]] BalancerHooks hooks() const override { return {false, false, false}; }

    /// The lookup table for the health set of `servers` (M entries, each a
    /// backend index), built if not cached. Valid until the next call. Empty
    /// when no backend is healthy. For tests and reports.
    [[nodiscard]] std::span<const ServerIndex> table(std::span<const ServerView> servers);
    /// Entry `slot` (< M) of that table, read as pick() reads it (from its 8- or 16-bit
    /// copy when the backends fit). Precondition: some backend is healthy. For tests.
    [[nodiscard]] ServerIndex entry(std::span<const ServerView> servers, std::uint64_t slot);

private:
    struct Table {
        std::vector<char> health;          // the health set it was built for (1 = healthy)
        std::vector<ServerIndex> entries;  // M backend indices
        /// `entries` in 8 bits when there are fewer than 2^8 backends, else in 16 bits when
        /// fewer than 2^16: pick() reads one entry at random per request, and a quarter or
        /// half the footprint misses the cache less often.
        std::vector<std::uint8_t> narrow8;
        std::vector<std::uint16_t> narrow16;
    };
    void build(Table& table) const;
    /// True when `t` was built for the health set of `servers`.
    [[nodiscard]] bool built_for(const Table& t, std::span<const ServerView> servers) const;
    /// pick() past its usual case (a new health set, or 16- or 32-bit entries), out of line.
    [[gnu::noinline]] ServerIndex pick_found(std::uint64_t slot, std::span<const ServerView> servers);
    /// The cached table for the health set of `servers`, built if not cached.
    const Table& find(std::span<const ServerView> servers);

    std::size_t count_;
    std::uint32_t size_;
    /// The newest table's 8-bit entries when it was built for health_, else null: the usual
    /// pick reads this (by size_, on pick()'s cache line) and one entry. Set by find(),
    /// cleared by a change of health_.
    const std::uint8_t* current8_ = nullptr;
    std::vector<std::uint32_t> offset_;  // per backend, in [0, M)
    std::vector<std::uint32_t> skip_;    // per backend, in [1, M)
    std::vector<Table> cache_;           // most recently used first
    /// The health flags as told by on_view_changed() (all healthy at first, as the views).
    std::vector<char> health_;
};

}  // namespace s2sim::models

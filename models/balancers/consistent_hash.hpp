#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/balancer.hpp"

namespace s2sim::models {

/// Consistent hashing on a ring, Ketama style (libketama, Envoy's `RING_HASH`):
/// each backend owns `vnodes` points placed by a 64-bit hash of (backend index,
/// replica number); a request's key is hashed onto the same ring and goes to
/// the owner of the first point clockwise (the first point >= the key's hash,
/// wrapping). An unhealthy backend's points are skipped by walking on clockwise,
/// which is exactly the ring rebuilt without it: only its keys move, each to
/// the next healthy owner. Knows nothing of load.
class ConsistentHash final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "consistent_hash";
    /// A ring of `vnodes` >= 1 points for each of `backend_count` >= 1 backends.
    ConsistentHash(std::size_t backend_count, unsigned vnodes);
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    /// No feedback: the picks read the health flags at pick time.
    [[nodiscard]] BalancerHooks hooks() const override { return {false, false, false}; }

    /// The ring's positions, sorted. For tests.
    [[nodiscard]] std::span<const std::uint64_t> ring() const { return points_; }
    /// Index of the first ring position >= `h` (ring().size() for none): where pick() starts
    /// walking. For tests.
    [[nodiscard]] std::size_t first_at_or_after(std::uint64_t h) const;
    /// The owners of ring() position by position. For tests.
    [[nodiscard]] std::span<const ServerIndex> owners() const { return owners_; }
    /// pick() for a key whose hash is `h`. For tests.
    [[nodiscard]] ServerIndex pick_hashed(std::uint64_t h, std::span<const ServerView> servers) const;

private:
    /// first_at_or_after(), inline in pick().
    [[nodiscard]] std::size_t arc_search(std::uint64_t h) const;
    /// The owner at ring index `j` is down: walk on clockwise to the first healthy owner
    /// (count_ when none is healthy). Out of line: picks seldom need it.
    [[gnu::noinline]] ServerIndex walk_on(std::size_t j, std::span<const ServerView> servers) const;
    /// pick() for a key whose arc has mixed owners or whose owner is down, out of line.
    [[gnu::noinline]] ServerIndex pick_on_ring(std::uint64_t h, std::span<const ServerView> servers) const;

    std::size_t count_;
    std::vector<std::uint64_t> points_;  // sorted ring positions
    std::vector<ServerIndex> owners_;    // owners_[j] owns points_[j]
    /// The ring cut into 2^bucket_bits_ equal arcs by the top bits of a position:
    /// bucket_start_[b] is the first point at or after arc b's start (one more entry, the
    /// ring's size, ends the last arc). pick() binary-searches only its key's arc, about one
    /// point, instead of the whole ring, each level of which missed the cache.
    unsigned bucket_bits_ = 0;
    std::vector<std::uint32_t> bucket_start_;
    /// The ring cut again, into 8 times as many arcs: arc_owner_[a] is the one owner every key
    /// of arc a lands on (the owners of its points and of the first point after it agree), or
    /// kMixed. Most picks read this one byte instead of the arc table, the ring and the owners.
    /// All kMixed (two arcs) when there are too many backends for a byte or too many points.
    static constexpr std::uint8_t kMixed = 0xff;
    unsigned owner_shift_ = 63;
    std::vector<std::uint8_t> arc_owner_;
};

}  // namespace s2sim::models

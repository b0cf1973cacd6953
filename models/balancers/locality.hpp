#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "models/balancer.hpp"

namespace s2sim::models {

/// Locality-first balancing, a simplified Envoy zone-aware routing: requests
/// stay in the caller's site (backends whose site equals
/// `PickContext::caller_site`) while it has capacity, and spill over to every
/// healthy backend once all healthy local ones are busy at or above
/// `spill_at` utilisation (or when no local backend is healthy). Within the
/// chosen set it takes the fewest requests in flight, ties rotating as in
/// least_connections within that set: each set (the local backends of one
/// caller site, or all backends when spilling) keeps its own rotation cursor,
/// so picks for one site do not move where another site's ties start. (Envoy splits traffic across zones in proportion to
/// their capacity instead of a threshold; the threshold makes cross-site
/// traffic easy to reason about.)
class Locality final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "locality";
    /// `sites`: site id per backend (copied), or empty for "all local";
    /// `spill_at` in (0, 1].
    Locality(std::size_t backend_count, std::vector<std::uint32_t> sites, double spill_at);
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    /// No feedback: the picks read the views at pick time.
    [[nodiscard]] BalancerHooks hooks() const override { return {false, false, false}; }
    [[nodiscard]] bool reads_server_load() const override { return true; }

private:
    /// Where a set's tie rotation starts: one past its previous pick.
    std::size_t& cursor(bool spill, std::uint32_t caller_site);

    std::size_t count_;
    std::vector<std::uint32_t> sites_;
    double spill_at_;
    std::size_t spill_next_ = 0;                                   // the spill-over set's cursor
    std::vector<std::pair<std::uint32_t, std::size_t>> local_next_;  // (caller site, cursor), few entries
};

}  // namespace s2sim::models

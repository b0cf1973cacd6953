#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/balancer.hpp"

namespace s2sim::models {

/// Locality-first balancing, a simplified Envoy zone-aware routing: requests
/// stay in the caller's site (backends whose site equals
/// `PickContext::caller_site`) while it has capacity, and spill over to every
/// healthy backend once all healthy local ones are busy at or above
/// `spill_at` utilisation (or when no local backend is healthy). Within the
/// chosen set it takes the fewest requests in flight, ties rotating as in
/// least_connections. (Envoy splits traffic across zones in proportion to
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
    [[nodiscard]] bool reads_server_load() const override { return true; }

private:
    std::size_t count_;
    std::vector<std::uint32_t> sites_;
    double spill_at_;
    std::size_t next_ = 0;  // scan start: one past the previous pick
};

}  // namespace s2sim::models

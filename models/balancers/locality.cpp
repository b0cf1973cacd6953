#include "models/balancers/locality.hpp"

#include <utility>

namespace s2sim::models {

Locality::Locality(std::size_t backend_count, std::vector<std::uint32_t> sites, double spill_at)
    : count_(backend_count), sites_(std::move(sites)), spill_at_(spill_at) {}

std::size_t& Locality::cursor(bool spill, std::uint32_t caller_site) {
    if (spill) return spill_next_;
    for (auto& [site, next] : local_next_) {
        if (site == caller_site) return next;
    }
    return local_next_.emplace_back(caller_site, 0).second;
}

ServerIndex Locality::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    const std::size_t n = count_;
    auto local = [&](std::size_t i) { return sites_.empty() || sites_[i] == ctx.caller_site; };
    const std::size_t local_start = cursor(false, ctx.caller_site);
    const std::size_t spill_start = spill_next_;
    // Position of backend i in a scan that starts at `start` and wraps around.
    auto rank = [n](std::size_t i, std::size_t start) { return i >= start ? i - start : i + n - start; };
    // One pass finds the least-loaded local and overall backends (ties to the
    // first in each set's own rotation) and whether any local one still has room.
    std::size_t best_local = n;
    std::size_t best_any = n;
    bool local_has_room = false;
    for (std::size_t i = 0; i < n; ++i) {
        const ServerView& s = servers[i];
        if (!s.healthy) continue;
        if (best_any == n || s.in_flight < servers[best_any].in_flight ||
            (s.in_flight == servers[best_any].in_flight && rank(i, spill_start) < rank(best_any, spill_start))) {
            best_any = i;
        }
        if (!local(i)) continue;
        if (best_local == n || s.in_flight < servers[best_local].in_flight ||
            (s.in_flight == servers[best_local].in_flight && rank(i, local_start) < rank(best_local, local_start))) {
            best_local = i;
        }
        if (s.utilization < spill_at_) local_has_room = true;
    }
    const std::size_t best = local_has_room ? best_local : best_any;
    if (best == n) return static_cast<ServerIndex>(n);
    cursor(!local_has_room, ctx.caller_site) = best + 1 == n ? 0 : best + 1;
    return static_cast<ServerIndex>(best);
}

}  // namespace s2sim::models

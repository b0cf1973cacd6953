#include "models/balancers/locality.hpp"

#include <utility>

namespace s2sim::models {

Locality::Locality(std::size_t backend_count, std::vector<std::uint32_t> sites, double spill_at)
    : count_(backend_count), sites_(std::move(sites)), spill_at_(spill_at) {}

ServerIndex Locality::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    const std::size_t n = count_;
    auto local = [&](std::size_t i) { return sites_.empty() || sites_[i] == ctx.caller_site; };
    // One scan finds the least-loaded local and overall backends and whether
    // any local one still has room.
    std::size_t best_local = n;
    std::size_t best_any = n;
    bool local_has_room = false;
    for (std::size_t step = 0; step < n; ++step) {
        std::size_t i = next_ + step;
        if (i >= n) i -= n;
        const ServerView& s = servers[i];
        if (!s.healthy) continue;
        if (best_any == n || s.in_flight < servers[best_any].in_flight) best_any = i;
        if (!local(i)) continue;
        if (best_local == n || s.in_flight < servers[best_local].in_flight) best_local = i;
        if (s.utilization < spill_at_) local_has_room = true;
    }
    const std::size_t best = local_has_room ? best_local : best_any;
    if (best == n) return static_cast<ServerIndex>(n);
    next_ = best + 1 == n ? 0 : best + 1;
    return static_cast<ServerIndex>(best);
}

}  // namespace s2sim::models

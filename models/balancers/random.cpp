#include "models/balancers/random.hpp"

#include "models/balancers/common.hpp"

namespace s2sim::models {

ServerIndex RandomBalancer::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    const auto healthy = balancing::count_healthy(servers);
    if (healthy == 0) return static_cast<ServerIndex>(count_);
    // The r-th healthy backend: one draw whatever the health set, so the
    // stream's use does not depend on which backends are down.
    auto r = ctx.rng.uniform_index(healthy);
    for (std::size_t i = 0; i < count_; ++i) {
        if (!servers[i].healthy) continue;
        if (r == 0) return static_cast<ServerIndex>(i);
        --r;
    }
    return static_cast<ServerIndex>(count_);  // unreachable: r < healthy
}

}  // namespace s2sim::models

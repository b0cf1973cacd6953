#include "models/balancers/least_connections.hpp"

namespace s2sim::models {

ServerIndex LeastConnections::pick(const PickContext& /*ctx*/, std::span<const ServerView> servers) {
    const std::size_t n = count_;
    std::size_t best = n;
    for (std::size_t step = 0; step < n; ++step) {
        std::size_t i = next_ + step;
        if (i >= n) i -= n;
        if (!servers[i].healthy) continue;
        if (best == n || servers[i].in_flight < servers[best].in_flight) best = i;
    }
    if (best == n) return static_cast<ServerIndex>(n);
    next_ = best + 1 == n ? 0 : best + 1;
    return static_cast<ServerIndex>(best);
}

}  // namespace s2sim::models

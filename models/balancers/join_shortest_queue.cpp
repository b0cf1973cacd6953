#include "models/balancers/join_shortest_queue.hpp"

namespace s2sim::models {

ServerIndex JoinShortestQueue::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    const std::size_t n = count_;
    std::size_t best = n;
    std::uint64_t ties = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!servers[i].healthy) continue;
        if (best == n || servers[i].queue_length < servers[best].queue_length) {
            best = i;
            ties = 1;
        } else if (servers[i].queue_length == servers[best].queue_length) {
            // Reservoir sampling over the tied: the k-th tie replaces the choice
            // with probability 1/k, so each of them ends up chosen with 1/ties.
            ++ties;
            if (ctx.rng.uniform_index(ties) == 0) best = i;
        }
    }
    return static_cast<ServerIndex>(best);
}

}  // namespace s2sim::models

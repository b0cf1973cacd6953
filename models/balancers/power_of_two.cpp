#include "models/balancers/power_of_two.hpp"

#include "models/balancers/common.hpp"

namespace s2sim::models {

PowerOfTwo::PowerOfTwo(std::size_t backend_count, unsigned choices)
    : count_(backend_count), choices_(choices) {
    pool_.reserve(backend_count);
}

ServerIndex PowerOfTwo::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    balancing::healthy_indices(servers, pool_);
    if (pool_.empty()) return static_cast<ServerIndex>(count_);
    const std::size_t k = balancing::sample_distinct(pool_, choices_, ctx.rng);
    ServerIndex best = pool_[0];
    for (std::size_t j = 1; j < k; ++j) {
        if (servers[pool_[j]].in_flight < servers[best].in_flight) best = pool_[j];
    }
    return best;
}

}  // namespace s2sim::models

#include "models/balancers/power_of_two.hpp"

#include "models/balancers/common.hpp"

namespace s2sim::models {

PowerOfTwo::PowerOfTwo(std::size_t backend_count, unsigned choices)
    : count_(backend_count), choices_(choices), pool_(backend_count) {}

ServerIndex PowerOfTwo::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    ServerIndex first = 0;
    ServerIndex second = 0;
    if (choices_ == 2 && pool_.sample_two(ctx.rng, first, second)) [[likely]] {
        return servers[second].in_flight < servers[first].in_flight ? second : first;  // ties: the first
    }
    return pick_sampled(ctx, servers);
}

ServerIndex PowerOfTwo::pick_sampled(const PickContext& ctx, std::span<const ServerView> servers) {
    const auto sampled = pool_.sample(choices_, ctx.rng);
    if (sampled.empty()) return static_cast<ServerIndex>(count_);
    ServerIndex best = sampled[0];
    for (std::size_t j = 1; j < sampled.size(); ++j) {
        if (servers[sampled[j]].in_flight < servers[best].in_flight) best = sampled[j];
    }
    return best;
}

}  // namespace s2sim::models

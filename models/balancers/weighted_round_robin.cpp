#include "models/balancers/weighted_round_robin.hpp"

#include <utility>

namespace s2sim::models {

WeightedRoundRobin::WeightedRoundRobin(std::vector<double> weights)
    : weights_(std::move(weights)), current_(weights_.size(), 0.0) {}

ServerIndex WeightedRoundRobin::pick(const PickContext& /*ctx*/, std::span<const ServerView> servers) {
    const std::size_t n = weights_.size();
    std::size_t best = n;
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!servers[i].healthy) continue;
        current_[i] += weights_[i];
        total += weights_[i];
        if (best == n || current_[i] > current_[best]) best = i;
    }
    if (best == n) return static_cast<ServerIndex>(n);
    current_[best] -= total;
    return static_cast<ServerIndex>(best);
}

}  // namespace s2sim::models

#include "models/balancers/weighted_random.hpp"

#include <algorithm>
#include <utility>

namespace s2sim::models {

WeightedRandom::WeightedRandom(std::vector<double> weights) : weights_(std::move(weights)) {
    cumulative_.reserve(weights_.size());
    double sum = 0.0;
    for (const double w : weights_) cumulative_.push_back(sum += w);
}

ServerIndex WeightedRandom::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    const std::size_t n = weights_.size();
    double total = 0.0;
    bool all_healthy = true;
    for (std::size_t i = 0; i < n; ++i) {
        if (servers[i].healthy) total += weights_[i];
        else all_healthy = false;
    }
    if (total <= 0.0) return static_cast<ServerIndex>(n);
    const double u = ctx.rng.uniform01() * total;  // in (0, total)
    if (all_healthy) {
        // First prefix sum above u: backend i covers (cum[i-1], cum[i]].
        const auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), u);
        const auto i = static_cast<std::size_t>(it - cumulative_.begin());
        return static_cast<ServerIndex>(i < n ? i : n - 1);  // n - 1 guards rounding at the top
    }
    double acc = 0.0;
    std::size_t last = n;
    for (std::size_t i = 0; i < n; ++i) {
        if (!servers[i].healthy) continue;
        acc += weights_[i];
        last = i;
        if (u <= acc) return static_cast<ServerIndex>(i);
    }
    return static_cast<ServerIndex>(last);  // rounding at the top end
}

}  // namespace s2sim::models

#include "models/balancers/random.hpp"

#include "models/balancers/common.hpp"

namespace s2sim::models {

ServerIndex RandomBalancer::pick(const PickContext& ctx, std::span<const ServerView> /*servers*/) {
    // The r-th healthy backend: one draw whatever the health set, so the
    // stream's use does not depend on which backends are down.
    const auto sampled = pool_.sample(1, ctx.rng);
    return sampled.empty() ? static_cast<ServerIndex>(count_) : sampled[0];
}

}  // namespace s2sim::models

#include "models/balancers/random.hpp"

#include "models/balancers/common.hpp"

namespace s2sim::models {

ServerIndex RandomBalancer::pick(const PickContext& ctx, std::span<const ServerView> /*servers*/) {
    // The r-th healthy backend: one draw whatever the health set, so the
    // stream's use does not depend on which backends are down.
    ServerIndex first = 0;
    return pool_.sample_one(ctx.rng, first) ? first : static_cast<ServerIndex>(count_);
}

}  // namespace s2sim::models

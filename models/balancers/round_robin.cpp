#include "models/balancers/round_robin.hpp"

namespace s2sim::models {

ServerIndex RoundRobin::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    const std::size_t i = next_;
    if (i < count_ && servers[i].healthy) [[likely]] {
        next_ = i + 1 == count_ ? 0 : i + 1;
        return static_cast<ServerIndex>(i);
    }
    return pick_scan(ctx, servers);
}

ServerIndex RoundRobin::pick_scan(const PickContext& ctx, std::span<const ServerView> servers) {
    const std::size_t n = count_;
    if (next_ == n) next_ = static_cast<std::size_t>(ctx.rng.uniform_index(n));  // the first pick
    for (std::size_t step = 0; step < n; ++step) {
        std::size_t i = next_ + step;
        if (i >= n) i -= n;
        if (servers[i].healthy) {
            next_ = i + 1 == n ? 0 : i + 1;
            return static_cast<ServerIndex>(i);
        }
    }
    return static_cast<ServerIndex>(n);
}

}  // namespace s2sim::models

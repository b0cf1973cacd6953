#include "models/balancers/least_connections.hpp"

namespace s2sim::models {

LeastConnections::LeastConnections(std::size_t backend_count)
    : count_(backend_count), loads_(backend_count <= kScanAtMost ? 1 : backend_count) {
    if (count_ <= kScanAtMost) keys_.assign(count_, 0);
}

ServerIndex LeastConnections::pick(const PickContext& /*ctx*/, std::span<const ServerView> /*servers*/) {
    if (!keys_.empty()) {
        // A scan from next_, wrapping, keeping the first lowest key: what the tree's
        // first_min_from(next_) finds, in a few compares of one cache line.
        constexpr std::uint32_t absent = balancing::MinIndex::absent;
        const std::size_t n = count_;
        std::uint32_t best_key = absent;
        std::size_t best = n;
        std::size_t i = next_;
        for (std::size_t step = 0; step < n; ++step) {
            if (keys_[i] < best_key) {
                best_key = keys_[i];
                best = i;
            }
            i = i + 1 == n ? 0 : i + 1;
        }
        if (best == n) return static_cast<ServerIndex>(n);
        next_ = best + 1 == n ? 0 : best + 1;
        return static_cast<ServerIndex>(best);
    }
    std::size_t best = loads_.first_min_from(next_);
    if (best == balancing::MinIndex::none) best = loads_.first_min_from(0);  // wrap around
    if (best == balancing::MinIndex::none) return static_cast<ServerIndex>(count_);
    next_ = best + 1 == count_ ? 0 : best + 1;
    return static_cast<ServerIndex>(best);
}

void LeastConnections::on_view_changed(ServerIndex server, const ServerView& view) {
    if (!keys_.empty()) {
        // The tree's keys: absent when down, the load clamped just below absent.
        constexpr std::uint32_t absent = balancing::MinIndex::absent;
        keys_[server] = !view.healthy ? absent : view.in_flight >= absent ? absent - 1 : view.in_flight;
        return;
    }
    if (!view.healthy) {
        if (loads_.key(server) != balancing::MinIndex::absent) loads_.remove(server);
    } else if (loads_.key(server) != view.in_flight) {
        loads_.set(server, view.in_flight);
    }
}

}  // namespace s2sim::models

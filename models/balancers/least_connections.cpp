#include "models/balancers/least_connections.hpp"

namespace s2sim::models {

ServerIndex LeastConnections::pick(const PickContext& /*ctx*/, std::span<const ServerView> /*servers*/) {
    std::size_t best = loads_.first_min_from(next_);
    if (best == balancing::MinIndex::none) best = loads_.first_min_from(0);  // wrap around
    if (best == balancing::MinIndex::none) return static_cast<ServerIndex>(count_);
    next_ = best + 1 == count_ ? 0 : best + 1;
    return static_cast<ServerIndex>(best);
}

void LeastConnections::on_view_changed(ServerIndex server, const ServerView& view) {
    if (!view.healthy) {
        if (loads_.key(server) != balancing::MinIndex::absent) loads_.remove(server);
    } else if (loads_.key(server) != view.in_flight) {
        loads_.set(server, view.in_flight);
    }
}

}  // namespace s2sim::models

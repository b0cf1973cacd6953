#include "models/balancers/join_shortest_queue.hpp"

namespace s2sim::models {

ServerIndex JoinShortestQueue::pick(const PickContext& ctx, std::span<const ServerView> /*servers*/) {
    if (queues_.min() == balancing::MinIndex::absent) return static_cast<ServerIndex>(count_);
    const std::uint32_t ties = queues_.ties();
    if (ties == 1) return static_cast<ServerIndex>(queues_.nth_min(0));
    // One draw for the tie; counted from the last so that two tied backends split
    // as the reservoir scan did (draw 0 took the later one).
    const auto r = static_cast<std::uint32_t>(ctx.rng.uniform_index(ties));
    return static_cast<ServerIndex>(queues_.nth_min(ties - 1 - r));
}

void JoinShortestQueue::on_view_changed(ServerIndex server, const ServerView& view) {
    if (!view.healthy) {
        if (queues_.key(server) != balancing::MinIndex::absent) queues_.remove(server);
    } else if (queues_.key(server) != view.queue_length) {
        queues_.set(server, view.queue_length);
    }
}

}  // namespace s2sim::models

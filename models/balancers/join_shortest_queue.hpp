#pragma once
#include <cstddef>

#include "models/balancer.hpp"
#include "models/balancers/min_index.hpp"

namespace s2sim::models {

/// Join-the-shortest-queue: sends each request to the healthy backend with the
/// fewest requests at the server itself (`ServerView::queue_length`, waiting or
/// running, from every caller). This is the idealised policy of queueing theory
/// (Winston 1977), with global, instant knowledge no real client has; it is the
/// yardstick the others are measured against. Ties go uniformly at random among
/// the tied backends, so the policy is symmetric: with t > 1 tied, one draw
/// r = uniform_index(t) takes the (t-1-r)-th of them in list order (which, for
/// two tied, is the choice the earlier reservoir scan made from the same draw).
/// The queue lengths live in a segment tree fed by on_view_changed(), so a pick
/// costs O(log n), not a scan of all n.
class JoinShortestQueue final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "join_shortest_queue";
    /// For `backend_count` >= 1 backends.
    explicit JoinShortestQueue(std::size_t backend_count) : count_(backend_count), queues_(backend_count) {}
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    void on_view_changed(ServerIndex server, const ServerView& view) override;
    [[nodiscard]] bool reads_server_load() const override { return true; }
    /// The queues' index follows health and load changes; in_flight calls kept (they are no-ops).
    [[nodiscard]] BalancerHooks hooks() const override { return {true, false, false}; }

private:
    std::size_t count_;
    balancing::MinIndex queues_;  // queue_length per healthy backend
};

}  // namespace s2sim::models

#pragma once
#include <cstddef>

#include "models/balancer.hpp"

namespace s2sim::models {

/// Join-the-shortest-queue: sends each request to the healthy backend with the
/// fewest requests at the server itself (`ServerView::queue_length`, waiting or
/// running, from every caller). This is the idealised policy of queueing theory
/// (Winston 1977), with global, instant knowledge no real client has; it is the
/// yardstick the others are measured against. Ties go uniformly at random among
/// the tied backends, so the policy is symmetric.
class JoinShortestQueue final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "join_shortest_queue";
    /// For `backend_count` >= 1 backends.
    explicit JoinShortestQueue(std::size_t backend_count) : count_(backend_count) {}
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    [[nodiscard]] bool reads_server_load() const override { return true; }

private:
    std::size_t count_;
};

}  // namespace s2sim::models

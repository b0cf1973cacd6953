#pragma once
#include <cstddef>

#include "models/balancer.hpp"
#include "models/balancers/common.hpp"

namespace s2sim::models {

/// Sends each request to a healthy backend drawn uniformly at random
/// (Envoy's `RANDOM`, HAProxy's `random(1)`). Knows nothing of load. One draw
/// r = uniform_index(healthy count) takes the r-th healthy backend in list order;
/// the healthy list is kept across picks, so a pick costs O(1).
class RandomBalancer final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "random";
    /// For `backend_count` >= 1 backends.
    explicit RandomBalancer(std::size_t backend_count) : count_(backend_count), pool_(backend_count) {}
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    /// The healthy pool needs health changes only.
    [[nodiscard]] BalancerHooks hooks() const override { return {false, false, false}; }
    void on_view_changed(ServerIndex server, const ServerView& view) override { pool_.on_view_changed(server, view); }

private:
    std::size_t count_;
    balancing::HealthyPool pool_;
};

}  // namespace s2sim::models

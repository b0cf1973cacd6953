#pragma once
#include <cstddef>

#include "models/balancer.hpp"

namespace s2sim::models {

/// Sends each request to a healthy backend drawn uniformly at random
/// (Envoy's `RANDOM`, HAProxy's `random(1)`). Knows nothing of load.
class RandomBalancer final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "random";
    /// For `backend_count` >= 1 backends.
    explicit RandomBalancer(std::size_t backend_count) : count_(backend_count) {}
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;

private:
    std::size_t count_;
};

}  // namespace s2sim::models

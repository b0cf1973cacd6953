#pragma once
#include <cstddef>
#include <vector>

#include "models/balancer.hpp"

namespace s2sim::models {

/// Sends each request to a healthy backend drawn with probability proportional
/// to its weight (HAProxy's `random` with server weights, Envoy's weighted
/// RANDOM). Knows nothing of load.
class WeightedRandom final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "weighted_random";
    /// `weights`: one positive weight per backend (copied).
    explicit WeightedRandom(std::vector<double> weights);
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    /// No feedback: the picks read the weights only.
    [[nodiscard]] BalancerHooks hooks() const override { return {false, false, false}; }

private:
    std::vector<double> weights_;
    std::vector<double> cumulative_;  // prefix sums of weights_, for the all-healthy case
};

}  // namespace s2sim::models

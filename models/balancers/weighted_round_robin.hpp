#pragma once
#include <cstddef>
#include <vector>

#include "models/balancer.hpp"

namespace s2sim::models {

/// NGINX's smooth weighted round robin (ngx_http_upstream_round_robin.c):
/// on each pick every healthy backend's current weight grows by its weight,
/// the largest current weight wins (ties to the lowest index) and loses the
/// total of the healthy weights. Over any cycle of sum(w) picks each backend
/// gets exactly its weight, spread out: weights {5,1,1} give a a b a c a a.
/// Unhealthy backends are skipped and keep their current weight, as NGINX
/// skips peers that are down. (NGINX also lowers the effective weight of a
/// peer after failures; here health checks mark it down instead.)
class WeightedRoundRobin final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "weighted_round_robin";
    /// `weights`: one positive weight per backend (copied).
    explicit WeightedRoundRobin(std::vector<double> weights);
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    /// No feedback: the picks read the weights and health flags at pick time.
    [[nodiscard]] BalancerHooks hooks() const override { return {false, false, false}; }

private:
    std::vector<double> weights_;
    std::vector<double> current_;
};

}  // namespace s2sim::models

#pragma once
#include <cstddef>

#include "models/balancer.hpp"

namespace s2sim::models {

/// Sends requests to the healthy backends in turn, in list order, skipping
/// unhealthy ones (NGINX round robin with equal weights; Envoy's unweighted
/// round robin). The cycle starts at a backend drawn at random on the first
/// pick, as Envoy seeds each worker, so that many callers that each own a
/// round-robin balancer do not march in lockstep.
class RoundRobin final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "round_robin";
    /// For `backend_count` >= 1 backends.
    explicit RoundRobin(std::size_t backend_count) : count_(backend_count), next_(backend_count) {}
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    /// No feedback: the picks follow the list.
    [[nodiscard]] BalancerHooks hooks() const override { return {false, false, false}; }

private:
    /// The first pick (draws the start) and picks whose next backend is down, out of line.
    [[gnu::noinline]] ServerIndex pick_scan(const PickContext& ctx, std::span<const ServerView> servers);

    std::size_t count_;
    std::size_t next_;  // where the scan for the next healthy backend starts; count_ before the first pick
};

}  // namespace s2sim::models

#pragma once
#include <cstddef>
#include <vector>

#include "models/balancer.hpp"
#include "models/balancers/common.hpp"

namespace s2sim::models {

/// Power of d choices (Mitzenmacher 2001; Envoy's `LEAST_REQUEST` with equal
/// weights): samples `choices` distinct healthy backends uniformly and sends
/// the request to the one with the fewest requests in flight from this caller
/// (`ServerView::in_flight`); ties go to the first sampled. When `choices` is
/// at least the healthy count it becomes a full least-in-flight scan with
/// random tie order. Envoy samples with replacement; sampling without
/// replacement (as Finagle's P2C does) differs by O(d/n) and never wastes a choice.
/// The list of healthy backends is kept across picks (rebuilt only when a health
/// flag changes), so a pick costs O(choices).
class PowerOfTwo final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "power_of_two";
    /// For `backend_count` >= 1 backends, sampling `choices` >= 1 of them.
    PowerOfTwo(std::size_t backend_count, unsigned choices);
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    /// The healthy pool needs health changes only; the loads are read at pick time.
    [[nodiscard]] BalancerHooks hooks() const override { return {false, false, false}; }
    void on_view_changed(ServerIndex server, const ServerView& view) override { pool_.on_view_changed(server, view); }

private:
    /// Any `choices`, or fewer than two healthy: the general partial shuffle, out of line.
    [[gnu::noinline]] ServerIndex pick_sampled(const PickContext& ctx, std::span<const ServerView> servers);

    std::size_t count_;
    unsigned choices_;
    balancing::HealthyPool pool_;
};

}  // namespace s2sim::models

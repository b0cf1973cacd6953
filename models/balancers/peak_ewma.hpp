#pragma once
#include <cstddef>
#include <vector>

#include "models/balancer.hpp"
#include "models/balancers/common.hpp"

namespace s2sim::models {

/// Finagle's Peak EWMA with power-of-two-choices (`Balancers.p2cPeakEwma`).
/// Per backend a cost, in seconds, tracks the observed latency: a response
/// slower than the cost sets it at once (the "peak"); otherwise the cost moves
/// toward it as an EWMA with time constant `decay_s` over the time since the
/// backend was last looked at, and between observations it decays toward 0,
/// so a backend that was slow is retried after a while. A pick samples
/// `choices` distinct healthy backends and takes the lowest load
/// cost * (in_flight + 1), ties to the first sampled; a backend with requests
/// in flight but no latency seen yet is penalised, as in Finagle.
/// Like Finagle, reading a backend's load folds the decay into its cost
/// (Finagle's `Metric.get` calls `observe(0)`), so picks change the state.
/// The list of healthy backends is kept across picks (rebuilt only when a health
/// flag changes), so a pick costs O(choices).
class PeakEwma final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "peak_ewma";
    /// For `backend_count` >= 1 backends, `choices` >= 1, `decay_s` > 0 seconds.
    PeakEwma(std::size_t backend_count, unsigned choices, double decay_s);
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    /// The healthy pool needs health changes only; the costs need the responses.
    [[nodiscard]] BalancerHooks hooks() const override { return {false, false, true}; }
    void on_view_changed(ServerIndex server, const ServerView& view) override { pool_.on_view_changed(server, view); }
    /// Folds the response time of backend `server` into its cost.
    void on_response(ServerIndex server, double latency_s, Time now) override;

    /// The current cost of backend `server` (seconds): its peak-sensitive latency
    /// estimate decayed to `now`, without changing state. For tests and reports.
    [[nodiscard]] double latency_estimate(ServerIndex server, Time now) const;

private:
    void observe(ServerIndex server, double rtt_s, Time now);
    double load(ServerIndex server, std::uint32_t in_flight, Time now);

    std::size_t count_;
    unsigned choices_;
    double tau_s_;
    std::vector<double> cost_;       // seconds
    std::vector<Time> stamp_;        // when cost_ was last updated
    balancing::HealthyPool pool_;
};

}  // namespace s2sim::models

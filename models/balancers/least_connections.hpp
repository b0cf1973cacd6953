#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/balancer.hpp"
#include "models/balancers/min_index.hpp"

namespace s2sim::models {

/// Sends each request to the healthy backend with the fewest requests in
/// flight from this caller (`ServerView::in_flight`), like HAProxy's
/// `leastconn`. Ties rotate round-robin, as HAProxy does ("round robin is
/// performed within groups of servers of the same load"): among the tied, the
/// first at or after one past the previous pick, wrapping around (what a scan
/// starting there would keep). The loads live in a segment tree fed by
/// on_view_changed(), so a pick costs O(log n), not a scan of all n; up to
/// kScanAtMost backends a scan of one cache line of loads is cheaper than the tree.
class LeastConnections final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "least_connections";
    /// For `backend_count` >= 1 backends.
    explicit LeastConnections(std::size_t backend_count);
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;
    /// The loads' index needs every change of in_flight.
    [[nodiscard]] BalancerHooks hooks() const override { return {true, false, false}; }
    void on_view_changed(ServerIndex server, const ServerView& view) override;

    /// Backend counts up to this keep a plain array of loads and scan it per pick.
    static constexpr std::size_t kScanAtMost = 8;

private:
    std::size_t count_;
    std::size_t next_ = 0;        // where the tie rotation starts: one past the previous pick
    balancing::MinIndex loads_;  // in_flight per healthy backend (more than kScanAtMost backends)
    std::vector<std::uint32_t> keys_;  // up to kScanAtMost backends: the tree's leaf keys, else empty
};

}  // namespace s2sim::models

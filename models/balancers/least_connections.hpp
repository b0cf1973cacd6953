#pragma once
#include <cstddef>

#include "models/balancer.hpp"

namespace s2sim::models {

/// Sends each request to the healthy backend with the fewest requests in
/// flight from this caller (`ServerView::in_flight`), by a full scan, like
/// HAProxy's `leastconn`. Ties rotate round-robin, as HAProxy does ("round
/// robin is performed within groups of servers of the same load"): the scan
/// starts just after the previous pick and keeps the first minimum it meets.
class LeastConnections final : public Balancer {
public:
    /// TOML name.
    static constexpr std::string_view policy = "least_connections";
    /// For `backend_count` >= 1 backends.
    explicit LeastConnections(std::size_t backend_count) : count_(backend_count) {}
    [[nodiscard]] ServerIndex pick(const PickContext& ctx, std::span<const ServerView> servers) override;

private:
    std::size_t count_;
    std::size_t next_ = 0;  // scan start: one past the previous pick
};

}  // namespace s2sim::models

#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "models/balancer.hpp"
#include "models/elastic/elasticity.hpp"
#include "models/system/call.hpp"
#include "models/system/context.hpp"
#include "models/system/hosts.hpp"
#include "sim/random.hpp"

namespace s2sim::models::system {

/// A service: its pool of servers as its balancer sees them (views: load, health),
/// its random streams and its retry budget. 64-byte aligned: what sending a call reads (which
/// balancer hooks to call, balancer, views, ops) fills the first cache line; the retry budget's pointer, the backends'
/// hosts and the balancer's stream, which the caller reads next, the second.
struct alignas(64) Service {
    /// What of the balancer's feedback to call (Balancer::hooks()): the no-op calls are
    /// skipped. On the first line, read by every send and answer.
    bool tell_in_flight = true;   ///< on_view_changed() after in_flight changed
    bool tell_sent = true;        ///< on_sent()
    bool tell_response = true;    ///< on_response()
    std::unique_ptr<Balancer> balancer;
    std::vector<ServerView> views;
    std::vector<OpState> ops;  ///< per op: its random stream (work, sizes, call probabilities) and fixed sizes
    /// Retries of calls to this service; null = unlimited. A pointer, not an optional: its
    /// test then reads this line, not the far end of a 256-byte budget.
    std::unique_ptr<RetryBudget> budget;
    /// model->servers.data(), host_count of them: the host of each backend, read without the
    /// ServiceModel's line (the model is fixed during a run).
    const std::uint32_t* hosts = nullptr;
    RandomStream rng;
    std::uint32_t host_count = 0;
    const ServiceModel* model = nullptr;  ///< in what was padding: seldom read on a call's path
    RandomStream retry_rng;  ///< backoffs and jitter of calls to this service
    /// The ops' step tables (OpState::step_table points into it), one after the other.
    std::vector<StepCall> step_calls;
};

/// The services (one per SystemModel::services entry, same index): what their balancers
/// see of the hosts, health checks, retry budgets.
class ServicePools {
public:
    /// Registers each service's backends in the hosts' memberships.
    ServicePools(Context& context, Hosts& hosts);

    [[nodiscard]] Service& operator[](std::uint32_t s) { return services_[s]; }
    [[nodiscard]] const Service& operator[](std::uint32_t s) const { return services_[s]; }

    /// Updates what balancers see of `host` after ops arrived, left or the server
    /// changed; nothing when no balancer of its services reads its load.
    void refresh_views(const Host& host) {
        if (host.reads_load) write_load_views(host);
    }
    /// Schedules the health checks of every service of host `h` to notice its state.
    void schedule_health(std::uint32_t h, bool healthy);
    /// The services' autoscalers, outlier ejection, shedding and concurrency limits; null
    /// unless a service opts in (the call engine's hooks test it).
    [[nodiscard]] Elasticity* elastic() const { return elastic_.get(); }

private:
    void write_load_views(const Host& host);

    Context& context_;
    Hosts& hosts_;
    std::vector<Service> services_;
    std::unique_ptr<Elasticity> elastic_;
};

}  // namespace s2sim::models::system

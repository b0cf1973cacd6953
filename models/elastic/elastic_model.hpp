#pragma once
#include <cstdint>
#include <optional>

/// What a service's elasticity and resilience settings say (docs/elasticity.md), after
/// units and defaults are resolved: autoscaling, outlier ejection, load shedding and a
/// concurrency limit per caller. Plain data, part of ServiceModel.
namespace s2sim::models {

/// What an autoscaler measures of the servers ready in its pool.
enum class ScaleMetric : std::uint8_t {
    utilization,  ///< busy fraction of the cores, averaged over the interval (0..1)
    queue,        ///< jobs waiting for a core, time-averaged over the interval, per server
    in_flight,    ///< requests sent to the server and not answered yet, at the decision, per server
    latency_p99,  ///< p99 seconds (as its callers see them) of the answers that did not fail, in the interval
};

/// Kubernetes' Horizontal Pod Autoscaler rule for one service (docs/elasticity.md):
/// desired = ceil(ready x metric / target), skipped within `tolerance`, scale-in to the
/// largest recommendation of the last `stabilization_s`, changes rate-limited per
/// `rate_period_s`. The service's ServiceModel::servers hold `max` servers; the first
/// `initial` start in the pool, the others idle.
struct AutoscaleModel {
    ScaleMetric metric = ScaleMetric::utilization;
    double target = 0.6;            ///< the metric's target value per ready server (> 0)
    std::uint32_t min = 1;          ///< servers held at least (>= 1)
    std::uint32_t max = 1;          ///< servers held at most (== ServiceModel::servers.size())
    std::uint32_t initial = 1;      ///< servers in the pool at the start, in [min, max]
    double interval_s = 15;         ///< seconds between decisions (> 0), from time 0
    double tolerance = 0.1;         ///< no change while |metric / target - 1| <= tolerance
    double boot_s = 30;             ///< seconds from a scale-out until the server joins the balancer
    double stabilization_s = 300;   ///< scale-in window: the largest recommendation over it wins
    std::uint32_t up_servers = 4;   ///< scale-up limit: + this many servers per rate period, or
    double up_percent = 100;        ///< + this percentage, whichever is more
    double down_percent = 100;      ///< scale-down limit: - this percentage per rate period
    double rate_period_s = 15;      ///< seconds over which the rate limits count changes (> 0)
};

/// Envoy's outlier detection for one service: a server is ejected from the balancer after
/// `consecutive_errors` errors in a row (or, if set, a success rate below `success_rate`
/// over an interval with at least `min_requests` answers) for `ejection_s` x the times it
/// has been ejected (at most max(ejection_s, max_ejection_time_s)), while at most
/// `max_ejection` of the pool is ejected (one server always may be).
struct OutlierModel {
    std::uint32_t consecutive_errors = 5;  ///< errors in a row that eject; 0 = only the success rate
    double ejection_s = 30;                ///< base ejection time, seconds (> 0)
    double max_ejection = 0.1;             ///< fraction of the pool that may be ejected at once
    double max_ejection_time_s = 300;      ///< cap of one ejection, seconds
    double interval_s = 10;                ///< seconds between sweeps (multiplier decay, success rate)
    std::optional<double> success_rate;    ///< eject below this success rate in an interval; none = off
    std::uint32_t min_requests = 50;       ///< answers in an interval before the success rate counts
};

/// The settings of one service, all optional (nothing set = the service is not elastic).
struct ElasticModel {
    std::optional<AutoscaleModel> autoscale;
    std::optional<OutlierModel> outlier;
    /// Seconds a call may wait at a server (for a thread and a core) before its work
    /// starts; beyond it the server sheds the call (the caller sees a rejection).
    std::optional<double> queue_deadline_s;
    /// Calls each caller (a calling server, or a workload) may have in flight to the
    /// service; a call beyond it fails at once (a rejection), as Envoy's circuit breakers do.
    std::optional<std::uint32_t> concurrency_limit;
    [[nodiscard]] bool any() const { return autoscale || outlier || queue_deadline_s || concurrency_limit; }
};

/// The name of a metric as the scenario writes it ("utilization", ...).
[[nodiscard]] const char* scale_metric_name(ScaleMetric metric);

}  // namespace s2sim::models

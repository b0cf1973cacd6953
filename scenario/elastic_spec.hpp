#pragma once
#include <optional>
#include <string>

#include "sim/error.hpp"

/// The elasticity keys of a [service.NAME] table (docs/elasticity.md), as plain data in
/// the Spec: autoscaling, outlier ejection, load shedding and a concurrency limit.
namespace s2sim::scenario {

/// `autoscale = { metric, target, min, max, interval, tolerance, boot, stabilization, ... }`.
struct AutoscaleSpec {
    std::string metric = "utilization";  ///< utilization, queue, in_flight, latency_p99
    double target = 0;                   ///< the metric's target (latency_p99: seconds)
    int min = 1;                         ///< servers at least (>= 1)
    int max = 1;                         ///< servers at most (>= the servers listed)
    double interval = 15;                ///< seconds between decisions
    double tolerance = 0.1;              ///< no change while |metric / target - 1| <= tolerance
    double boot = 30;                    ///< seconds before a new server joins the balancer
    double stabilization = 300;          ///< scale-in window, seconds
    int up_servers = 4;                  ///< scale-up limit: servers per rate_period, or
    double up_percent = 100;             ///< this percentage, whichever is more
    double down_percent = 100;           ///< scale-down limit: percentage per rate_period
    double rate_period = 15;             ///< seconds
    SourcePos pos;
};

/// `outlier = { consecutive_errors, ejection, max_ejection, ... }` (Envoy's outlier detection).
struct OutlierSpec {
    int consecutive_errors = 5;            ///< 0 = only the success rate
    double ejection = 30;                  ///< base ejection seconds
    double max_ejection = 0.1;             ///< fraction of the pool ejected at most
    double max_ejection_time = 300;        ///< seconds, cap of one ejection
    double interval = 10;                  ///< seconds between sweeps
    std::optional<double> success_rate;    ///< eject below it over an interval
    int min_requests = 50;                 ///< answers in an interval before the success rate counts
    SourcePos pos;
};

/// The elasticity settings of one service (all optional).
struct ElasticSpec {
    std::optional<AutoscaleSpec> autoscale;
    std::optional<OutlierSpec> outlier;
    std::optional<double> queue_deadline;    ///< seconds a call may wait at a server before its work starts
    std::optional<int> concurrency_limit;    ///< calls in flight per caller to this service
};

}  // namespace s2sim::scenario

#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace s2sim::models {

struct SystemModel;

/// The analytic estimate of one server: open-network (Jackson) assumptions.
struct ServerLoad {
    std::string name;
    double arrival_rate = 0;  ///< jobs per second on its cores (an op with work_after counts twice)
    double mean_work_s = 0;   ///< mean seconds of core time per job, speed applied
    unsigned cores = 1;
    double utilization = 0;   ///< arrival_rate * mean_work_s / cores; >= 1 means saturated
    double wait_s = 0;        ///< mean wait for a core, M/M/c (Erlang C); +infinity when saturated
    bool saturated = false;   ///< utilization >= 1
};

/// The estimate of one operation (`service.op`).
struct OpEstimate {
    std::string name;
    double visit_rate = 0;  ///< calls per second reaching it (traffic equations)
    double response_s = 0;  ///< mean seconds from reaching a server to sending the response
};

/// The estimate of one request class (`workload/op`).
struct RequestEstimate {
    std::string name;
    double rate = 0;       ///< requests per second
    double latency_s = 0;  ///< predicted mean end-to-end latency, seconds (+infinity if saturated)
};

/// What analyze() predicts.
struct AnalyticResults {
    std::vector<RequestEstimate> requests;
    std::vector<OpEstimate> ops;
    std::vector<ServerLoad> servers;
    /// Where the model leaves the assumptions (skipped workloads, parallel calls, ...).
    std::vector<std::string> notes;
    /// True when some server has utilization >= 1.
    [[nodiscard]] bool saturated() const;
};

/// Solves the traffic equations x = external + R^T x with an Eigen LU solve:
/// `routing[i][j]` is the mean number of visits to station j caused by one visit to
/// station i (probabilities, or counts when a station calls another several times).
/// Returns the visit rate of every station (per second when `external` is).
/// Throws s2sim::Error when the sizes disagree or I - R^T is singular (a closed loop).
[[nodiscard]] std::vector<double> solve_traffic(std::span<const double> external,
                                                const std::vector<std::vector<double>>& routing);

/// Erlang C: the probability that an arrival waits in M/M/c with `servers` servers and
/// offered load `offered` = lambda / mu (erlangs). 1 when offered >= servers.
[[nodiscard]] double erlang_c(unsigned servers, double offered);

/// Mean waiting time (seconds) of M/M/c with arrival rate `lambda` (per second), mean
/// service `mean_service_s` and `servers` servers; +infinity when saturated.
[[nodiscard]] double mmc_wait(double lambda, double mean_service_s, unsigned servers);

/// Estimates `model` without simulating. `workload_rates` holds the mean arrival rate
/// of each workload (per second; NaN = unknown, the workload is skipped with a note).
/// Visit rates come from the call graph (probabilities, parallel groups and async
/// calls; retries ignored) through solve_traffic(), with one station per (service, op,
/// site of the server running it): a `locality` service takes a call only at its
/// servers in the caller's site (all of them when that site has none; spill-over is
/// left out, and a note bounds how often it would happen), other policies spread calls
/// over all their servers whatever the caller's site; within its site a server gets an
/// even share (by weight for the weighted policies); each server is M/M/c with the
/// mean work; a call adds its network time, route latency + bytes / bottleneck
/// bandwidth each way (averaged over the callee's servers it can reach); a parallel
/// group takes its slowest member's mean (an underestimate of the mean of the maximum).
/// `model` is borrowed; its topology caches routes, hence non-const.
[[nodiscard]] AnalyticResults analyze(SystemModel& model, std::span<const double> workload_rates);

}  // namespace s2sim::models

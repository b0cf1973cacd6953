#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/recorder.hpp"
#include "sim/stats/log_histogram.hpp"

namespace s2sim::models {

/// What one request class (`workload/op`) measured: counts and end-to-end latency.
struct RequestResult {
    std::string name;  ///< "workload/op"
    std::uint64_t count = 0;     ///< completed requests, failed or not
    std::uint64_t errors = 0;    ///< failed for any reason (rejections and timeouts included)
    std::uint64_t timeouts = 0;  ///< failed because a call timed out
    std::uint64_t rejected = 0;  ///< failed because a full queue turned a call away
    /// Seconds from leaving the client to the response back, of the requests that succeeded
    /// (failures would pull it towards 0 s for rejections and towards the timeout for timeouts).
    stats::LogHistogram latency;
    std::uint64_t retries = 0;   ///< retries made on the requests' behalf (by the calls they waited for)
    stats::LogHistogram error_latency;  ///< seconds, as `latency`, of the requests that failed
};

/// What one operation (`service.op`) measured at the servers that ran it.
struct OpResult {
    std::string name;  ///< "service.op"
    std::uint64_t count = 0;
    std::uint64_t errors = 0;
    /// Seconds from reaching the server to sending the response, of the calls that succeeded.
    stats::LogHistogram latency;
    std::uint64_t timeouts = 0;  ///< attempts of calls to this op that their caller gave up on
    std::uint64_t retries = 0;   ///< retries of calls to this op
    std::uint64_t rejected = 0;  ///< calls to this op turned away by a full queue
    stats::LogHistogram error_latency;  ///< seconds, as `latency`, of the calls that failed
};

/// One replicated op and one replica (`service.op->replica`): the lag of its writes.
struct ReplicationResult {
    std::string name;           ///< "db.write->db-replica-1"
    std::uint64_t count = 0;    ///< writes applied on the replica (committed after the warm-up)
    std::uint64_t failed = 0;   ///< writes it could not apply (down, queue full, unreachable)
    stats::LogHistogram lag;    ///< seconds from the commit on the primary to the apply on the replica
    double mean_backlog = 0;    ///< time-averaged writes committed but not yet applied
    double max_backlog = 0;
};

struct ServerResult {
    std::string name;
    double utilization = 0;  ///< mean busy fraction of the cores
    double mean_queue = 0;   ///< mean jobs waiting for a core
    double max_queue = 0;
    std::uint64_t completed = 0;
    std::uint64_t rejected = 0;
};

struct LinkResult {
    std::string name;  ///< "a->b", one per direction
    double utilization = 0;
    double bytes = 0;
};

/// One request class (`workload/op`) over time: one entry per window of TimeSeries.
struct RequestSeries {
    std::string name;                   ///< "workload/op"
    std::vector<std::uint64_t> count;   ///< requests completed in the window (failed or not)
    std::vector<std::uint64_t> errors;  ///< of which failed
    std::vector<double> p50_s;          ///< latency median of the window's successes; NaN when none
    std::vector<double> p99_s;          ///< latency 99th percentile of the successes; NaN when none
    std::vector<std::uint64_t> timeouts;  ///< of which failed because a call timed out
    std::vector<std::uint64_t> retries;   ///< retries made for the window's requests
};

/// One replication pair over time: one entry per window of TimeSeries.
struct ReplicationSeries {
    std::string name;             ///< "service.op->replica"
    std::vector<double> backlog;  ///< time-averaged writes not yet applied in the window
    std::vector<double> lag_p99_s;  ///< lag 99th percentile of the window's applies; NaN when none
};

/// One server over time: one entry per window of TimeSeries.
struct ServerSeries {
    std::string name;
    std::vector<double> utilization;  ///< mean busy fraction of the cores in the window
    std::vector<double> mean_queue;   ///< time-averaged jobs waiting for a core in the window
};

/// One link direction over time: one entry per window of TimeSeries.
struct LinkSeries {
    std::string name;                 ///< "a->b"
    std::vector<double> utilization;  ///< bytes carried / bytes the link could carry in the window, 0..1
    std::vector<double> bytes;        ///< bytes carried in the window
};

/// A scheduled change (`[[event]]`) that time series mark: a failure, a recovery, a slowdown.
struct SeriesEvent {
    double at_s = 0;      ///< seconds from the start of the run (warm-up included), as start_s
    std::string action;   ///< "fail", "recover" or "slow"
    std::string target;   ///< the server, link "a--b" or switch, as written
    double for_s = 0;     ///< seconds until it reverts; 0 = it stays
};

/// Measurements in consecutive windows of the measured span. A request belongs to
/// the window in which its response came back (requests sent during the warm-up are
/// left out, as in the totals), so the counts of a class sum to its total count.
struct TimeSeries {
    double window_s = 0;          ///< nominal window length, seconds
    std::vector<double> start_s;  ///< window starts, seconds from the start of the run (warm-up included)
    std::vector<double> length_s; ///< window lengths: window_s, except a shorter last (or interrupted) one
    std::vector<RequestSeries> requests;  ///< same order as RunResults::requests
    std::vector<ServerSeries> servers;    ///< same order as RunResults::servers
    std::vector<ReplicationSeries> replication;  ///< same order as RunResults::replication
    std::vector<LinkSeries> links;  ///< same order as RunResults::links; empty without a network
    std::vector<SeriesEvent> events;  ///< the scenario's [[event]]s, in their order, for plots to mark
    [[nodiscard]] bool empty() const { return start_s.empty(); }
    [[nodiscard]] std::size_t windows() const { return start_s.size(); }
};

/// Everything one run (one replication) measured.
struct RunResults {
    std::string scenario;
    std::uint64_t seed = 0;
    double simulated_s = 0;  ///< measured simulated time (after warm-up)
    double wall_s = 0;
    std::uint64_t events = 0;
    /// Empty when the run finished; otherwise why it stopped early (results are partial).
    std::string stopped_early;
    std::vector<RequestResult> requests;
    std::vector<OpResult> ops;
    std::vector<ServerResult> servers;
    std::vector<LinkResult> links;
    std::vector<ReplicationResult> replication;  ///< empty when no op replicates
    TimeSeries timeseries;  ///< empty when the model asked for none (window_s = 0)
    /// The tables components published through the Recorder (models/recorder.hpp), in the
    /// order they were declared; reports iterate over them.
    std::vector<RecordedTable> tables;
    std::vector<RecordedEntry> log;  ///< decisions and findings, in time order
};

}  // namespace s2sim::models

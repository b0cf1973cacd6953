#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "models/results.hpp"
#include "models/system/call.hpp"
#include "models/system/context.hpp"
#include "sim/stats/log_histogram.hpp"

namespace s2sim::models::system {

class Hosts;
class Replicator;

/// The figures of RunResults' fixed tables: request classes, ops, servers and links, and
/// their per-window series (one histogram per class for the open window only, so memory
/// is bounded whatever the number of windows). Figures of newer parts go through the
/// Recorder instead (Context::recorder). Counts only once the warm-up is over.
class Measurements {
public:
    /// Builds the rows and, when SystemModel::window_s > 0, the series; sets Context::window.
    Measurements(Context& context, const Hosts& hosts, Replicator& replicator);

    /// The row of op `op` of service `service` (its count and errors stay 0 until collect()
    /// reads them off its histograms).
    [[nodiscard]] OpResult& op(std::uint32_t service, std::uint32_t op) {
        return op_stats_[first_op_stat_[service] + op];
    }

    /// Call `call` finished its op on its server (answered or failed) at `now`. Its OpState's
    /// `stats` is its op's row (op(call.service, call.op)).
    void op_done(const Call& call, Time now) {
        if (call.arrived >= counted_from_) {
            OpResult& s = *call.op_state->stats;
            // Failures are timed apart: a rejection answers at once, so pooling it would
            // pull the latency of the calls served towards 0. `count` and `errors` are the
            // histograms' counts, set by collect(): one increment less per op.
            stats::LogHistogram& h = call.failure != Failure::none ? s.error_latency : s.latency;
            // Recorded in batches: a counter of a histogram of thousands is seldom in the L1
            // cache, and a batch's increments wait for their lines together, not one per answer.
            // Each histogram gets its values in the same order, so its sum is the same.
            PendingOp& p = pending_ops_[pending_op_count_];
            p.histogram = &h;
            p.latency_s = (now - call.arrived).seconds();
            if (++pending_op_count_ == pending_ops_.size()) [[unlikely]] record_pending_ops();
        }
    }
    /// The root call `call` of a workload came back to its client at `now`.
    void request_done(const Call& call, Time now) {
        if (call.sent >= counted_from_) {
            const std::uint32_t stat = first_request_stat_[call.workload] + call.mix;
            RequestResult& s = request_stats_[stat];
            ++s.count;
            if (call.failure != Failure::none) ++s.errors;
            if (call.failure == Failure::rejected) ++s.rejected;
            if (call.failure == Failure::timeout) ++s.timeouts;
            s.retries += call.retries;
            const double latency = (now - call.sent).seconds();
            // A duration (now >= sent, both integer times): record_duration() needs no check.
            (call.failure == Failure::none ? s.latency : s.error_latency).record_duration(latency);
            if (context_.window.ns() > 0) record_window(stat, call, latency);
        }
    }

    /// The warm-up is over (Context::measuring set): schedules the first window's end.
    void start_measuring();
    /// Closes the window that ends now and schedules the next boundary.
    void close_window();
    /// Moves the figures into `results` (closing the last window): once, at the end.
    void collect(RunResults& results);

private:
    void record_window(std::uint32_t stat, const Call& call, double latency_s) {
        if (call.failure == Failure::none) {
            window_latency_[stat].record_duration(latency_s);
        } else {
            ++window_errors_[stat];
        }
        ++window_count_[stat];
        if (call.failure == Failure::timeout) ++window_timeouts_[stat];
        window_retries_[stat] += call.retries;
    }

    /// op_done()'s values not yet recorded, oldest first (the op histograms are read only by
    /// collect(), which records them first).
    [[gnu::noinline]] void record_pending_ops();

    /// One value op_done() has yet to record, and its counter (found by record_pending_ops()).
    struct PendingOp {
        stats::LogHistogram* histogram;
        double latency_s;
        std::uint32_t* counter;
    };
    std::array<PendingOp, 42> pending_ops_;  ///< 1,008 bytes: the 16 lines that 64 entries of 16 bytes took
    /// Context::measure_from once measuring (start_measuring()), Time::max() before: the calls
    /// counted are those at or after it, one test instead of the flag's and the time's.
    Time counted_from_ = Time::max();
    std::uint32_t pending_op_count_ = 0;
    Context& context_;
    const Hosts& hosts_;
    Replicator& replicator_;
    std::vector<RequestResult> request_stats_;
    std::vector<OpResult> op_stats_;
    std::vector<std::uint32_t> first_request_stat_;  ///< per workload: its first row of request_stats_
    std::vector<std::uint32_t> first_op_stat_;       ///< per service: its first row of op_stats_
    // Time series: the closed windows' figures in series_, the open window's below.
    TimeSeries series_;
    std::vector<stats::LogHistogram> window_latency_;
    std::vector<std::uint64_t> window_errors_;
    std::vector<std::uint64_t> window_count_;   ///< requests completed in the window, failed or not
    std::vector<std::uint64_t> window_timeouts_;
    std::vector<std::uint64_t> window_retries_;
    std::vector<double> busy_at_window_start_;   ///< per host: busy core-seconds / cores since measuring
    std::vector<double> queue_at_window_start_;  ///< per host: queue-seconds since measuring
    std::vector<LinkStats> link_at_window_start_;  ///< per link direction: bytes and capacity since measuring
    Time window_start_;
};

}  // namespace s2sim::models::system

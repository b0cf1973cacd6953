// The figures of RunResults' fixed tables and their time series (System's part for
// [run] window and the results' requests, ops, servers and links).
#include "models/system/measurements.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "models/metastability.hpp"
#include "models/system/hosts.hpp"
#include "models/system/replicator.hpp"
#include "sim/error.hpp"

namespace s2sim::models::system {

Measurements::Measurements(Context& context, const Hosts& hosts, Replicator& replicator)
    : context_(context), hosts_(hosts), replicator_(replicator) {
    const SystemModel& model = context.model;
    for (const ServiceModel& s : model.services) {
        first_op_stat_.push_back(static_cast<std::uint32_t>(op_stats_.size()));
        for (const OpModel& op : s.ops) op_stats_.push_back(OpResult{s.name + "." + op.name, 0, 0, {}, 0, 0, 0, {}});
    }
    for (const WorkloadModel& w : model.workloads) {
        first_request_stat_.push_back(static_cast<std::uint32_t>(request_stats_.size()));
        for (const std::uint32_t op : w.ops) {
            request_stats_.push_back(
                RequestResult{w.name + "/" + model.services[w.service].ops[op].name, 0, 0, 0, 0, {}, 0, {}});
        }
    }
    if (context_.model.window_s > 0) {
        const double windows = std::ceil(context_.model.duration_s / context_.model.window_s - 1e-9);
        if (windows > SystemModel::max_windows) {
            throw Error("time-series window of " + std::to_string(context_.model.window_s) + " s makes " +
                        std::to_string(static_cast<std::uint64_t>(windows)) + " windows; at most " +
                        std::to_string(static_cast<std::uint64_t>(SystemModel::max_windows)) +
                        " (choose a longer window)");
        }
        context_.window = Time::from_ns(std::max<std::int64_t>(1, Time::from_seconds(context_.model.window_s).ns()));
        series_.window_s = context_.model.window_s;
        for (const RequestResult& r : request_stats_) {
            series_.requests.push_back(RequestSeries{r.name, {}, {}, {}, {}, {}, {}});
        }
        for (const Host& h : hosts_) series_.servers.push_back(ServerSeries{h.server->name(), {}, {}});
        for (const std::string& name : replicator_.pair_names()) {
            series_.replication.push_back(ReplicationSeries{name, {}, {}});
        }
        window_latency_.resize(request_stats_.size());
        window_errors_.assign(request_stats_.size(), 0);
        window_count_.assign(request_stats_.size(), 0);
        window_timeouts_.assign(request_stats_.size(), 0);
        window_retries_.assign(request_stats_.size(), 0);
        busy_at_window_start_.assign(hosts_.size(), 0.0);
        queue_at_window_start_.assign(hosts_.size(), 0.0);
        if (context_.network) {
            const Topology& topology = *context_.model.topology;
            for (DirectedLinkId d = 0; d < topology.directed_link_count(); ++d) {
                series_.links.push_back(LinkSeries{topology.directed_link_name(d), {}, {}});
            }
            link_at_window_start_.assign(series_.links.size(), LinkStats{});
        }
        for (const FaultEvent& e : context_.model.events) {
            const char* action = e.action == FaultAction::fail ? "fail" : e.action == FaultAction::recover ? "recover"
                                                                                                          : "slow";
            series_.events.push_back(SeriesEvent{e.at_s, action, e.target, e.duration_s.value_or(0.0)});
        }
    }
}

void Measurements::start_measuring() {
    counted_from_ = context_.measure_from;
    if (context_.window.ns() > 0) {
        window_start_ = context_.sim.now();
        if (window_start_ + context_.window < context_.end) {
            context_.sim.schedule_at(window_start_ + context_.window, [this] { close_window(); });
        }
    }
}

void Measurements::close_window() {
    const Time now = context_.sim.now();
    if (now <= window_start_) return;
    const double span = (now - context_.measure_from).seconds();
    const double length = (now - window_start_).seconds();
    // ns / 1e9 rather than ns * 1e-9: whole seconds stay whole (15, not 15.000000000000002).
    series_.start_s.push_back(static_cast<double>(window_start_.ns()) / 1e9);
    series_.length_s.push_back(static_cast<double>((now - window_start_).ns()) / 1e9);
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < series_.requests.size(); ++i) {
        RequestSeries& s = series_.requests[i];
        stats::LogHistogram& h = window_latency_[i];
        s.count.push_back(window_count_[i]);
        s.errors.push_back(window_errors_[i]);
        s.p50_s.push_back(h.count() ? h.quantile(0.5) : nan);
        s.p99_s.push_back(h.count() ? h.quantile(0.99) : nan);
        s.timeouts.push_back(window_timeouts_[i]);
        s.retries.push_back(window_retries_[i]);
        h.reset();
        window_errors_[i] = 0;
        window_count_[i] = 0;
        window_timeouts_[i] = 0;
        window_retries_[i] = 0;
    }
    replicator_.close_window(now, length, series_.replication);
    // Servers keep time averages since the start of measuring; the window's average
    // is the difference of the integrals at its two ends.
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
        const Server& server = *hosts_[i].server;
        const double busy = server.utilization(now) * span;
        const double queue = server.mean_queue(now) * span;
        // Differences of rounded integrals can dip a hair below 0 in idle windows.
        series_.servers[i].utilization.push_back(std::max(0.0, (busy - busy_at_window_start_[i]) / length));
        series_.servers[i].mean_queue.push_back(std::max(0.0, (queue - queue_at_window_start_[i]) / length));
        busy_at_window_start_[i] = busy;
        queue_at_window_start_[i] = queue;
    }
    // Links count bytes and capacity since the start of measuring, as servers do.
    for (std::size_t d = 0; d < series_.links.size(); ++d) {
        const LinkStats stats = context_.network->link_stats(static_cast<DirectedLinkId>(d));
        const LinkStats& before = link_at_window_start_[d];
        const double bytes = std::max(0.0, stats.bytes - before.bytes);
        const double capacity = stats.capacity_bytes - before.capacity_bytes;
        series_.links[d].bytes.push_back(bytes);
        series_.links[d].utilization.push_back(capacity > 0 && std::isfinite(capacity) ? std::min(1.0, bytes / capacity)
                                                                                       : 0.0);
        link_at_window_start_[d] = stats;
    }
    if (context_.metastability) context_.metastability->close_window(window_start_, now);
    context_.recorder.close_window(window_start_, now);
    window_start_ = now;
    if (!context_.sim.stopped() && now + context_.window < context_.end) {
        context_.sim.schedule_at(now + context_.window, [this] { close_window(); });
    }
}

void Measurements::record_pending_ops() {
    // Their counters found (and their cache lines fetched) together first, then the values
    // recorded in order. Latencies are durations: >= 0 and finite, as record_at() needs.
    const std::uint32_t n = pending_op_count_;
    for (std::uint32_t i = 0; i < n; ++i) {
        pending_ops_[i].counter = pending_ops_[i].histogram->counter_for(pending_ops_[i].latency_s);
    }
    std::uint32_t i = 0;
    for (; i < n; ++i) {
        const PendingOp& p = pending_ops_[i];
        if (p.counter == nullptr) [[unlikely]] break;
        p.histogram->record_at(p.latency_s, p.counter);
    }
    // A value outside its histogram's counters grows them, which may move them: the rest of the
    // batch is recorded the long way.
    for (; i < n; ++i) pending_ops_[i].histogram->record(pending_ops_[i].latency_s);
    pending_op_count_ = 0;
}

void Measurements::collect(RunResults& r) {
    record_pending_ops();
    if (context_.window.ns() > 0 && context_.measuring) close_window();  // the last (or interrupted) window
    // Moved, not copied (the run is over): with thousands of request classes, two copies of
    // every histogram and series would double the peak memory.
    r.requests = std::move(request_stats_);
    for (OpResult& op : op_stats_) {  // op_done() counts them in the histograms only
        op.count = op.latency.count() + op.error_latency.count();
        op.errors = op.error_latency.count();
    }
    r.ops = std::move(op_stats_);
    if (context_.window.ns() > 0 && context_.measuring) r.timeseries = std::move(series_);
    window_latency_ = {};
    const Time now = context_.sim.now();
    for (const Host& h : hosts_) {
        const Server& s = *h.server;
        r.servers.push_back(ServerResult{s.name(), s.utilization(now), s.mean_queue(now), s.max_queue(),
                                        s.completed(), s.rejected()});
    }
    if (context_.network) {
        const Topology& topology = *context_.model.topology;
        for (DirectedLinkId d = 0; d < topology.directed_link_count(); ++d) {
            const LinkStats stats = context_.network->link_stats(d);
            r.links.push_back(LinkResult{topology.directed_link_name(d), stats.utilization, stats.bytes});
        }
    }
}

}  // namespace s2sim::models::system

#include "models/metastability.hpp"

#include <cmath>
#include <limits>
#include <variant>

#include <fmt/format.h>

#include "models/system.hpp"

namespace s2sim::models {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// When the last rate spike of a schedule ends: from the first point after which the rate
/// never exceeds its final value again (a step or a line between such points stays below);
/// negative when the rate never exceeds its final value.
double spike_end(const ScheduleArrivals& s) {
    if (s.rates.empty()) return -1;
    const double last = s.rates.back();
    for (std::size_t i = s.rates.size(); i-- > 0;) {
        if (s.rates[i] > last) return s.times[i + 1];
    }
    return -1;
}

}  // namespace

MetastabilityReport::MetastabilityReport(const MetastabilityModel& model, const SystemModel& system,
                                         const std::vector<const Server*>& hosts, Recorder& recorder)
    : model_(model), recorder_(recorder) {
    const Recorder::TableId table = recorder.add_table(
        "metastability", "service",
        {{"first_attempts", "attempts", FigureKind::counter, "first attempts sent to the service (offered load)"},
         {"attempts", "attempts", FigureKind::counter, "attempts sent, retries and hedges included"},
         {"goodput", "responses", FigureKind::counter, "successful answers a caller still waited for"},
         {"amplification", "ratio", FigureKind::value, "attempts / first attempts"},
         {"capacity_per_s", "1/s", FigureKind::value, "attempts per second the servers up can serve"}},
        true);
    for (const ServiceModel& s : system.services) {
        Live live;
        live.name = s.name;
        for (const std::uint32_t h : s.servers) live.servers.push_back(hosts[h]);
        for (const OpModel& op : s.ops) {
            live.op_work_s.push_back((op.work ? op.work->mean() : 0.0) + (op.work_after ? op.work_after->mean() : 0.0));
        }
        live.op_attempts.assign(s.ops.size(), 0);
        const Recorder::RowId row = recorder.add_row(table, s.name);
        live.first_handle = recorder.counter(table, row, 0);
        live.attempts_handle = recorder.counter(table, row, 1);
        live.goodput_handle = recorder.counter(table, row, 2);
        live.amplification = recorder.value(table, row, 3);
        live.capacity = recorder.value(table, row, 4);
        live.amplification.set(nan);
        live.capacity.set(nan);
        live_.push_back(std::move(live));
    }
    // The trigger that ends last: rate spikes of schedules and scheduled faults.
    trigger_.end_s = -1;
    for (const WorkloadModel& w : system.workloads) {
        if (const auto* s = std::get_if<ScheduleArrivals>(&w.arrival)) {
            const double end = spike_end(*s);
            if (end > trigger_.end_s) trigger_ = Trigger{end, "the spike"};
        }
    }
    const double run_end = system.warmup_s + system.duration_s;
    for (const FaultEvent& e : system.events) {
        if (e.at_s >= run_end) continue;  // never happens in this run
        const double end = e.at_s + e.duration_s.value_or(0.0);
        if (end <= trigger_.end_s) continue;
        const char* what = e.action == FaultAction::slow ? "the slow-down of" : "the failure of";
        trigger_ = Trigger{end, fmt::format("{} '{}'", what, e.target)};
    }
    if (trigger_.end_s < 0) trigger_ = Trigger{0, ""};
}

void MetastabilityReport::start_measuring() {
    for (Live& s : live_) {
        s.first = s.attempts = s.goodput = 0;
        s.total_first = s.total_attempts = 0;
        std::fill(s.op_attempts.begin(), s.op_attempts.end(), 0);
    }
    windows_.clear();
}

void MetastabilityReport::close_window(Time start, Time now) {
    Window w;
    w.start_s = static_cast<double>(start.ns()) / 1e9;
    w.end_s = static_cast<double>(now.ns()) / 1e9;
    const double length = w.end_s - w.start_s;
    if (windows_.empty()) measure_from_s_ = w.start_s;
    for (Live& s : live_) {
        // Capacity: what the servers up can serve at the mean work of this window's attempts.
        double work = 0;
        for (std::size_t op = 0; op < s.op_attempts.size(); ++op) {
            work += static_cast<double>(s.op_attempts[op]) * s.op_work_s[op];
        }
        double cores = 0;
        for (const Server* server : s.servers) {
            if (server->up()) cores += server->config().cores * server->config().speed;
        }
        const double mean_work = s.attempts > 0 ? work / static_cast<double>(s.attempts) : 0.0;
        const double capacity = mean_work > 0 && std::isfinite(mean_work) ? cores / mean_work : nan;
        s.capacity.set(capacity);
        s.amplification.set(s.first > 0 ? static_cast<double>(s.attempts) / static_cast<double>(s.first) : nan);
        w.first.push_back(static_cast<double>(s.first) / length);
        w.attempts.push_back(static_cast<double>(s.attempts) / length);
        w.goodput.push_back(static_cast<double>(s.goodput) / length);
        w.capacity.push_back(capacity);
        s.total_first += s.first;
        s.total_attempts += s.attempts;
        s.first = s.attempts = s.goodput = 0;
        std::fill(s.op_attempts.begin(), s.op_attempts.end(), 0);
    }
    if (length > 0) windows_.push_back(std::move(w));
}

void MetastabilityReport::conclude(Time now) {
    const double from = std::max(trigger_.end_s, measure_from_s_) + model_.settle_s;
    for (std::size_t i = 0; i < live_.size(); ++i) {
        Live& s = live_[i];
        s.amplification.set(s.total_first > 0
                                ? static_cast<double>(s.total_attempts) / static_cast<double>(s.total_first)
                                : nan);
        double first = 0, attempts = 0, goodput = 0, capacity = 0, span = 0;
        std::size_t judged = 0;
        bool overloaded = true;
        for (const Window& w : windows_) {
            if (w.start_s < from - 1e-9) continue;
            ++judged;
            // NaN capacity (no attempts, or no work) fails every comparison: not overloaded.
            overloaded = overloaded && w.first[i] < w.capacity[i] && w.attempts[i] > w.capacity[i] &&
                         w.goodput[i] < model_.goodput_below * w.first[i];
            const double length = w.end_s - w.start_s;
            first += w.first[i] * length;
            attempts += w.attempts[i] * length;
            goodput += w.goodput[i] * length;
            capacity += w.capacity[i] * length;
            span += length;
        }
        if (judged == 0 || !overloaded) continue;
        const double end_s = static_cast<double>(now.ns()) / 1e9;
        const double since = end_s - (trigger_.what.empty() ? measure_from_s_ : trigger_.end_s);
        const double amplification = attempts / first;
        const std::string after = trigger_.what.empty() ? std::string("the run started")
                                                        : trigger_.what + " ended";
        recorder_.log(Time::from_seconds(from), "metastability", s.name, "metastable",
                      fmt::format("metastable: service {} has stayed overloaded {:.0f} s after {}; retries amplify "
                                  "load {:.1f}x",
                                  s.name, since, after, amplification),
                      {{"trigger_end_s", trigger_.end_s},
                       {"overloaded_s", since},
                       {"amplification", amplification},
                       {"first_attempts_per_s", first / span},
                       {"attempts_per_s", attempts / span},
                       {"goodput_per_s", goodput / span},
                       {"capacity_per_s", capacity / span}});
    }
}

}  // namespace s2sim::models

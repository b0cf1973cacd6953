// Where requests come from: open, closed and trace arrivals, the op mix, the keys
// (System's part for [workloads]).
#include "models/system/workload_sources.hpp"

#include <cmath>
#include <string>
#include <type_traits>
#include <variant>

#include "models/system/call_engine.hpp"
#include "sim/error.hpp"

namespace s2sim::models::system {
namespace {

/// The running sums of weight(0) .. weight(n - 1) over their total.
template <class Weight>
std::vector<double> cumulative(std::size_t n, Weight weight) {
    std::vector<double> out;
    out.reserve(n);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) out.push_back(sum += weight(i));
    for (double& c : out) c /= sum;
    return out;
}

}  // namespace

WorkloadSources::WorkloadSources(Context& context, CallEngine& engine) : context_(context), engine_(engine) {
    for (const WorkloadModel& w : context.model.workloads) {
        // no_node without a network, as a host's node (Hosts).
        const NodeId from = context.network != nullptr ? w.from.value_or(no_node) : no_node;
        Workload workload{&w, from, RandomStream(context.model.seed, "workload/" + w.name),
                          GuidedCdf(cumulative(w.weights.size(), [&](std::size_t i) { return w.weights[i]; })), {},
                          nullptr, nullptr, {}, 1, false};
        std::visit(
            [&](const auto& a) {
                using A = std::decay_t<decltype(a)>;
                if constexpr (std::is_same_v<A, PoissonArrivals>) {
                    workload.process = std::make_unique<PoissonProcess>(a.rate);
                } else if constexpr (std::is_same_v<A, ConstantArrivals>) {
                    workload.process = std::make_unique<ConstantProcess>(a.rate);
                } else if constexpr (std::is_same_v<A, MmppArrivals>) {
                    workload.process = std::make_unique<MmppProcess>(a);
                } else if constexpr (std::is_same_v<A, ScheduleArrivals>) {
                    workload.process = std::make_unique<ScheduleProcess>(a);
                } else if constexpr (std::is_same_v<A, ClosedArrivals>) {
                    workload.closed = true;
                } else {
                    static_assert(std::is_same_v<A, TraceArrivals>);
                    if (!(a.speedup > 0)) throw Error("workload '" + w.name + "': trace speedup must be > 0");
                    std::vector<std::string> names;
                    for (const std::uint32_t op : w.ops) {
                        names.push_back(context.model.services[w.service].ops[op].name);
                    }
                    workload.trace = std::make_unique<TraceReader>(a.path, std::move(names),
                                                                   context.model.services[w.service].name);
                    workload.speedup = a.speedup;
                }
            },
            w.arrival);
        if (w.keys) {
            const double skew = w.keys->skew;
            workload.keys = GuidedCdf(cumulative(w.keys->count, [skew](std::size_t k) {
                return std::pow(static_cast<double>(k + 1), -skew);
            }));
        }
        workloads_.push_back(std::move(workload));
    }
}

void WorkloadSources::start() {
    for (std::uint32_t w = 0; w < workloads_.size(); ++w) {
        if (workloads_[w].process) {
            schedule_arrival(w);
        } else if (workloads_[w].trace) {
            schedule_trace(w);
        } else {
            const auto users = std::get<ClosedArrivals>(workloads_[w].model->arrival).users;
            for (std::uint64_t u = 0; u < users; ++u) schedule_think(w);
        }
    }
}

void WorkloadSources::schedule_arrival(std::uint32_t w) {
    Workload& workload = workloads_[w];
    const Time at = workload.process->next(context_.sim.now(), workload.rng);
    if (at <= context_.end) context_.sim.schedule_at(at, [this, w] { arrive_from_workload(w); });
}

std::uint64_t WorkloadSources::draw_key(Workload& workload) {
    return workload.keys.empty() ? workload.rng.next_u64() : workload.keys.draw(workload.rng.uniform01());
}

void WorkloadSources::arrive_from_workload(std::uint32_t w) {
    schedule_arrival(w);
    Workload& workload = workloads_[w];
    const std::uint32_t mix = workload.mix.draw(workload.rng.uniform01());
    const std::uint64_t key = draw_key(workload);
    engine_.send_root(w, mix, key, -1.0);
}

void WorkloadSources::schedule_think(std::uint32_t w) {
    Workload& workload = workloads_[w];
    const auto& closed = std::get<ClosedArrivals>(workload.model->arrival);
    const double think = closed.think ? closed.think->sample(workload.rng) : 0.0;
    const Time at = context_.sim.now() + Time::from_seconds(think);
    if (at > context_.end) return;
    context_.sim.schedule_at(at, [this, w] {
        Workload& wl = workloads_[w];
        const std::uint32_t mix = wl.mix.draw(wl.rng.uniform01());
        const std::uint64_t key = draw_key(wl);
        engine_.send_root(w, mix, key, -1.0);
    });
}

void WorkloadSources::schedule_trace(std::uint32_t w) {
    Workload& workload = workloads_[w];
    if (!workload.trace->next(workload.pending)) return;
    const Time at = Time::from_seconds(workload.pending.time_s / workload.speedup);
    // Times never decrease, so the first record past the end ends the replay.
    if (at > context_.end) return;
    context_.sim.schedule_at(at, [this, w] {
        Workload& wl = workloads_[w];
        const TraceRecord record = wl.pending;
        std::uint64_t key = record.key;
        if (!record.has_key) {
            key = draw_key(wl);
        }
        schedule_trace(w);  // reads one line ahead: the next record replaces `pending`
        engine_.send_root(w, record.op, key, record.size_bytes);
    });
}

}  // namespace s2sim::models::system

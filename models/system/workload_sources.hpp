#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "models/system/context.hpp"
#include "models/workload/arrival_process.hpp"
#include "models/workload/trace_reader.hpp"
#include "sim/guided_cdf.hpp"
#include "sim/random.hpp"

namespace s2sim::models::system {

class CallEngine;

/// A source of requests: open arrivals, a closed population or a trace, the op mix and
/// the request keys.
struct Workload {
    const WorkloadModel* model = nullptr;
    NodeId from = no_node;  ///< WorkloadModel::from; no_node without one or without a network
    RandomStream rng;
    GuidedCdf mix;   ///< the workload's ops, by weight
    GuidedCdf keys;  ///< Zipf key ids; empty = uniform 64-bit keys
    std::unique_ptr<ArrivalProcess> process;  ///< open arrivals; null for closed and trace
    std::unique_ptr<TraceReader> trace;       ///< trace replay: the file, read one line ahead
    TraceRecord pending;                      ///< the next trace record, read ahead
    double speedup = 1;
    bool closed = false;
};

/// The workloads (one per SystemModel::workloads entry, same index): when requests
/// arrive, which op and key each carries. Each request goes to CallEngine::send_root().
class WorkloadSources {
public:
    /// Opens the traces (errors name the file).
    WorkloadSources(Context& context, CallEngine& engine);

    [[nodiscard]] const Workload& operator[](std::uint32_t w) const { return workloads_[w]; }

    /// Schedules the first arrivals (open), thinking users (closed) and records (trace).
    void start();
    /// A request of workload `w` came back (answered or failed): a closed user thinks, then asks again.
    void request_done(std::uint32_t w) {
        if (workloads_[w].closed) schedule_think(w);
    }

private:
    void schedule_arrival(std::uint32_t workload);
    void arrive_from_workload(std::uint32_t workload);
    /// A request key: from the workload's Zipf table, or any 64-bit value without one.
    std::uint64_t draw_key(Workload& workload);
    /// Reads the next record of a trace workload and schedules its arrival.
    void schedule_trace(std::uint32_t workload);
    /// A closed workload's user sends its next request after thinking.
    void schedule_think(std::uint32_t workload);

    Context& context_;
    CallEngine& engine_;
    std::vector<Workload> workloads_;
};

}  // namespace s2sim::models::system

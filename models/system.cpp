// System wires its parts (models/system/) together and runs them: nothing else.
#include "models/system.hpp"

#include <chrono>

#include "models/system/call_engine.hpp"
#include "models/system/context.hpp"
#include "models/system/faults.hpp"
#include "models/system/hosts.hpp"
#include "models/system/measurements.hpp"
#include "models/system/replicator.hpp"
#include "models/system/service_pools.hpp"
#include "models/system/workload_sources.hpp"

namespace s2sim::models {

/// The parts, built in this order (each from the SystemModel; the ones built later are
/// only referred to, not used, by the constructors of the earlier ones).
struct System::Parts {
    Parts(const SystemModel& model, Simulation& sim, Recorder& recorder, FlowNetwork* network)
        : context{model, sim, recorder, network},
          hosts(context, engine),
          pools(context, hosts),
          replicator(context, engine, hosts, pools),
          sources(context, engine),
          measurements(context, hosts, replicator),
          engine(context, hosts, pools, sources, replicator, measurements),
          faults(context, hosts, pools, engine) {}

    system::Context context;
    system::Hosts hosts;
    system::ServicePools pools;
    system::Replicator replicator;
    system::WorkloadSources sources;
    system::Measurements measurements;
    system::CallEngine engine;
    system::Faults faults;
};

System::System(SystemModel model, QueueKind queue) : model_(std::move(model)), sim_(queue) {
    if (model_.topology) network_ = std::make_unique<FlowNetwork>(sim_, *model_.topology);
    parts_ = std::make_unique<Parts>(model_, sim_, recorder_, network_.get());
}

System::~System() = default;

void System::start_measuring() {
    system::Context& context = parts_->context;
    context.measuring = true;
    context.measure_from = sim_.now();
    for (system::Host& h : parts_->hosts) h.server->reset_stats(sim_.now());
    if (network_) network_->reset_stats();
    recorder_.start_measuring(sim_.now());
    parts_->replicator.start_measuring();
    parts_->measurements.start_measuring();
}

RunResults System::run(const Progress& progress) {
    const auto wall_start = std::chrono::steady_clock::now();
    system::Context& context = parts_->context;
    const Time warmup = Time::from_seconds(model_.warmup_s);
    context.end = warmup + Time::from_seconds(model_.duration_s);
    parts_->sources.start();
    parts_->faults.schedule();
    if (Elasticity* elastic = parts_->pools.elastic()) elastic->start(context.end);
    if (model_.warmup_s > 0) {
        sim_.schedule_at(warmup, [this] { start_measuring(); });
    } else {
        start_measuring();
    }
    // In slices, so the caller can show progress or stop: the slicing adds no events.
    const Time end = context.end;
    constexpr int slices = 100;
    for (int i = 1; i <= slices && !sim_.stopped(); ++i) {
        sim_.run_until(Time::from_ns(end.ns() / slices * i + (i == slices ? end.ns() % slices : 0)));
        if (progress && !sim_.stopped() && !progress(static_cast<double>(i) / slices)) {
            context.stopped_because = "interrupted";
            break;
        }
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return collect(wall);
}

RunResults System::collect(double wall_s) {
    const system::Context& context = parts_->context;
    RunResults r;
    r.scenario = model_.name;
    r.seed = model_.seed;
    r.simulated_s = (sim_.now() - context.measure_from).seconds();
    r.wall_s = wall_s;
    r.events = sim_.events_processed();
    r.stopped_early = context.stopped_because;
    parts_->measurements.collect(r);  // closes the last (or interrupted) window first
    const Time now = sim_.now();
    parts_->replicator.collect(now, r.replication);
    if (Elasticity* elastic = parts_->pools.elastic()) elastic->finish(now);
    r.tables = recorder_.collect(now, context.measuring);
    r.log = recorder_.take_log();
    return r;
}

}  // namespace s2sim::models

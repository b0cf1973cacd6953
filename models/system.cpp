// System wires its parts (models/system/) together and runs them: nothing else.
#include "models/system.hpp"

#include <chrono>

#include "models/metastability.hpp"
#include "models/system/call_engine.hpp"
#include "models/system/consistency.hpp"
#include "models/system/context.hpp"
#include "models/system/faults.hpp"
#include "models/system/hosts.hpp"
#include "models/system/measurements.hpp"
#include "models/system/replicator.hpp"
#include "models/system/service_pools.hpp"
#include "models/system/workload_sources.hpp"

namespace s2sim::models {

/// The parts, built in this order, each from the SystemModel. A constructor may use the
/// parts built before it; it only keeps references to those built after it. The engine
/// comes first, so that the hosts' servers get it as their JobListener fully built.
struct System::Parts {
    Parts(const SystemModel& model, Simulation& sim, Recorder& recorder, FlowNetwork* network)
        : context{model, sim, recorder, network},
          engine(context, hosts, pools, sources, replicator, measurements),
          hosts(context, engine),
          pools(context, hosts),
          replicator(context, engine, hosts, pools),
          sources(context, engine),
          measurements(context, hosts, replicator),
          faults(context, hosts, pools, engine),
          consistency(context, engine, hosts, pools) {
        engine.build_resilience();
    }

    system::Context context;
    system::CallEngine engine;
    system::Hosts hosts;
    system::ServicePools pools;
    system::Replicator replicator;
    system::WorkloadSources sources;
    system::Measurements measurements;
    system::Faults faults;
    std::unique_ptr<MetastabilityReport> metastability;  ///< null unless [metastability]
    system::Consistency consistency;  ///< keyed data: registers itself in the context when used
};

System::System(SystemModel model, QueueKind queue) : model_(std::move(model)), sim_(queue) {
    if (model_.topology) {
        network_ = std::make_unique<FlowNetwork>(sim_, *model_.topology);
        for (DirectedLinkId d = 0; d < model_.link_jitter.size(); ++d) {
            if (!model_.link_jitter[d]) continue;
            network_->set_jitter(d, model_.link_jitter[d],
                                 RandomStream(model_.seed, "jitter/" + model_.topology->directed_link_name(d)));
        }
    }
    parts_ = std::make_unique<Parts>(model_, sim_, recorder_, network_.get());
    if (model_.metastability) {
        std::vector<const Server*> servers;
        for (const system::Host& h : parts_->hosts) servers.push_back(h.server.get());
        parts_->metastability =
            std::make_unique<MetastabilityReport>(*model_.metastability, model_, servers, recorder_);
        parts_->context.metastability = parts_->metastability.get();
    }
    make_transport();
    parts_->engine.prepare();  // every feature that hooks into calls is wired by now
}

System::~System() = default;

void System::make_transport() {
    if (!network_) return;
    bool encodings = false;
    for (const ServiceModel& s : model_.services) {
        for (const OpModel& op : s.ops) encodings |= op.request_encoding.has_value() || op.response_encoding.has_value();
    }
    // Neither TCP nor an encoding: messages go straight to the network, as they always did.
    if (!model_.tcp && !encodings) return;
    std::vector<ConnectionPolicy> policies;
    std::vector<std::string> names;
    for (const ServiceModel& s : model_.services) {
        policies.push_back(s.connections);
        names.push_back(s.name);
    }
    system::Hosts& hosts = parts_->hosts;
    auto submit = [&hosts](std::uint32_t host, double work_s, std::uint64_t token) {
        return hosts[host].server->submit(work_s, system::CallEngine::transport_token | token, 0);
    };
    transport_ = std::make_unique<Transport>(sim_, *network_, *model_.topology, model_.tcp ? &*model_.tcp : nullptr,
                                             std::move(policies), std::move(names), std::move(submit), recorder_,
                                             RandomStream(model_.seed, "transport"), model_.link_loss);
    parts_->context.transport = transport_.get();
}

void System::start_measuring() {
    system::Context& context = parts_->context;
    context.measuring = true;
    context.measure_from = sim_.now();
    for (system::Host& h : parts_->hosts) h.server->reset_stats(sim_.now());
    if (network_) network_->reset_stats();
    recorder_.start_measuring(sim_.now());
    if (transport_) transport_->start_measuring(sim_.now());
    parts_->replicator.start_measuring();
    parts_->measurements.start_measuring();
    if (parts_->metastability) parts_->metastability->start_measuring();
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
    if (parts_->metastability && context.measuring) parts_->metastability->conclude(sim_.now());
    const Time now = sim_.now();
    parts_->replicator.collect(now, r.replication);
    parts_->consistency.finish();
    if (Elasticity* elastic = parts_->pools.elastic()) elastic->finish(now);
    r.tables = recorder_.collect(now, context.measuring);
    r.log = recorder_.take_log();
    return r;
}

}  // namespace s2sim::models

// Replication of writes from a primary to its replicas (System's part for the
// `replicate` key of an op). See models/replication.hpp for the semantics.
#include "models/system/replicator.hpp"

#include <algorithm>
#include <limits>

#include "models/system/call_engine.hpp"
#include "models/system/hosts.hpp"
#include "models/system/service_pools.hpp"
#include "sim/error.hpp"

namespace s2sim::models::system {

Replicator::Replicator(Context& context, CallEngine& engine, Hosts& hosts, ServicePools& pools)
    : context_(context), calls_(engine), hosts_(hosts), services_(pools) {
    const SystemModel& model = context.model;
    for (const ServiceModel& s : model.services) {
        std::vector<std::uint32_t>& first_pair = first_pair_.emplace_back();
        for (const OpModel& op : s.ops) {
            first_pair.push_back(static_cast<std::uint32_t>(pairs_.size()));
            if (!op.replicate) continue;
            for (const std::uint32_t replica : op.replicate->to) {
                if (replica >= model.hosts.size()) {
                    throw Error("op '" + s.name + "." + op.name + "': bad replica index");
                }
                ReplicationPair pair;
                pair.replica = replica;
                pairs_.push_back(std::move(pair));
                pair_names_.push_back(s.name + "." + op.name + "->" + model.hosts[replica].server.name);
                replica_work_.push_back(op.replicate->work);
                replica_rng_.emplace_back(model.seed, "replica/" + pair_names_.back());
            }
        }
    }
}

void Replicator::start_measuring() {
    for (ReplicationPair& p : pairs_) {
        p.backlog.reset(context_.sim.now());
        p.backlog_at_window_start = 0;
        p.window_lag.reset();
    }
}

void Replicator::close_window(Time now, double length, std::vector<ReplicationSeries>& series) {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
        ReplicationPair& p = pairs_[i];
        const double integral = p.backlog.integral(now);
        series[i].backlog.push_back(std::max(0.0, (integral - p.backlog_at_window_start) / length));
        series[i].lag_p99_s.push_back(p.window_lag.count() ? p.window_lag.quantile(0.99) : nan);
        p.backlog_at_window_start = integral;
        p.window_lag.reset();
    }
}

void Replicator::collect(Time now, std::vector<ReplicationResult>& out) const {
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
        const ReplicationPair& p = pairs_[i];
        out.push_back(ReplicationResult{pair_names_[i], p.count, p.failed, p.lag,
                                        context_.measuring ? p.backlog.mean(now) : 0.0, p.backlog.max()});
    }
}

void Replicator::set_backlog(ReplicationPair& pair, int change) {
    pair.in_flight = static_cast<std::uint32_t>(static_cast<int>(pair.in_flight) + change);
    pair.backlog.update(context_.sim.now(), static_cast<double>(pair.in_flight));
}

void Replicator::start_replication(std::uint32_t id) {
    Call& call = calls_[id];
    const Service& service = services_[call.service];
    const ReplicationModel& rep = *service.model->ops[call.op].replicate;
    const std::uint32_t first = first_pair_[call.service][call.op];
    const Time commit = context_.sim.now();
    const std::uint32_t generation = call.generation;
    const NodeId from = hosts_[call.host].node;
    call.acks = 0;
    call.acks_missing = 0;
    call.state = State::replicating;
    for (std::uint32_t j = 0; j < rep.to.size(); ++j) {
        const std::uint32_t replica = rep.to[j];
        if (replica == calls_[id].host) {
            ++calls_[id].acks;  // the primary applied its own write at the commit
            continue;
        }
        const std::uint32_t pair = first + j;
        set_backlog(pairs_[pair], +1);
        const NodeId to = hosts_[replica].node;
        if (context_.network && from != no_node && to != no_node) {
            context_.network->send(from, to, rep.bytes, [this, id, generation, pair, commit](bool ok) {
                arrived(id, generation, pair, commit, ok);
            });
        } else {
            // No network: the write reaches the replica at once (in its own event, so
            // that this loop finishes sending before any apply completes).
            context_.sim.schedule_in(Time::zero(), [this, id, generation, pair, commit] {
                arrived(id, generation, pair, commit, true);
            });
        }
    }
    if (rep.mode == ReplicationMode::async || calls_[id].acks >= rep.acks) calls_.start_calls(id);
}

void Replicator::arrived(std::uint32_t id, std::uint32_t generation, std::uint32_t pair, Time commit, bool ok) {
    ReplicationPair& p = pairs_[pair];
    Server& server = *hosts_[p.replica].server;
    std::uint32_t job = none;
    if (ok && server.up()) {
        if (free_replica_jobs_ != none) {
            job = free_replica_jobs_;
            free_replica_jobs_ = replica_jobs_[job].next_free;
        } else {
            job = static_cast<std::uint32_t>(replica_jobs_.size());
            replica_jobs_.emplace_back();
        }
        replica_jobs_[job] = ReplicaJob{id, generation, pair, none, commit};
        const DistributionPtr& work = replica_work_[pair];
        if (!work) {
            applied(job, true);
            return;
        }
        const double w = work->sample(replica_rng_[pair]);
        if (server.submit(w, job_token | job, 0)) return;
        // Queue full: the write is not applied.
        replica_jobs_[job].next_free = free_replica_jobs_;
        free_replica_jobs_ = job;
    }
    if (context_.measuring && commit >= context_.measure_from) ++p.failed;
    set_backlog(p, -1);
    ack(id, generation, false);
}

void Replicator::applied(std::uint32_t job, bool ok) {
    const ReplicaJob j = replica_jobs_[job];
    replica_jobs_[job].next_free = free_replica_jobs_;
    free_replica_jobs_ = job;
    ReplicationPair& p = pairs_[j.pair];
    set_backlog(p, -1);
    if (context_.measuring && j.commit >= context_.measure_from) {
        if (ok) {
            ++p.count;
            const double lag = (context_.sim.now() - j.commit).seconds();
            p.lag.record(lag);
            if (context_.window.ns() > 0) p.window_lag.record(lag);
        } else {
            ++p.failed;
        }
    }
    // The acknowledgement: an empty message back to the primary (only its latency counts).
    const std::uint32_t id = j.call;
    const std::uint32_t generation = j.generation;
    const bool alive = id < calls_.size() && calls_[id].generation == generation && calls_[id].host != none;
    const bool routed =
        ok && context_.network && alive && hosts_[p.replica].node != no_node && hosts_[calls_[id].host].node != no_node;
    if (routed) {
        const NodeId from = hosts_[p.replica].node;
        const NodeId to = hosts_[calls_[id].host].node;
        context_.network->send(from, to, 0.0,
                               [this, id, generation](bool delivered) { ack(id, generation, delivered); });
    } else {
        ack(id, generation, ok);
    }
}

void Replicator::ack(std::uint32_t id, std::uint32_t generation, bool ok) {
    // Late acknowledgements (quorum reached, async, or the primary failed) change nothing.
    if (!calls_.waiting(id, generation, State::replicating)) return;
    Call& call = calls_[id];
    const ReplicationModel& rep = *services_[call.service].model->ops[call.op].replicate;
    if (ok) {
        ++call.acks;
    } else {
        ++call.acks_missing;
    }
    if (call.acks >= rep.acks) {
        calls_.start_calls(id);
    } else if (rep.to.size() - call.acks_missing < rep.acks) {
        // Too many replicas failed to ever reach the acknowledgements the write waits for.
        call.failure = Failure::failed;
        calls_.respond(id);
    }
}

}  // namespace s2sim::models::system

// Replication of writes from a primary to its replicas (System's part for the
// `replicate` key of an op). See models/replication.hpp for the semantics.
#include "models/system.hpp"

namespace s2sim::models {

void System::set_backlog(ReplicationPair& pair, int change) {
    pair.in_flight = static_cast<std::uint32_t>(static_cast<int>(pair.in_flight) + change);
    pair.backlog.update(sim_.now(), static_cast<double>(pair.in_flight));
}

void System::start_replication(std::uint32_t id) {
    Call& call = calls_[id];
    const Service& service = services_[call.service];
    const ReplicationModel& rep = *service.model->ops[call.op].replicate;
    const std::uint32_t first = service.first_pair[call.op];
    const Time commit = sim_.now();
    const std::uint32_t generation = call.generation;
    const NodeId from = hosts_[call.host].node;
    call.acks = 0;
    call.acks_missing = 0;
    call.state = State::replicating;
    const std::uint64_t key = call.key;
    const std::uint32_t version = keyed_ ? write_keyed(id) : 0;
    for (std::uint32_t j = 0; j < rep.to.size(); ++j) {
        const std::uint32_t replica = rep.to[j];
        if (replica == calls_[id].host) {
            ++calls_[id].acks;  // the primary applied its own write at the commit
            continue;
        }
        const std::uint32_t pair = first + j;
        set_backlog(pairs_[pair], +1);
        const NodeId to = hosts_[replica].node;
        if (network_ && from != no_node && to != no_node) {
            network_->send(from, to, rep.bytes, [this, id, generation, pair, commit, key, version](bool ok) {
                replica_arrived(id, generation, pair, commit, ok, key, version);
            });
        } else {
            // No network: the write reaches the replica at once (in its own event, so
            // that this loop finishes sending before any apply completes).
            sim_.schedule_in(Time::zero(), [this, id, generation, pair, commit, key, version] {
                replica_arrived(id, generation, pair, commit, true, key, version);
            });
        }
    }
    if (rep.mode == ReplicationMode::async || calls_[id].acks >= rep.acks) {
        if (version != 0) commit_keyed(id);  // PBS: committed when the writer is answered
        start_calls(id);
    }
}

void System::replica_arrived(std::uint32_t id, std::uint32_t generation, std::uint32_t pair, Time commit, bool ok,
                             std::uint64_t key, std::uint32_t version) {
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
        replica_jobs_[job] = ReplicaJob{id, generation, pair, none, commit, key, version};
        const DistributionPtr& work = replica_work_[pair];
        if (!work) {
            replica_applied(job, true);
            return;
        }
        const double w = work->sample(replica_rng_[pair]);
        if (server.submit(w, replica_token | job, 0)) return;
        // Queue full: the write is not applied.
        replica_jobs_[job].next_free = free_replica_jobs_;
        free_replica_jobs_ = job;
    }
    if (measuring_ && commit >= measure_from_) ++p.failed;
    set_backlog(p, -1);
    replica_ack(id, generation, false);
}

void System::replica_applied(std::uint32_t job, bool ok) {
    const ReplicaJob j = replica_jobs_[job];
    replica_jobs_[job].next_free = free_replica_jobs_;
    free_replica_jobs_ = job;
    ReplicationPair& p = pairs_[j.pair];
    set_backlog(p, -1);
    if (ok && j.version != 0) keyed_->data.apply(keyed_->data_of_pair[j.pair], j.key, p.replica, j.version);
    if (measuring_ && j.commit >= measure_from_) {
        if (ok) {
            ++p.count;
            const double lag = (sim_.now() - j.commit).seconds();
            p.lag.record(lag);
            if (window_.ns() > 0) p.window_lag.record(lag);
        } else {
            ++p.failed;
        }
    }
    // The acknowledgement: an empty message back to the primary (only its latency counts).
    const std::uint32_t id = j.call;
    const std::uint32_t generation = j.generation;
    const bool alive = id < calls_.size() && calls_[id].generation == generation && calls_[id].host != none;
    const bool routed =
        ok && network_ && alive && hosts_[p.replica].node != no_node && hosts_[calls_[id].host].node != no_node;
    if (routed) {
        const NodeId from = hosts_[p.replica].node;
        const NodeId to = hosts_[calls_[id].host].node;
        network_->send(from, to, 0.0, [this, id, generation](bool delivered) { replica_ack(id, generation, delivered); });
    } else {
        replica_ack(id, generation, ok);
    }
}

void System::replica_ack(std::uint32_t id, std::uint32_t generation, bool ok) {
    // Late acknowledgements (quorum reached, async, or the primary failed) change nothing.
    if (!waiting(id, generation, State::replicating)) return;
    Call& call = calls_[id];
    const ReplicationModel& rep = *services_[call.service].model->ops[call.op].replicate;
    if (ok) {
        ++call.acks;
    } else {
        ++call.acks_missing;
    }
    if (call.acks >= rep.acks) {
        if (keyed_) commit_keyed(id);
        start_calls(id);
    } else if (rep.to.size() - call.acks_missing < rep.acks) {
        // Too many replicas failed to ever reach the acknowledgements the write waits for.
        call.failure = Failure::failed;
        respond(id);
    }
}

}  // namespace s2sim::models

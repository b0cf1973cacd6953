#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/results.hpp"
#include "models/system/context.hpp"
#include "sim/random.hpp"
#include "sim/stats/log_histogram.hpp"
#include "sim/stats/time_weighted.hpp"

namespace s2sim::models::system {

class CallEngine;
class Hosts;
class ServicePools;

/// One (replicated op, replica) pair: lag and backlog.
struct ReplicationPair {
    std::uint32_t replica = 0;  ///< host index
    std::uint64_t count = 0;    ///< writes applied (measured)
    std::uint64_t failed = 0;   ///< writes the replica could not apply (down, full, unreachable)
    stats::LogHistogram lag;    ///< seconds from commit to apply
    stats::LogHistogram window_lag;
    stats::TimeWeighted backlog;  ///< writes committed but not yet applied
    double backlog_at_window_start = 0;
    std::uint32_t in_flight = 0;
};

/// Replication of writes from a primary to its replicas (the `replicate` key of an op; see
/// models/replication.hpp for the semantics): sends each write, applies it on the replica's
/// server as a job, acknowledges it, and lets the write's call go on once enough replicas
/// acknowledged. Measures lag and backlog per (op, replica) pair.
class Replicator {
public:
    /// Server job tokens with this bit set are replica applies (the rest is a job index).
    static constexpr std::uint64_t job_token = std::uint64_t{1} << 63;

    Replicator(Context& context, CallEngine& engine, Hosts& hosts, ServicePools& pools);

    /// Commits the write of call `id` (its op replicates) and sends it to the replicas.
    void start_replication(std::uint32_t id);
    /// Replica apply `job` (the token without job_token) finished (`ok`) or was dropped.
    void applied(std::uint32_t job, bool ok);

    /// The pairs, "service.op->server", in the order of RunResults::replication.
    [[nodiscard]] const std::vector<std::string>& pair_names() const { return pair_names_; }
    /// Forgets the warm-up.
    void start_measuring();
    /// Appends the window [now - length_s, now) to the series.
    void close_window(Time now, double length_s, std::vector<ReplicationSeries>& series);
    /// Appends a result per pair.
    void collect(Time now, std::vector<ReplicationResult>& out) const;

private:
    /// A write being applied on a replica (a job on the replica's server).
    struct ReplicaJob {
        std::uint32_t call = none;  ///< the primary's call
        std::uint32_t generation = 0;
        std::uint32_t pair = 0;  ///< index into pairs_
        std::uint32_t next_free = none;
        Time commit;  ///< when the write was committed on the primary
    };
    void arrived(std::uint32_t id, std::uint32_t generation, std::uint32_t pair, Time commit, bool ok);
    void ack(std::uint32_t id, std::uint32_t generation, bool ok);
    void set_backlog(ReplicationPair& pair, int change);

    Context& context_;
    CallEngine& calls_;
    Hosts& hosts_;
    ServicePools& services_;
    std::vector<std::vector<std::uint32_t>> first_pair_;  ///< per service, per op: first index into pairs_
    std::vector<ReplicationPair> pairs_;
    std::vector<std::string> pair_names_;
    std::vector<DistributionPtr> replica_work_;  ///< per pair: apply work (null = none)
    std::vector<RandomStream> replica_rng_;      ///< per pair: "replica/<pair name>"
    std::vector<ReplicaJob> replica_jobs_;
    std::uint32_t free_replica_jobs_ = none;
};

}  // namespace s2sim::models::system

#pragma once
#include <cstdint>
#include <vector>

#include "sim/distribution.hpp"

namespace s2sim::models {

/// How a replicated write waits for its replicas.
enum class ReplicationMode : std::uint8_t {
    sync,    ///< continue after every replica acknowledged
    quorum,  ///< continue after `acks` replicas acknowledged
    async,   ///< continue at once; replicas apply in the background (lag measured)
};

/// Replication of an op's writes (docs/scenario-format.md `replicate`). After the op's `work`
/// the write is committed on the primary (the server that ran the op); it is then
/// sent to every replica, applied there as a job of `work` on a core, and
/// acknowledged with an empty message. The op continues (calls, response) once
/// `acks` replicas have acknowledged. A replica that is the primary itself counts
/// as acknowledged at the commit and is not sent anything.
struct ReplicationModel {
    std::vector<std::uint32_t> to;  ///< replica hosts (indices into SystemModel::hosts)
    ReplicationMode mode = ReplicationMode::sync;
    std::uint32_t acks = 0;   ///< acknowledgements waited for: to.size() (sync), k (quorum), 0 (async)
    DistributionPtr work;     ///< core-seconds to apply a write on a replica; null = none
    double bytes = 0;         ///< bytes sent to each replica
};

}  // namespace s2sim::models

#pragma once
// The plain description of a runnable system (what the builder fills from a Spec),
// every reference resolved to an index. System (models/system.hpp) runs one.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "models/balancer.hpp"
#include "models/cache.hpp"
#include "models/consistency.hpp"
#include "models/elastic/elastic_model.hpp"
#include "models/failures.hpp"
#include "models/hedging.hpp"
#include "models/metastability.hpp"
#include "models/network/topology.hpp"
#include "models/network/transport.hpp"
#include "models/replication.hpp"
#include "models/retry_throttle.hpp"
#include "models/server.hpp"
#include "models/workload/arrival_process.hpp"
#include "models/workload/mmpp.hpp"
#include "models/workload/rate_schedule.hpp"
#include "models/workload/trace_reader.hpp"
#include "sim/distribution.hpp"

namespace s2sim::models {

inline constexpr std::uint32_t none = UINT32_MAX;
/// A host or client without a node in the topology (no network). System keeps node
/// ids plain rather than std::optional on the hot paths: GCC copies an optional as a
/// word and a flag byte, then reads them back as one word, which stalls the CPU.
inline constexpr NodeId no_node = UINT32_MAX;

/// One call an op makes to another service's op.
struct CallModel {
    std::uint32_t service = 0;  ///< index into SystemModel::services
    std::uint32_t op = 0;       ///< index into that service's ops
    double probability = 1.0;   ///< the call is made with this probability (cache misses)
    bool required = true;       ///< a failed required call fails the caller's op
    std::optional<double> timeout_s{};  ///< seconds the caller waits for one attempt; none = forever
    std::uint32_t retries = 0;        ///< extra attempts after a timeout or an error
    DistributionPtr backoff{};        ///< seconds waited before each retry; null = retry at once
    double jitter = 0;                ///< each backoff is multiplied by uniform(1 - jitter, 1 + jitter)
    std::optional<HedgeModel> hedge{};  ///< hedged requests (models/hedging.hpp); none = no hedge
};

/// An operation a service offers: work on a core, then calls, then optional work after.
struct OpModel {
    std::string name;
    DistributionPtr work;        ///< core-seconds; null = none
    DistributionPtr work_after;  ///< core-seconds after the calls return; null = none
    DistributionPtr request_bytes;   ///< what the caller sends; null = 0 bytes
    DistributionPtr response_bytes;  ///< what is sent back; null = 0 bytes
    /// Steps run in order; the calls of one step run in parallel, joined when all return.
    std::vector<std::vector<CallModel>> steps;
    std::vector<CallModel> async_calls;  ///< fired after the work, not waited for
    int priority = 0;                    ///< class for the priority discipline (lower first)
    std::optional<ReplicationModel> replicate;  ///< writes replicated after `work`; none = no replication
    std::optional<ReadModel> reads;  ///< keyed data this op reads (docs/consistency.md); none = none
    /// A cache: a hit skips the op's calls, a miss makes them (its one step: the `miss` op)
    /// and stores the answer (docs/consistency.md); none = not a cache.
    std::optional<CacheModel> cache;
    std::optional<EncodingModel> request_encoding;   ///< none = the bytes as they are, no core time
    std::optional<EncodingModel> response_encoding;
};

/// A pool of servers behind a balancer.
struct ServiceModel {
    std::string name;
    std::vector<std::uint32_t> servers;  ///< indices into SystemModel::hosts
    BalancerOptions balancer;
    std::vector<OpModel> ops;
    /// Seconds after a server fails (recovers) before its balancer stops (resumes) sending to it.
    double health_check_s = 2.0;
    /// Retries of calls to this service allowed per first attempt (RetryBudget); none = unlimited.
    std::optional<double> retry_budget;
    /// gRPC-style retry throttling of calls to this service, per calling server; none = off.
    std::optional<RetryThrottleModel> retry_throttling;
    ConnectionPolicy connections;  ///< each caller's pool towards its servers (transport = "tcp")
    /// Autoscaling, outlier ejection, shedding, concurrency limit (models/elastic/).
    ElasticModel elastic;
};

/// A server and where it sits.
struct HostModel {
    ServerConfig server;
    std::optional<NodeId> node;            ///< its vertex in the topology, if there is a network
    std::optional<std::uint32_t> threads;  ///< ops held at once (running or waiting on calls)
    std::uint32_t site = 0;                ///< site id (locality)
};

struct PoissonArrivals {
    double rate = 0;  ///< per second
};
struct ConstantArrivals {
    double rate = 0;  ///< per second
};
/// A closed population: each user sends a request, waits for its response (or
/// error), thinks, and sends the next. Users start by thinking.
struct ClosedArrivals {
    std::uint64_t users = 1;
    DistributionPtr think;  ///< seconds; null = no think time
};
/// Arrivals of a workload. Open processes (all but ClosedArrivals and TraceArrivals)
/// run in an ArrivalProcess; a trace names the op of each request, indices into the
/// workload's `ops`, which must hold the entry service's ops by name.
using ArrivalModel =
    std::variant<PoissonArrivals, ConstantArrivals, MmppArrivals, ScheduleArrivals, ClosedArrivals, TraceArrivals>;

/// Zipf-distributed request keys: key k in [0, count) with P(k) proportional to 1/(k+1)^skew.
struct KeyModel {
    std::uint64_t count = 1;
    double skew = 0;
};

/// A source of requests into an entry service.
struct WorkloadModel {
    std::string name;
    std::optional<NodeId> from;  ///< client node; nullopt = requests appear at the entry servers
    std::uint32_t from_site = 0;
    std::uint32_t service = 0;
    std::vector<std::uint32_t> ops;  ///< ops of the entry service in the mix
    std::vector<double> weights;     ///< one per op, positive
    ArrivalModel arrival;
    std::optional<KeyModel> keys;  ///< nullopt = uniform 64-bit keys
};

/// Everything a run needs, with every reference resolved to an index.
struct SystemModel {
    std::string name;
    std::vector<HostModel> hosts;
    std::vector<ServiceModel> services;
    std::vector<WorkloadModel> workloads;
    std::unique_ptr<Topology> topology;  ///< null = no network: messages arrive at once
    /// Per directed link of the topology: the delay variation added to each message crossing
    /// it (seconds); empty or null = none (FlowNetwork::set_jitter).
    std::vector<DistributionPtr> link_jitter;
    std::optional<TcpModel> tcp;         ///< none = the fluid model (docs/transport.md)
    std::vector<double> link_loss;       ///< per LinkId (both directions); empty = no loss (tcp only)
    std::vector<FaultEvent> events;      ///< scheduled failures, recoveries and slow-downs
    std::vector<RandomFailures> failures;  ///< random failures, one entry per server
    double warmup_s = 0;
    double duration_s = 1;
    std::uint64_t seed = 1;
    std::uint64_t max_in_flight = 1'000'000;  ///< calls alive at once before the run is cut short
    /// Seconds per time-series window over the measured span; 0 = no time series.
    /// At most max_windows windows (memory is windows x (classes + servers)).
    double window_s = 0;
    static constexpr double max_windows = 100'000;
    /// The metastability report (models/metastability.hpp); none = not asked for.
    std::optional<MetastabilityModel> metastability;
};

}  // namespace s2sim::models

#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "models/balancer.hpp"
#include "models/elastic/elastic_model.hpp"
#include "models/failures.hpp"
#include "models/network/flow_network.hpp"
#include "models/network/topology.hpp"
#include "models/recorder.hpp"
#include "models/replication.hpp"
#include "models/results.hpp"
#include "models/server.hpp"
#include "models/workload/arrival_process.hpp"
#include "models/workload/mmpp.hpp"
#include "models/workload/rate_schedule.hpp"
#include "models/workload/trace_reader.hpp"
#include "sim/distribution.hpp"
#include "sim/random.hpp"
#include "sim/guided_cdf.hpp"
#include "sim/simulation.hpp"
#include "sim/stats/time_weighted.hpp"

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
};

/// The runnable model: servers, services, balancers, workloads and the network
/// on one Simulation. Built from a SystemModel, run once.
class Elasticity;

class System final : public JobListener {
public:
    explicit System(SystemModel model, QueueKind queue = QueueKind::quaternary_heap);
    ~System() override;
    System(const System&) = delete;
    System& operator=(const System&) = delete;

    /// Called with the fraction of simulated time done (0..1), a hundred times a run.
    /// Returning false stops the run early; the results are then marked partial.
    using Progress = std::function<bool(double fraction)>;

    /// Runs warm-up then the measured duration, and returns what was measured (once: the
    /// statistics are moved into the results).
    RunResults run(const Progress& progress = {});

    void job_finished(Server& server, std::uint64_t token) override;
    void job_dropped(Server& server, std::uint64_t token) override;
    void job_shed(Server& server, std::uint64_t token) override;

    [[nodiscard]] Simulation& simulation() { return sim_; }
    /// Where components publish their figures (declare tables before run()).
    [[nodiscard]] Recorder& recorder() { return recorder_; }
    /// The services' elasticity (autoscalers, ejection, shedding); null when none opts in.
    [[nodiscard]] Elasticity* elasticity() { return elastic_.get(); }

private:
    /// Server job tokens with this bit set are replica applies (index into replica_jobs_);
    /// the others are `call id << 1 | phase` (phase 1 = work_after).
    static constexpr std::uint64_t replica_token = std::uint64_t{1} << 63;
    enum class Failure : std::uint8_t { none, rejected, failed, timeout };
    /// Where a call is: each live call is in exactly one state; host failures use it to
    /// find the calls a server holds.
    enum class State : std::uint8_t { free, requesting, queued, working, replicating, waiting, working_after, responding };
    /// One call in flight: sent by a caller (or a workload), then run as an op on a server.
    struct Call {
        std::uint32_t parent = none;    ///< calling Call, or none for roots and async calls
        std::uint32_t workload = none;  ///< set on roots
        std::uint32_t mix = 0;          ///< roots: index into the workload's ops
        std::uint32_t service = 0;
        std::uint32_t op = 0;
        std::uint32_t backend = 0;  ///< index into the service's servers
        std::uint32_t host = 0;     ///< index into hosts_
        std::uint32_t next_free = none;
        std::uint32_t generation = 0;         ///< bumped when the slot is freed: stale references see a mismatch
        std::uint32_t parent_generation = 0;  ///< the parent's generation when this call was sent
        std::uint32_t retries = 0;            ///< retries made on its behalf (its own calls and theirs)
        const CallModel* via = nullptr;       ///< the caller's call model (timeouts, retries); null for roots
        EventId timeout;                      ///< pending timeout of this attempt
        Time sent;     ///< when the caller sent it
        Time arrived;  ///< when it reached the server
        std::uint64_t key = 0;
        double request_bytes = -1;  ///< roots from a trace with sizes: overrides the op's; < 0 = the op's
        std::uint16_t step = 0;
        std::uint16_t outstanding = 0;
        std::uint16_t attempt = 0;        ///< 0 = first attempt
        std::uint16_t acks = 0;           ///< replication: acknowledgements received (self included)
        std::uint16_t acks_missing = 0;   ///< replication: replicas that failed to apply
        Failure failure = Failure::none;
        State state = State::free;
        bool required = true;
        bool holds_thread = false;
        bool detached = false;  ///< its caller stopped waiting (timeout): the response is discarded
    };
    /// A write being applied on a replica (a job on the replica's server).
    struct ReplicaJob {
        std::uint32_t call = none;  ///< the primary's call
        std::uint32_t generation = 0;
        std::uint32_t pair = 0;  ///< index into pairs_
        std::uint32_t next_free = none;
        Time commit;  ///< when the write was committed on the primary
    };
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
    struct Host {
        std::unique_ptr<Server> server;
        NodeId node = no_node;  ///< HostModel::node, or no_node
        std::optional<std::uint32_t> threads;
        std::uint32_t site = 0;
        std::uint32_t epoch = 0;                ///< bumped at each failure and recovery (health checks)
        std::uint32_t active = 0;               ///< ops holding a thread
        std::vector<std::uint32_t> pending;     ///< calls waiting for a thread (FIFO ring)
        std::size_t pending_head = 0;
        /// (service, backend index) of every service this host serves (health checks).
        std::vector<std::pair<std::uint32_t, std::uint32_t>> memberships;
        /// The memberships whose balancer reads the server's load
        /// (Balancer::reads_server_load): the views refresh_views() keeps current.
        std::vector<std::pair<std::uint32_t, std::uint32_t>> load_views;
    };
    struct Service {
        const ServiceModel* model = nullptr;
        std::unique_ptr<Balancer> balancer;
        std::vector<ServerView> views;
        RandomStream rng;
        std::vector<RandomStream> op_rng;  ///< per op: work and call probabilities
        std::uint32_t first_op_stat = 0;
        RandomStream retry_rng;                 ///< backoffs and jitter of calls to this service
        std::optional<RetryBudget> budget;      ///< retries of calls to this service
        std::vector<std::uint32_t> first_pair;  ///< per op: first index into pairs_ (replicated ops)
    };
    struct Workload {
        const WorkloadModel* model = nullptr;
        NodeId from = no_node;  ///< WorkloadModel::from, or no_node
        RandomStream rng;
        GuidedCdf mix;   ///< the workload's ops, by weight
        GuidedCdf keys;  ///< Zipf key ids; empty = uniform 64-bit keys
        std::uint32_t first_request_stat = 0;
        std::unique_ptr<ArrivalProcess> process;  ///< open arrivals; null for closed and trace
        std::unique_ptr<TraceReader> trace;       ///< trace replay: the file, read one line ahead
        TraceRecord pending;                      ///< the next trace record, read ahead
        double speedup = 1;
        bool closed = false;
    };

    std::uint32_t new_call();
    void free_call(std::uint32_t id);
    void schedule_arrival(std::uint32_t workload);
    void arrive_from_workload(std::uint32_t workload);
    /// A request key: from the workload's Zipf table, or any 64-bit value without one.
    std::uint64_t draw_key(Workload& workload);
    /// Reads the next record of a trace workload and schedules its arrival.
    void schedule_trace(std::uint32_t workload);
    /// A closed workload's user sends its next request after thinking.
    void schedule_think(std::uint32_t workload);
    /// Creates a root call of workload `w` with mix index `mix` and sends it.
    void send_root(std::uint32_t w, std::uint32_t mix, std::uint64_t key, double request_bytes);
    /// Time series: closes the window that ends now and schedules the next boundary.
    void close_window();
    void record_window(std::uint32_t stat, const Call& call, double latency_s);
    /// Sends call `id` (fields service, op, key set) from `origin` at site `site`.
    void send_call(std::uint32_t id, NodeId origin, std::uint32_t site);
    void deliver(NodeId from, NodeId to, double bytes, std::uint32_t id,
                 bool request);
    void on_request_delivered(std::uint32_t id);
    void admit(std::uint32_t id);
    void start_calls(std::uint32_t id);
    void next_step(std::uint32_t id);
    void launch_child(std::uint32_t parent, const CallModel& call, bool async);
    /// Sends attempt `attempt` of call `via` for `parent` (which must still wait for it).
    void launch_attempt(std::uint32_t parent, std::uint32_t parent_generation, const CallModel* via,
                        std::uint16_t attempt);
    /// The caller learns how an attempt ended: retries it, or counts it as returned.
    void attempt_done(std::uint32_t parent, const CallModel* via, std::uint16_t attempt, Failure failure,
                      std::uint32_t retries);
    void on_timeout(std::uint32_t id, std::uint32_t generation);
    /// True when `parent` is alive with `generation` and waits in `state`.
    [[nodiscard]] bool waiting(std::uint32_t parent, std::uint32_t generation, State state) const;
    /// After the op's work: replicate the write (if the op does), then the calls.
    void after_work(std::uint32_t id);
    // Replication (models/replication.cpp).
    void start_replication(std::uint32_t id);
    void replica_arrived(std::uint32_t id, std::uint32_t generation, std::uint32_t pair, Time commit, bool ok);
    void replica_applied(std::uint32_t job, bool ok);
    void replica_ack(std::uint32_t id, std::uint32_t generation, bool ok);
    void set_backlog(ReplicationPair& pair, int change);
    // Failures (models/failures.cpp).
    void schedule_faults();
    void apply_fault(std::uint32_t event, bool revert);
    void schedule_random_failure(std::uint32_t index, bool fail_next);
    void fail_host(std::uint32_t host);
    void recover_host(std::uint32_t host);
    /// Schedules the health checks of every service of `host` to notice its state.
    void schedule_health(std::uint32_t host, bool healthy);
    void fail_links(const std::vector<std::uint32_t>& links);
    void restore_links(const std::vector<std::uint32_t>& links);
    /// "db-1 (812 waiting), web-2 (40 waiting)": the servers with the longest queues now.
    [[nodiscard]] std::string saturated_servers() const;
    void respond(std::uint32_t id);
    void on_response_delivered(std::uint32_t id);
    void release_thread(Host& host);
    /// Call `id` waited past its service's queue deadline: it fails as rejected (shed).
    void shed_call(std::uint32_t id);
    /// Updates what balancers see of host `h` after ops arrived, left or the server
    /// changed; nothing when no balancer of its services reads its load.
    void refresh_views(const Host& host) {
        if (!host.load_views.empty()) write_load_views(host);
    }
    void write_load_views(const Host& host);
    NodeId origin_of(const Call& call) const;
    void start_measuring();
    RunResults collect(double wall_s);

    SystemModel model_;
    Simulation sim_;
    Recorder recorder_;
    std::unique_ptr<Elasticity> elastic_;  ///< null unless a service is elastic
    std::unique_ptr<FlowNetwork> network_;
    std::vector<double> base_capacity_;  ///< per directed link, as built: `slow` divides it, reverting restores it
    std::vector<Host> hosts_;
    std::vector<Service> services_;
    std::vector<Workload> workloads_;
    std::vector<Call> calls_;
    std::uint32_t free_calls_ = none;
    std::uint64_t live_calls_ = 0;
    std::vector<RequestResult> request_stats_;
    std::vector<OpResult> op_stats_;
    std::vector<ReplicationPair> pairs_;
    std::vector<std::string> pair_names_;
    std::vector<DistributionPtr> replica_work_;  ///< per pair: apply work (null = none)
    std::vector<RandomStream> replica_rng_;      ///< per pair: "replica/<pair name>"
    std::vector<RandomStream> failure_rng_;      ///< per [[failure]] entry: "failure/<server>"
    std::vector<ReplicaJob> replica_jobs_;
    std::uint32_t free_replica_jobs_ = none;
    // Time series: one histogram per request class for the open window only (bounded
    // memory whatever the number of windows), the closed windows' figures in series_.
    TimeSeries series_;
    std::vector<stats::LogHistogram> window_latency_;
    std::vector<std::uint64_t> window_errors_;
    std::vector<std::uint64_t> window_count_;   ///< requests completed in the window, failed or not
    std::vector<std::uint64_t> window_timeouts_;
    std::vector<std::uint64_t> window_retries_;
    std::vector<double> busy_at_window_start_;   ///< per host: busy core-seconds / cores since measuring
    std::vector<double> queue_at_window_start_;  ///< per host: queue-seconds since measuring
    std::vector<LinkStats> link_at_window_start_;  ///< per link direction: bytes and capacity since measuring
    Time window_start_;
    Time window_;
    Time measure_from_;
    Time end_;
    bool measuring_ = false;
    std::string stopped_because_;
};

}  // namespace s2sim::models

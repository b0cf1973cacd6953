#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "scenario/elastic_spec.hpp"
#include "sim/distribution.hpp"
#include "sim/error.hpp"

/// The plain-data description of a whole scenario: what the TOML file says, after
/// units and defaults are resolved and every reference is checked. Every field is
/// public and every type is copyable, so a sweep copies a Spec, edits one field and
/// runs it. Times are seconds, sizes bytes, bandwidths bytes/s, distances metres,
/// rates per second. References between items are indices into the Spec's vectors.
/// Each item keeps the SourcePos of its table (`pos`) and of the values a later
/// stage may need to blame, so a builder can still throw ConfigError at the right place.
namespace s2sim::scenario {

/// A distribution and the text it came from ("exp(2ms)", "40KB", "empirical(data/x.csv, ms)").
/// `dist` is shared and immutable; samples are in seconds (times) or bytes (sizes).
struct DistSpec {
    std::string text;
    DistributionPtr dist;
    SourcePos pos;
};

/// [scenario]: the run as a whole.
struct RunSpec {
    std::string name;            ///< default: the file's stem ("shop" for shop.toml)
    double duration = 0;         ///< measured simulated seconds, after the warm-up (> 0)
    double warmup = 0;           ///< seconds discarded from statistics; 0 when warmup_auto
    bool warmup_auto = false;    ///< warmup = "auto": the runner picks the warm-up itself
    std::uint64_t seed = 1;      ///< master seed of every random stream
    int replications = 1;        ///< independent runs (>= 1)
    double window = 1;           ///< seconds per time-series window (> 0)
    std::int64_t max_in_flight = 1'000'000;  ///< calls alive at once before the run stops early (partial)
    SourcePos pos;
};

/// [network]
struct NetworkSpec {
    double propagation_speed = 2e8;  ///< metres per second (light in fibre)
    /// Transport (docs/transport.md): the TCP keys are only accepted with transport = "tcp".
    bool tcp = false;                   ///< transport = "tcp"; false = "fluid" (the default)
    double mss = 1460;                  ///< bytes of payload per segment
    std::int64_t initial_window = 10;   ///< segments
    double max_window = 4194304;        ///< bytes
    int tls_round_trips = 0;            ///< tls: "none" 0, "1.3" 1, "1.2" 2
    double header = 54;                 ///< bytes per segment on the wire
    double slow_start_growth = 2.0;     ///< window factor per round trip (>= 1)
    std::optional<DistSpec> handshake_work;  ///< core seconds on each end per new connection
    SourcePos pos;
};

/// A service's `connections = { max, idle_timeout, keep_alive }` (transport = "tcp").
struct ConnectionsSpec {
    std::optional<std::int64_t> max;  ///< per caller and server; none = unlimited; 0 = one per request
    double idle_timeout = 60;         ///< seconds
    bool keep_alive = true;
    SourcePos pos;
};

/// An op's `request_encoding` / `response_encoding`.
struct EncodingSpec {
    double compression = 1;      ///< message bytes / wire bytes (>= 1)
    double encode_per_byte = 0;  ///< core seconds per message byte at the sender
    double decode_per_byte = 0;  ///< core seconds per message byte at the receiver
    double overhead = 0;         ///< bytes added per message on the wire
    SourcePos pos;
};

/// How a server shares its cores.
enum class Discipline { fcfs, ps, priority };

/// One server after groups are expanded ("web" with count 4 gives web-1 .. web-4).
struct ServerSpec {
    std::string name;
    int group = 0;                          ///< index into Spec::groups
    int cores = 1;                          ///< >= 1
    double speed = 1.0;                     ///< work is divided by speed (> 0)
    Discipline discipline = Discipline::fcfs;
    std::optional<std::int64_t> queue;      ///< waiting requests beyond the cores; none = unbounded
    std::optional<std::int64_t> threads;    ///< ops held at once (running or waiting on calls)
    std::optional<std::string> site;        ///< free label for locality and reports
    SourcePos pos;                          ///< the [[server]] table
};

/// One [[server]] table: a group of `members` (one member, named like the group, when count = 1).
struct ServerGroupSpec {
    std::string name;
    std::vector<int> members;  ///< indices into Spec::servers, in order (web-1, web-2, ...)
    SourcePos pos;
};

/// [[switch]]
struct SwitchSpec {
    std::string name;
    std::optional<std::string> site;
    SourcePos pos;
};

/// [[client]]: where outside traffic comes from.
struct ClientSpec {
    std::string name;
    std::optional<std::string> site;
    SourcePos pos;
};

/// The kinds of network nodes.
enum class NodeKind { server, switch_, client };

/// A concrete network node: an index into Spec::servers, Spec::switches or Spec::clients.
struct NodeRef {
    NodeKind kind = NodeKind::server;
    int index = 0;
    friend bool operator==(const NodeRef&, const NodeRef&) = default;
};

/// One full-duplex link between two concrete nodes. A [[link]] with a group on an
/// end becomes one LinkSpec per member (per pair when both ends are groups).
struct LinkSpec {
    NodeRef a;
    NodeRef b;
    double bandwidth_ab = 0;  ///< bytes per second from a to b (> 0)
    double bandwidth_ba = 0;  ///< bytes per second from b to a (> 0)
    double distance = 0;      ///< metres; propagation latency = distance / propagation_speed
    double latency = 0;       ///< fixed extra seconds per direction
    std::optional<DistSpec> jitter_ab;  ///< seconds added to each message from a to b; none = none
    std::optional<DistSpec> jitter_ba;  ///< from b to a
    double loss = 0;          ///< transport = "tcp": probability a segment is lost, each direction (Mathis bound)
    int entry = 0;            ///< index of the [[link]] table it came from (0-based, file order)
    SourcePos pos;            ///< the [[link]] table
};

/// A balancer policy and its options (only those that apply to `policy` are read).
struct BalancerSpec {
    std::string policy = "round_robin";  ///< round_robin, random, least_connections, ...
    int choices = 2;                     ///< power_of_two: servers sampled per pick
    std::vector<double> weights;         ///< weighted_*: one per ServiceSpec::servers entry (default 1)
    int vnodes = 160;                    ///< consistent_hash: ring points per server (Ketama)
    int table_size = 65537;              ///< maglev: lookup table size (a prime)
    double decay = 10;                   ///< peak_ewma: seconds of the moving average
    double spill_at = 0.8;               ///< locality: utilisation above which to leave the site
    SourcePos pos;                       ///< the balancer value
};

/// `hedge = { after = "10ms" | "p95", max = 1 }` of a call (docs/resilience.md).
struct HedgeSpec {
    double after = 0;       ///< seconds before each hedge; 0 when `percentile` is set
    double percentile = 0;  ///< in (0, 1): "p95" gives 0.95; 0 = a fixed delay
    int max = 1;            ///< hedges per call, 1 to 4
    SourcePos pos;
};

/// One call an operation makes to another service's operation.
struct CallSpec {
    int service = 0;                  ///< index into Spec::services
    int op = 0;                       ///< index into that service's ops
    std::string target;               ///< "service.op", as written (normalised)
    double probability = 1.0;         ///< chance the call is made at all, in [0, 1]
    std::optional<double> timeout;    ///< seconds before the caller gives up on one attempt
    int retries = 0;                  ///< extra attempts after a timeout or error
    std::optional<DistSpec> backoff;  ///< seconds waited before a retry
    std::optional<double> jitter;     ///< each backoff is multiplied by uniform(1 - jitter, 1 + jitter)
    bool required = true;             ///< false: a failed call does not fail the op
    std::optional<HedgeSpec> hedge;   ///< hedged requests; none = no hedge
    SourcePos pos;                    ///< the call (string or inline table)
    SourcePos target_pos;             ///< the "service.op" value
};

/// One step of an op's call sequence: one call, or several run in parallel and
/// joined when all have returned.
struct CallStep {
    std::vector<CallSpec> calls;
    SourcePos pos;
};

/// How a write waits for its replicas.
enum class ReplicationMode { sync, quorum, async };

/// Replication of an op's writes to other servers.
struct ReplicateSpec {
    std::vector<int> to;                        ///< server indices (groups expanded)
    ReplicationMode mode = ReplicationMode::sync;
    int acks = 0;                               ///< replicas to wait for: all (sync), quorum, 0 (async)
    std::optional<DistSpec> work;               ///< core seconds on each replica; none = no work
    double size = 0;                            ///< bytes sent to each replica (default: mean request size)
    SourcePos pos;
};

/// Keyed data an op reads (docs/consistency.md): the data set of a writing op.
struct ReadsSpec {
    int service = 0;     ///< the writing op's service (index into Spec::services)
    int op = 0;          ///< the writing op
    std::string target;  ///< "service.op", as written (normalised)
    SourcePos pos;
};

/// A Dynamo-style read quorum: ask every server of `from`, answer after `r` answers.
struct ReadQuorumSpec {
    std::vector<int> from;  ///< server indices (groups expanded)
    int r = 1;              ///< answers waited for
    bool repair = false;    ///< read repair
    SourcePos pos;
};

/// A cache on an op (docs/consistency.md): its one call step is `miss`.
struct CacheSpec {
    std::optional<std::int64_t> capacity;  ///< keys per server; none = unbounded
    std::optional<double> capacity_bytes;  ///< bytes per server (capacity = "64MB"); none = unbounded
    std::string policy = "lru";            ///< lru, lfu, fifo, random
    std::optional<double> ttl;             ///< seconds; none = entries never expire
    CallSpec miss;                         ///< the backing op (also the op's only call)
    std::optional<ReadsSpec> writes;       ///< the writing op whose commits reach the cache
    std::string on_write = "invalidate";   ///< invalidate, update, none
    SourcePos pos;
};

/// An operation a service offers.
struct OpSpec {
    std::string name;
    DistSpec work;                       ///< core seconds before the calls
    std::optional<DistSpec> work_after;  ///< core seconds after the calls return
    DistSpec request;                    ///< bytes the caller sends (default 1KB)
    DistSpec response;                   ///< bytes sent back (default 1KB)
    std::vector<CallStep> calls;         ///< in sequence
    std::vector<CallSpec> async_calls;   ///< fire-and-forget, made after `work`
    std::optional<ReplicateSpec> replicate;
    std::optional<int> priority;         ///< priority discipline: lower is served first (default 0)
    std::optional<ReadsSpec> reads;            ///< keyed data this op reads
    std::optional<ReadQuorumSpec> read_quorum;  ///< read from a quorum of copies (needs `reads`)
    std::optional<CacheSpec> cache;             ///< the op is a cache
    std::optional<EncodingSpec> request_encoding;
    std::optional<EncodingSpec> response_encoding;
    SourcePos pos;
};

/// `retry_throttling = { max_tokens = 10, token_ratio = 0.1 }` of a service (gRPC A6).
struct RetryThrottlingSpec {
    double max_tokens = 0;   ///< in (0, 1000], at most 3 decimals
    double token_ratio = 0;  ///< > 0, at most 3 decimals
    SourcePos pos;
};

/// [metastability]: the metastability report (docs/resilience.md).
struct MetastabilitySpec {
    double settle = 30;          ///< seconds after the last trigger ended before windows are judged
    double goodput_below = 0.5;  ///< goodput below this fraction of first attempts is low
    SourcePos pos;
};

/// [service.NAME]: a pool of servers behind a balancer.
struct ServiceSpec {
    std::string name;
    std::vector<int> servers;            ///< server indices (groups expanded), file order, no repeats
    BalancerSpec balancer;
    double health_check = 2.0;           ///< seconds between health checks (> 0)
    std::optional<double> retry_budget;  ///< max retries as a fraction of calls, >= 0
    std::optional<RetryThrottlingSpec> retry_throttling;  ///< gRPC retry throttling; none = off
    ConnectionsSpec connections;         ///< transport = "tcp": each caller's pool
    ElasticSpec elastic;                 ///< autoscale, outlier, queue_deadline, concurrency_limit
    std::vector<OpSpec> ops;             ///< file order
    SourcePos pos;
    SourcePos servers_pos;
};

/// Arrival processes of a workload (std::variant alternatives of ArrivalSpec).
struct PoissonArrival { double rate = 0; };    ///< requests per second
struct ConstantArrival { double rate = 0; };   ///< requests per second, evenly spaced
/// One state of a Markov-modulated Poisson process.
struct MmppState {
    double rate = 0;   ///< requests per second while in the state
    double dwell = 0;  ///< mean seconds spent in the state (exponential)
};
/// Markov-modulated Poisson: from each state, the next is chosen uniformly among the others.
struct MmppArrival { std::vector<MmppState> states; };
struct SchedulePoint {
    double time = 0;  ///< seconds from the start of the run (warm-up included)
    double rate = 0;  ///< requests per second
};
enum class ScheduleShape { linear, step };
enum class ScheduleProcess { poisson, constant };
/// A rate that changes over time; before the first point, the first rate applies.
struct ScheduleArrival {
    std::vector<SchedulePoint> points;  ///< times strictly increasing
    ScheduleShape shape = ScheduleShape::step;
    ScheduleProcess process = ScheduleProcess::poisson;
};
/// A closed population: each user sends a request, waits for it, thinks, repeats.
struct ClosedArrival {
    std::int64_t users = 0;
    DistSpec think;  ///< seconds
};
/// Trace replay: a CSV with a header and columns time (s), op, optionally key and size.
struct TraceArrival {
    std::string path;      ///< absolute or relative to the working directory (resolved)
    double speedup = 1.0;  ///< trace times are divided by speedup
};
using ArrivalProcess =
    std::variant<PoissonArrival, ConstantArrival, MmppArrival, ScheduleArrival, ClosedArrival, TraceArrival>;

struct ArrivalSpec {
    ArrivalProcess process;
    std::string text;  ///< the value as written (TOML), for reports
    SourcePos pos;
};

/// One op of the entry service and its share of a workload's requests.
struct MixEntry {
    int op = 0;         ///< index into the entry service's ops
    double weight = 0;  ///< normalised: the weights of a mix sum to 1
};

/// Zipf-distributed request keys.
struct KeysSpec {
    std::int64_t count = 0;  ///< distinct keys (>= 1)
    double skew = 0;         ///< Zipf exponent; 0 = uniform
};

/// [[workload]]: a class of requests.
struct WorkloadSpec {
    std::string name;
    std::optional<int> from;  ///< index into Spec::clients; none = requests appear at the entry
    int to = 0;               ///< entry service index
    ArrivalSpec arrival;
    std::vector<MixEntry> mix;  ///< ops of the entry service; empty only for trace arrivals
    std::optional<KeysSpec> keys;
    SourcePos pos;
    SourcePos from_pos;
    SourcePos to_pos;
    SourcePos mix_pos;
};

enum class EventAction { fail, recover, slow };
enum class TargetKind { server, switch_, link };

/// [[event]]: a scheduled change.
struct EventSpec {
    double at = 0;  ///< seconds from the start of the run (warm-up included)
    EventAction action = EventAction::fail;
    TargetKind target_kind = TargetKind::server;
    int target = 0;               ///< server or switch index; for a link, the first of `links`
    std::vector<int> links;       ///< link indices for "a--b" (every link between a and b)
    std::string target_text;      ///< as written
    std::optional<double> duration;  ///< "for": seconds until it reverts; none = stays
    double factor = 1;            ///< slow: work takes factor times longer (links: bandwidth / factor)
    SourcePos pos;
    SourcePos target_pos;
};

/// [[failure]] (extension): random failures of each target server, independently.
struct FailureSpec {
    std::vector<int> servers;  ///< server indices (a group expands)
    std::string target_text;
    DistSpec mtbf;             ///< seconds up, between a repair and the next failure
    DistSpec mttr;             ///< seconds down
    SourcePos pos;
    SourcePos target_pos;
};

/// A whole scenario.
struct Spec {
    std::string file;      ///< the scenario file ("" or the name given to parse())
    std::string base_dir;  ///< folder relative paths were resolved against
    RunSpec run;
    NetworkSpec network;
    std::vector<ServerGroupSpec> groups;  ///< one per [[server]] table
    std::vector<ServerSpec> servers;      ///< flat, groups expanded
    std::vector<SwitchSpec> switches;
    std::vector<ClientSpec> clients;
    std::vector<LinkSpec> links;          ///< flat, groups expanded
    int link_entries = 0;                 ///< number of [[link]] tables
    std::vector<ServiceSpec> services;    ///< file order
    std::vector<WorkloadSpec> workloads;
    std::vector<EventSpec> events;        ///< file order
    std::vector<FailureSpec> failures;
    std::optional<MetastabilitySpec> metastability;  ///< [metastability]; none = no report

    /// The name of a node ("web-3", "tor-eu", "internet-eu").
    [[nodiscard]] const std::string& node_name(NodeRef node) const;
    /// Index of the server/service/client named `name`, or -1.
    [[nodiscard]] int find_server(std::string_view name) const;
    [[nodiscard]] int find_service(std::string_view name) const;
    [[nodiscard]] int find_client(std::string_view name) const;
};

/// Lowercase names, as in the TOML ("fcfs", "quorum", ...).
[[nodiscard]] const char* to_string(Discipline d);
[[nodiscard]] const char* to_string(ReplicationMode m);
[[nodiscard]] const char* to_string(EventAction a);
[[nodiscard]] const char* to_string(NodeKind k);

/// A few lines for `s2sim check`: counts of servers (and groups), switches, clients,
/// links, services, ops, workloads, events and failures.
[[nodiscard]] std::string summarize(const Spec& spec);

}  // namespace s2sim::scenario

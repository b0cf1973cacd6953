#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/network/flow_network.hpp"
#include "models/network/topology.hpp"
#include "models/recorder.hpp"
#include "sim/distribution.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace s2sim::models {

/// TCP as `[network] transport = "tcp"` describes it (docs/transport.md).
struct TcpModel {
    double mss = 1460;                ///< payload bytes per segment
    double initial_window = 10;       ///< segments (RFC 6928)
    double max_window = 4194304;      ///< bytes: a connection moves at most max_window / RTT
    double header = 54;               ///< bytes on the wire per segment
    double slow_start_growth = 2.0;   ///< window factor per round trip in slow start (> 1)
    std::uint32_t tls_round_trips = 0;  ///< TLS handshake: 0 none, 1 for TLS 1.3, 2 for TLS 1.2
    DistributionPtr handshake_work;     ///< core-seconds on each end per new connection; null = none
};

/// How each caller keeps connections to one service's servers (`connections = {...}`).
struct ConnectionPolicy {
    static constexpr std::uint32_t unlimited = UINT32_MAX;
    std::uint32_t max = unlimited;  ///< open connections per caller and server; 0 = one per request
    double idle_timeout_s = 60;     ///< an idle connection closes after this many seconds
    bool keep_alive = true;         ///< false = one connection per request
    [[nodiscard]] bool pooled() const { return keep_alive && max > 0; }
};

/// What a message costs beyond its bytes (an op's `request_encoding` / `response_encoding`).
struct EncodingModel {
    double compression = 1.0;         ///< message bytes / bytes on the wire (>= 1 compresses)
    double encode_s_per_byte = 0;     ///< core-seconds per message byte at the sender
    double decode_s_per_byte = 0;     ///< core-seconds per message byte at the receiver
    double overhead_bytes = 0;        ///< added per message on the wire (headers, framing)
    /// Bytes handed to the transport for a message of `bytes`.
    [[nodiscard]] double wire_bytes(double bytes) const { return bytes / compression + overhead_bytes; }
};

/// Connections, handshakes, slow start and window limits over the FlowNetwork.
///
/// A call's request takes a connection from the pool of (caller node, server, service):
/// an idle one, else a new one if fewer than ConnectionPolicy::max are open, else it
/// waits (first come, first served) for one to be released. A new connection costs
/// (1 + tls_round_trips) round trips, then handshake_work on the server's cores and on
/// the caller's. A message of S payload bytes crosses the connection as
/// S + ceil(S / mss) * header bytes, in rounds: while the bytes left exceed the window
/// w (in wire bytes) and w < max_window, one round sends w bytes as a flow bounded by
/// w / RTT (a round trip when the window limits it, longer when its max-min share
/// does), after which w grows by slow_start_growth, up to max_window; the bytes that
/// fit the window then go as one flow at the share (no bound), and at max_window as
/// one flow bounded by max_window / RTT. Each direction of a connection keeps its own
/// window for the next message; the response goes back over the request's connection,
/// which is then released. Formulas and checks: docs/transport.md.
///
/// Core time (handshakes, encodings) runs on Servers through `SubmitWork`; the owner
/// routes their completions back through job_done(). Borrows the Simulation, the
/// FlowNetwork, the Topology and the Recorder: all outlive it.
class Transport {
public:
    /// Called when a message arrived (ok) or failed (link down, no route, server down).
    using Done = InlineCallable<48, bool>;
    /// Runs `work_s` core-seconds on host `host`'s server with `token`; false when refused.
    using SubmitWork = std::function<bool(std::uint32_t host, double work_s, std::uint64_t token)>;
    static constexpr std::uint32_t no_host = UINT32_MAX;

    /// `policies` one per service (index = service id), `service_names` likewise.
    /// `tcp` null = the fluid model: messages go straight to the network (encodings
    /// still apply).
    /// `link_loss`: per LinkId, the probability that a segment is lost on it (each direction);
    /// empty = no loss. A connection's rate is then at most the Mathis bound (docs/transport.md).
    Transport(Simulation& simulation, FlowNetwork& network, Topology& topology, const TcpModel* tcp,
              std::vector<ConnectionPolicy> policies, std::vector<std::string> service_names, SubmitWork submit,
              Recorder& recorder, RandomStream rng, std::vector<double> link_loss = {});

    /// The Mathis et al. (1997) bound on a TCP connection's rate with segment loss
    /// probability `loss` (> 0): segment_bytes * sqrt(3/2) / (rtt_s * sqrt(loss)), bytes/s.
    [[nodiscard]] static double mathis_rate(double segment_bytes, double rtt_s, double loss);
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    /// Sends call `call`'s request of `bytes` from node `from` (on server `caller_host`, or
    /// no_host for a client) to server `callee_host` at node `to`, which serves `service`.
    void send_request(std::uint32_t call, NodeId from, std::uint32_t caller_host, NodeId to,
                      std::uint32_t callee_host, std::uint32_t service, double bytes, const EncodingModel* encoding,
                      Done done);
    /// Sends the response of `bytes` back over the call's connection; releases the
    /// connection once it arrived (or failed).
    void send_response(std::uint32_t call, double bytes, const EncodingModel* encoding, Done done);
    /// The call holds a connection but sends no response over it (async calls, lost
    /// requests): the connection goes back to the pool (or closes, after a failure).
    void release(std::uint32_t call, bool ok = true);
    /// A job submitted through SubmitWork finished (ok) or was dropped.
    void job_done(std::uint64_t token, bool ok);
    /// Forgets what was counted in the warm-up.
    void start_measuring(Time now);

    // ---- for tests ----
    [[nodiscard]] std::uint64_t opened() const { return opened_total_; }
    [[nodiscard]] std::uint64_t closed() const { return closed_total_; }
    [[nodiscard]] std::size_t open_connections() const { return open_total_; }

private:
    struct Direction {
        double window = 0;  ///< wire bytes
        double loss_bound = std::numeric_limits<double>::infinity();  ///< Mathis bound, bytes/s
    };
    struct Connection {
        std::uint32_t pool = 0;
        NodeId caller = 0;
        NodeId server = 0;
        double rtt_s = 0;
        Direction dir[2];  ///< 0: caller to server, 1: back
        std::uint32_t generation = 0;
        EventId idle_timer;
        bool open = false;
    };
    struct Waiter {
        std::uint32_t call;
        Time since;
    };
    struct Pool {
        std::uint32_t service = 0;
        std::uint32_t caller_host = no_host;
        std::uint32_t callee_host = no_host;
        NodeId caller = 0;
        NodeId server = 0;
        std::uint32_t open = 0;
        std::vector<std::uint32_t> idle;  ///< most recently released last (taken first)
        /// Figures it counts in: its service's, then one per link of its route (caller to server).
        std::vector<std::uint32_t> figures;
        std::deque<Waiter> waiting;
    };
    /// A message of a call on its way: where it is in its rounds.
    struct CallState {
        std::uint32_t connection = UINT32_MAX;
        std::uint32_t pool = UINT32_MAX;
        NodeId from = 0;  ///< the caller's node
        NodeId to = 0;    ///< the server's node
        std::uint32_t caller_host = no_host;
        std::uint32_t callee_host = no_host;
        std::uint32_t service = 0;
        int dir = 0;  ///< 0: the request, 1: the response
        double round_bytes = 0;  ///< wire bytes of the round in flight
        Time handshake_start;
        double bytes = 0;       ///< message bytes (before encoding)
        double remaining = 0;   ///< wire bytes still to send
        const EncodingModel* encoding = nullptr;
        Done done;
        Time sent;              ///< the request was handed to the transport
        Time round_start;
        bool round_limited = false;  ///< the round in flight is bounded by a window below max_window
        double handshake_s = 0, wait_s = 0, slow_start_s = 0;
        bool active = false;
    };
    struct Job {
        std::uint32_t call = 0;
        std::uint8_t kind = 0;
    };
    enum JobKind : std::uint8_t { handshake_server, handshake_caller, encode, decode };
    /// Figures of one service (a row of table "connections") or one link direction (a row
    /// of "connections_by_link": the connections whose route from caller to server crosses it).
    struct ServiceFigures {
        std::uint32_t open_count = 0;
        Recorder::Counter opened, reused, waited, closed_idle;
        Recorder::Level open;
        Recorder::Latency handshake;
        Recorder::Value handshake_share, slow_start_share, wait_share;
        double call_s = 0, handshake_s = 0, slow_start_s = 0, wait_s = 0;  ///< sums since measuring
    };

    CallState& state(std::uint32_t call);
    std::uint32_t pool_of(NodeId from, std::uint32_t caller_host, NodeId to, std::uint32_t callee_host,
                          std::uint32_t service);
    void acquire(std::uint32_t call);
    void open_connection(std::uint32_t call);
    void handshake_done(std::uint32_t call, std::uint8_t stage, bool ok);
    void start_message(std::uint32_t call);
    void next_round(std::uint32_t call, bool first);
    void round_done(std::uint32_t call, bool ok);
    void message_arrived(std::uint32_t call, bool ok);
    void finish(std::uint32_t call, bool ok);
    void close(std::uint32_t connection);
    void on_idle_timeout(std::uint32_t connection, std::uint32_t generation);
    /// Runs `work_s` on `host` then continues the call's state machine (at once when there is no work).
    void run_work(std::uint32_t call, std::uint32_t host, double work_s, JobKind kind);
    void after_job(std::uint32_t call, JobKind kind, bool ok);
    [[nodiscard]] double wire_bytes(double payload) const;
    void account_call(std::uint32_t call);

    Simulation& sim_;
    FlowNetwork& network_;
    Topology& topology_;
    const TcpModel* tcp_;
    std::vector<ConnectionPolicy> policies_;
    std::vector<double> link_loss_;
    SubmitWork submit_;
    RandomStream rng_;
    std::vector<Connection> connections_;
    std::vector<std::uint32_t> free_connections_;
    std::vector<Pool> pools_;
    std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> pool_index_;  ///< (from, to) -> pools
    std::vector<CallState> calls_;
    std::vector<Job> jobs_;
    std::vector<std::uint32_t> free_jobs_;
    /// Applies `fn` to every ServiceFigures the pool counts in.
    template <class F>
    void count(const Pool& pool, F&& fn) {
        for (const std::uint32_t i : pool.figures) fn(figures_[i]);
    }
    void make_row(ServiceFigures& f, Recorder::TableId table, Recorder::RowId row);

    Recorder& recorder_;
    Recorder::TableId link_table_ = Recorder::none;
    std::vector<ServiceFigures> figures_;  ///< services first, then link directions as used
    std::vector<std::uint32_t> link_figures_;  ///< by directed link: index into figures_, or none
    std::uint64_t opened_total_ = 0;
    std::uint64_t closed_total_ = 0;
    std::size_t open_total_ = 0;
};

}  // namespace s2sim::models

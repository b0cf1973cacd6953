#include "models/network/transport.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim::models {

namespace {
constexpr std::uint32_t none = UINT32_MAX;
constexpr double infinity = std::numeric_limits<double>::infinity();

std::vector<FigureSpec> connection_figures() {
    return {
        {"opened", "connections", FigureKind::counter, "connections opened (each with its handshakes)"},
        {"reused", "requests", FigureKind::counter, "requests sent over a connection already open"},
        {"waited", "requests", FigureKind::counter, "requests that waited for a connection (the pool was at max)"},
        {"closed_idle", "connections", FigureKind::counter, "connections closed after idle_timeout"},
        {"open", "connections", FigureKind::level, "connections open"},
        {"handshake_s", "s", FigureKind::latency, "time to open a connection: round trips and handshake core time"},
        {"handshake_share", "fraction", FigureKind::value,
         "share of the calls' time (request sent to response received) spent opening connections"},
        {"slow_start_share", "fraction", FigureKind::value,
         "share of the calls' time spent in rounds limited by a window below max_window"},
        {"wait_share", "fraction", FigureKind::value, "share of the calls' time spent waiting for a connection"},
    };
}
}  // namespace

Transport::Transport(Simulation& simulation, FlowNetwork& network, Topology& topology, const TcpModel* tcp,
                     std::vector<ConnectionPolicy> policies, std::vector<std::string> service_names,
                     SubmitWork submit, Recorder& recorder, RandomStream rng, std::vector<double> link_loss)
    : sim_(simulation),
      network_(network),
      topology_(topology),
      tcp_(tcp),
      policies_(std::move(policies)),
      link_loss_(std::move(link_loss)),
      submit_(std::move(submit)),
      rng_(std::move(rng)),
      recorder_(recorder) {
    if (tcp_ == nullptr) return;  // fluid: encodings only, no connections to report
    // Both tables first: adding a table may move the recorder's tables (and a deque that
    // is copied, not moved, on reallocation), which would leave earlier handles dangling.
    const auto table = recorder.add_table("connections", "service", connection_figures(), /*per_window=*/true);
    link_table_ = recorder.add_table("connections_by_link", "link", connection_figures());
    figures_.resize(service_names.size());
    for (std::size_t i = 0; i < service_names.size(); ++i) {
        make_row(figures_[i], table, recorder.add_row(table, service_names[i]));
    }
    link_figures_.assign(topology_.directed_link_count(), none);
}

double Transport::mathis_rate(double segment_bytes, double rtt_s, double loss) {
    return segment_bytes * std::sqrt(1.5) / (rtt_s * std::sqrt(loss));
}

void Transport::make_row(ServiceFigures& f, Recorder::TableId table, Recorder::RowId row) {
    f.opened = recorder_.counter(table, row, 0);
    f.reused = recorder_.counter(table, row, 1);
    f.waited = recorder_.counter(table, row, 2);
    f.closed_idle = recorder_.counter(table, row, 3);
    f.open = recorder_.level(table, row, 4);
    f.handshake = recorder_.latency(table, row, 5);
    f.handshake_share = recorder_.value(table, row, 6);
    f.slow_start_share = recorder_.value(table, row, 7);
    f.wait_share = recorder_.value(table, row, 8);
}

Transport::CallState& Transport::state(std::uint32_t call) {
    if (call >= calls_.size()) calls_.resize(std::max<std::size_t>(call + 1, 2 * calls_.size()));
    return calls_[call];
}

double Transport::wire_bytes(double payload) const {
    if (tcp_ == nullptr) return payload;
    return payload + std::ceil(payload / tcp_->mss) * tcp_->header;
}

std::uint32_t Transport::pool_of(NodeId from, std::uint32_t caller_host, NodeId to, std::uint32_t callee_host,
                                 std::uint32_t service) {
    auto& candidates = pool_index_[(std::uint64_t{from} << 32) | to];
    for (const std::uint32_t p : candidates) {
        const Pool& pool = pools_[p];
        if (pool.service == service && pool.caller_host == caller_host && pool.callee_host == callee_host) return p;
    }
    const auto p = static_cast<std::uint32_t>(pools_.size());
    Pool& pool = pools_.emplace_back();
    pool.service = service;
    pool.caller_host = caller_host;
    pool.callee_host = callee_host;
    pool.caller = from;
    pool.server = to;
    candidates.push_back(p);
    // Its figures: the service's, and one row per link direction of its route (rows made
    // on first use, so the table lists the links connections cross).
    pool.figures.push_back(service);
    if (const Route* route = topology_.find_route(from, to)) {
        for (const DirectedLinkId d : route->links) {
            if (d >= link_figures_.size()) continue;
            if (link_figures_[d] == none) {
                link_figures_[d] = static_cast<std::uint32_t>(figures_.size());
                figures_.emplace_back();
                make_row(figures_.back(), link_table_, recorder_.add_row(link_table_, topology_.directed_link_name(d)));
            }
            pools_[p].figures.push_back(link_figures_[d]);
        }
    }
    return p;
}

void Transport::send_request(std::uint32_t call, NodeId from, std::uint32_t caller_host, NodeId to,
                             std::uint32_t callee_host, std::uint32_t service, double bytes,
                             const EncodingModel* encoding, Done done) {
    CallState& s = state(call);
    s = CallState{};
    s.from = from;
    s.to = to;
    s.caller_host = caller_host;
    s.callee_host = callee_host;
    s.service = service;
    s.dir = 0;
    s.bytes = bytes;
    s.encoding = encoding;
    s.done = std::move(done);
    s.sent = sim_.now();
    s.active = true;
    if (tcp_ == nullptr) {
        start_message(call);
        return;
    }
    s.pool = pool_of(from, caller_host, to, callee_host, service);
    acquire(call);
}

void Transport::send_response(std::uint32_t call, double bytes, const EncodingModel* encoding, Done done) {
    CallState& s = state(call);
    s.dir = 1;
    s.bytes = bytes;
    s.encoding = encoding;
    s.done = std::move(done);
    start_message(call);
}

void Transport::acquire(std::uint32_t call) {
    CallState& s = calls_[call];
    Pool& pool = pools_[s.pool];
    const ConnectionPolicy& policy = policies_[pool.service];
    if (!pool.idle.empty()) {
        const std::uint32_t c = pool.idle.back();
        pool.idle.pop_back();
        Connection& conn = connections_[c];
        if (conn.idle_timer.valid()) sim_.cancel(conn.idle_timer);
        conn.idle_timer = EventId{};
        s.connection = c;
        count(pool, [](ServiceFigures& f) { f.reused.add(); });
        start_message(call);
        return;
    }
    if (policy.max == 0 || pool.open < policy.max) {
        open_connection(call);
        return;
    }
    count(pool, [](ServiceFigures& f) { f.waited.add(); });
    pool.waiting.push_back(Waiter{call, sim_.now()});
}

void Transport::open_connection(std::uint32_t call) {
    CallState& s = calls_[call];
    Pool& pool = pools_[s.pool];
    std::uint32_t c = 0;
    if (!free_connections_.empty()) {
        c = free_connections_.back();
        free_connections_.pop_back();
    } else {
        c = static_cast<std::uint32_t>(connections_.size());
        connections_.emplace_back();
    }
    Connection& conn = connections_[c];
    conn.pool = s.pool;
    conn.caller = pool.caller;
    conn.server = pool.server;
    conn.open = true;
    ++conn.generation;
    conn.idle_timer = EventId{};
    // RTT: the route's one-way latency there plus back. Without a route the handshake
    // takes no time and the first message fails in the network, as a fluid one would.
    const Route* there = topology_.find_route(pool.caller, pool.server);
    const Time there_latency = there != nullptr ? there->latency : Time::zero();
    const Route* back = topology_.find_route(pool.server, pool.caller);
    const Time back_latency = back != nullptr ? back->latency : Time::zero();
    conn.rtt_s = (there_latency + back_latency).seconds();
    const double initial = tcp_->initial_window * (tcp_->mss + tcp_->header);
    conn.dir[0].window = conn.dir[1].window = std::min(initial, tcp_->max_window);
    // Loss: the path's segment loss probability 1 - prod(1 - p_link), each way.
    for (int d = 0; d < 2; ++d) {
        conn.dir[d].loss_bound = infinity;
        // Looked up again: finding one route may move the other in the topology's cache.
        const Route* route = d == 0 ? topology_.find_route(pool.caller, pool.server)
                                    : topology_.find_route(pool.server, pool.caller);
        if (route == nullptr || link_loss_.empty() || !(conn.rtt_s > 0.0)) continue;
        double delivered = 1.0;
        for (const DirectedLinkId link : route->links) {
            if (link_of(link) < link_loss_.size()) delivered *= 1.0 - link_loss_[link_of(link)];
        }
        if (delivered < 1.0) conn.dir[d].loss_bound = mathis_rate(tcp_->mss + tcp_->header, conn.rtt_s, 1.0 - delivered);
    }
    ++pool.open;
    ++open_total_;
    ++opened_total_;
    const Time now = sim_.now();
    count(pool, [now](ServiceFigures& f) {
        f.opened.add();
        f.open.set(now, ++f.open_count);
    });
    s.connection = c;
    s.handshake_start = sim_.now();
    const Time handshake = Time::from_ns((there_latency + back_latency).ns() * (1 + tcp_->tls_round_trips));
    sim_.schedule_in(handshake, [this, call] {
        const CallState& cs = calls_[call];
        const double work = tcp_->handshake_work ? tcp_->handshake_work->sample(rng_) : 0.0;
        run_work(call, cs.callee_host, work, handshake_server);
    });
}

void Transport::run_work(std::uint32_t call, std::uint32_t host, double work_s, JobKind kind) {
    if (host == no_host || !(work_s > 0.0)) {
        after_job(call, kind, true);
        return;
    }
    std::uint32_t j = 0;
    if (!free_jobs_.empty()) {
        j = free_jobs_.back();
        free_jobs_.pop_back();
    } else {
        j = static_cast<std::uint32_t>(jobs_.size());
        jobs_.emplace_back();
    }
    jobs_[j] = Job{call, kind};
    if (!submit_(host, work_s, j)) {
        free_jobs_.push_back(j);
        after_job(call, kind, false);
    }
}

void Transport::job_done(std::uint64_t token, bool ok) {
    const auto j = static_cast<std::uint32_t>(token);
    const Job job = jobs_.at(j);
    free_jobs_.push_back(j);
    after_job(job.call, static_cast<JobKind>(job.kind), ok);
}

void Transport::after_job(std::uint32_t call, JobKind kind, bool ok) {
    CallState& s = calls_[call];
    switch (kind) {
        case handshake_server:
            if (!ok) {
                finish(call, false);
                return;
            }
            run_work(call, s.caller_host, tcp_->handshake_work ? tcp_->handshake_work->sample(rng_) : 0.0,
                     handshake_caller);
            return;
        case handshake_caller: {
            if (!ok) {
                finish(call, false);
                return;
            }
            const double took = (sim_.now() - s.handshake_start).seconds();
            s.handshake_s += took;
            count(pools_[s.pool], [took](ServiceFigures& f) { f.handshake.record(took); });
            start_message(call);
            return;
        }
        case encode: {
            if (!ok) {
                finish(call, false);
                return;
            }
            const double payload = s.encoding != nullptr ? s.encoding->wire_bytes(s.bytes) : s.bytes;
            if (tcp_ == nullptr) {
                const NodeId from = s.dir == 0 ? s.from : s.to;
                const NodeId to = s.dir == 0 ? s.to : s.from;
                network_.send(from, to, payload, [this, call](bool arrived) { message_arrived(call, arrived); });
                return;
            }
            s.remaining = wire_bytes(payload);
            next_round(call, true);
            return;
        }
        case decode:
            finish(call, ok);
            return;
    }
}

void Transport::start_message(std::uint32_t call) {
    CallState& s = calls_[call];
    const double work = s.encoding != nullptr ? s.encoding->encode_s_per_byte * s.bytes : 0.0;
    run_work(call, s.dir == 0 ? s.caller_host : s.callee_host, work, encode);
}

void Transport::next_round(std::uint32_t call, bool first) {
    CallState& s = calls_[call];
    Connection& conn = connections_[s.connection];
    const double window = conn.dir[s.dir].window;
    const NodeId from = s.dir == 0 ? conn.caller : conn.server;
    const NodeId to = s.dir == 0 ? conn.server : conn.caller;
    double bound = infinity;
    s.round_limited = false;
    s.round_bytes = s.remaining;
    if (s.remaining > window) {
        // More than the window: the window paces it, at most window / RTT.
        bound = conn.rtt_s > 0.0 ? window / conn.rtt_s : infinity;
        if (window < tcp_->max_window) {
            s.round_limited = true;  // slow start: one window per round, then it grows
            s.round_bytes = window;
        }
    }
    // With loss, no round goes faster than the Mathis bound (not even one that fits its window).
    bound = std::min(bound, conn.dir[s.dir].loss_bound);
    s.round_start = sim_.now();
    if (first) {
        // The first round starts with the route's latency, which is no part of slow start.
        if (const Route* route = topology_.find_route(from, to)) s.round_start = sim_.now() + route->latency;
    }
    network_.send_bounded(from, to, s.round_bytes, bound, !first, [this, call](bool ok) { round_done(call, ok); });
}

void Transport::round_done(std::uint32_t call, bool ok) {
    CallState& s = calls_[call];
    if (!ok) {
        message_arrived(call, false);
        return;
    }
    if (!s.round_limited) {
        message_arrived(call, true);
        return;
    }
    s.slow_start_s += (sim_.now() - s.round_start).seconds();
    s.remaining -= s.round_bytes;
    Direction& d = connections_[s.connection].dir[s.dir];
    d.window = std::min(d.window * tcp_->slow_start_growth, tcp_->max_window);
    next_round(call, false);
}

void Transport::message_arrived(std::uint32_t call, bool ok) {
    if (!ok) {
        finish(call, false);
        return;
    }
    CallState& s = calls_[call];
    const double work = s.encoding != nullptr ? s.encoding->decode_s_per_byte * s.bytes : 0.0;
    run_work(call, s.dir == 0 ? s.callee_host : s.caller_host, work, decode);
}

void Transport::finish(std::uint32_t call, bool ok) {
    CallState& s = calls_[call];
    Done done = std::move(s.done);
    if (tcp_ != nullptr && (s.dir == 1 || !ok)) {
        if (s.dir == 1) account_call(call);
        release(call, ok);
    }
    if (done) done(ok);
}

void Transport::account_call(std::uint32_t call) {
    const CallState& s = calls_[call];
    const double call_s = (sim_.now() - s.sent).seconds();
    count(pools_[s.pool], [&s, call_s](ServiceFigures& f) {
        f.call_s += call_s;
        f.handshake_s += s.handshake_s;
        f.slow_start_s += s.slow_start_s;
        f.wait_s += s.wait_s;
        if (f.call_s > 0.0) {
            f.handshake_share.set(f.handshake_s / f.call_s);
            f.slow_start_share.set(f.slow_start_s / f.call_s);
            f.wait_share.set(f.wait_s / f.call_s);
        }
    });
}

void Transport::release(std::uint32_t call, bool ok) {
    if (tcp_ == nullptr || call >= calls_.size()) return;
    CallState& s = calls_[call];
    const std::uint32_t c = s.connection;
    s.connection = none;
    s.active = false;
    if (c == none) return;
    Connection& conn = connections_[c];
    Pool& pool = pools_[conn.pool];
    const ConnectionPolicy& policy = policies_[pool.service];
    if (!ok || !policy.pooled()) {
        close(c);
        return;
    }
    if (!pool.waiting.empty()) {
        // The first caller waiting takes it over as it is, window included.
        const Waiter w = pool.waiting.front();
        pool.waiting.pop_front();
        CallState& next = calls_[w.call];
        next.wait_s += (sim_.now() - w.since).seconds();
        next.connection = c;
        count(pool, [](ServiceFigures& f) { f.reused.add(); });
        start_message(w.call);
        return;
    }
    pool.idle.push_back(c);
    ++conn.generation;
    const std::uint32_t generation = conn.generation;
    conn.idle_timer = sim_.schedule_in(Time::from_seconds(policy.idle_timeout_s),
                                       [this, c, generation] { on_idle_timeout(c, generation); });
}

void Transport::on_idle_timeout(std::uint32_t c, std::uint32_t generation) {
    Connection& conn = connections_[c];
    if (!conn.open || conn.generation != generation) return;
    conn.idle_timer = EventId{};
    Pool& pool = pools_[conn.pool];
    pool.idle.erase(std::find(pool.idle.begin(), pool.idle.end(), c));
    count(pool, [](ServiceFigures& f) { f.closed_idle.add(); });
    close(c);
}

void Transport::close(std::uint32_t c) {
    Connection& conn = connections_[c];
    conn.open = false;
    ++conn.generation;
    Pool& pool = pools_[conn.pool];
    --pool.open;
    --open_total_;
    ++closed_total_;
    const Time now = sim_.now();
    count(pool, [now](ServiceFigures& f) { f.open.set(now, --f.open_count); });
    free_connections_.push_back(c);
    const ConnectionPolicy& policy = policies_[pool.service];
    if (!pool.waiting.empty() && (policy.max == 0 || pool.open < policy.max)) {
        const Waiter w = pool.waiting.front();
        pool.waiting.pop_front();
        calls_[w.call].wait_s += (sim_.now() - w.since).seconds();
        open_connection(w.call);
    }
}

void Transport::start_measuring(Time) {
    for (ServiceFigures& f : figures_) {
        f.call_s = f.handshake_s = f.slow_start_s = f.wait_s = 0;
        f.handshake_share.set(0);
        f.slow_start_share.set(0);
        f.wait_share.set(0);
    }
}

}  // namespace s2sim::models

// Keyed data and the staleness of reads (models/consistency.hpp, docs/consistency.md),
// checked against formulas: Poisson writes replicated with a fixed lag, and partial
// quorums (PBS, Bailis et al., VLDB 2012).
#include <algorithm>
#include <cmath>

#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "sim/error.hpp"
#include "tests/models/fixtures.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;
using testing::one_op_workload;
using testing::run;

const RecordedTable& table(const RunResults& r, const std::string& name) {
    for (const RecordedTable& t : r.tables) {
        if (t.name == name) return t;
    }
    throw Error("no table " + name);
}

const RecordedRow& row(const RecordedTable& t, const std::string& name) {
    for (const RecordedRow& r : t.rows) {
        if (r.name == name) return r;
    }
    throw Error("no row " + name);
}

/// Host 0 is the primary of service "db" (op write, replicated to host 1 in `mode` with a
/// fixed apply time `lag_s`), host 1 serves "rdb.read" from its copy. Poisson writes and
/// reads of one key, no network: a write commits on the primary as it arrives.
SystemModel primary_and_replica(ReplicationMode mode, double write_rate, double read_rate, double lag_s,
                                double duration_s, bool read_on_primary = false) {
    SystemModel m;
    m.name = "staleness";
    m.seed = 7;
    m.duration_s = duration_s;
    for (const char* name : {"primary", "replica"}) {
        HostModel h;
        h.server.name = name;
        h.server.cores = 256;  // applies overlap: no queueing, the lag is exactly lag_s
        m.hosts.push_back(h);
    }
    ServiceModel db;
    db.name = "db";
    db.servers = {0};
    OpModel write;
    write.name = "write";
    ReplicationModel rep;
    rep.to = {1};
    rep.mode = mode;
    rep.acks = mode == ReplicationMode::async ? 0 : 1;
    rep.work = make_constant(lag_s);
    write.replicate = rep;
    db.ops.push_back(write);
    ServiceModel rdb;
    rdb.name = "rdb";
    rdb.servers = {read_on_primary ? 0u : 1u};
    OpModel read;
    read.name = "read";
    read.reads = ReadModel{0, 0, std::nullopt};
    rdb.ops.push_back(read);
    m.services.push_back(std::move(db));
    m.services.push_back(std::move(rdb));
    m.workloads.push_back(one_op_workload("writers", 0, PoissonArrivals{write_rate}));
    m.workloads.push_back(one_op_workload("readers", 1, PoissonArrivals{read_rate}));
    for (WorkloadModel& w : m.workloads) w.keys = KeyModel{1, 0};
    return m;
}

}  // namespace

TEST_CASE("consistency: reads after sync replication, or on the primary, are never stale", "[models][consistency]") {
    const RunResults sync = run(primary_and_replica(ReplicationMode::sync, 20, 200, 0.05, 20));
    const RecordedRow& s = row(table(sync, "staleness"), "rdb.read");
    CHECK(s.figures[0].count > 3000);
    CHECK(s.figures[1].count == 0);
    CHECK(s.figures[2].value == 0);
    const RunResults primary = run(primary_and_replica(ReplicationMode::async, 20, 200, 0.05, 20, true));
    CHECK(row(table(primary, "staleness"), "rdb.read").figures[1].count == 0);
}

TEST_CASE("consistency: async replication with a fixed lag d: P(stale) = 1 - exp(-lambda d)", "[models][consistency][theory]") {
    // A read at t on the replica misses exactly the writes committed in (t - d, t]: a Poisson
    // count N of mean a = lambda d. P(stale) = 1 - e^-a; E[versions behind | stale] =
    // a / (1 - e^-a); the age (from the oldest missed commit) has, given stale,
    // E = d - ((1 - e^-a) / lambda - d e^-a) / (1 - e^-a).
    const double lambda = 10;
    const double d = 0.1;
    const double mu = 100;
    const double duration = 2000;
    const RunResults r = run(primary_and_replica(ReplicationMode::async, lambda, mu, d, duration));
    const RecordedRow& s = row(table(r, "staleness"), "rdb.read");
    const double a = lambda * d;
    const double p = 1 - std::exp(-a);
    const double reads = static_cast<double>(s.figures[0].count);
    // The time average of I(t) = 1{N(t - d, t] >= 1} over T has variance (1/T) times the
    // integral of its autocovariance, 2 [e^-a (1 - e^-a) / lambda - d e^-2a]; the reads
    // sample it, adding p (1 - p) / n.
    const double var = 2 * (std::exp(-a) * (1 - std::exp(-a)) / lambda - d * std::exp(-2 * a)) / duration +
                       p * (1 - p) / reads;
    CHECK(s.figures[2].value == Approx(p).margin(4 * std::sqrt(var)));
    CHECK(static_cast<double>(s.figures[1].count) / reads == Approx(s.figures[2].value));
    // Versions behind and age: their means given stale, within 4 % (their spread is of the
    // order of the mean; a few thousand independent windows).
    CHECK(s.figures[3].latency.mean() == Approx(a / p).epsilon(0.04));
    const double age = d - ((1 - std::exp(-a)) / lambda - d * std::exp(-a)) / p;
    CHECK(s.figures[4].latency.mean() == Approx(age).epsilon(0.04));
    CHECK(s.figures[4].latency.max() <= d + 1e-9);

    // t-visibility is a step at d: a read less than d after the newest commit misses it,
    // one more than d after sees it. The grid ends where p reaches 0.999, at d.
    const RecordedTable& grid = table(r, "t_visibility");
    REQUIRE(grid.rows.size() >= 30);
    const double end = grid.rows.back().figures[0].value;
    CHECK(end == Approx(d).epsilon(0.002));
    const double step = end / KeyedData::grid_intervals;
    for (const RecordedRow& point : grid.rows) {
        const double t = point.figures[0].value;
        if (t + step / 2 < d * 0.999) CHECK(point.figures[1].value == 0);
    }
}

namespace {

/// PBS's partial quorum: a client calls coord.write then coord.read on the same key; the
/// coordinator writes to the three servers of `store` and waits for `w` acks, and reads
/// from all three, answered after `r`. Each store server applies a write after exp(apply_s)
/// (many cores: no queueing). Links of `latency_s` around one switch, or no network.
SystemModel partial_quorum(std::uint32_t w, std::uint32_t r, double apply_s, double latency_s, double duration_s) {
    SystemModel m;
    m.name = "pbs";
    m.seed = 11;
    m.duration_s = duration_s;
    if (latency_s > 0) m.topology = std::make_unique<Topology>();
    NodeId hub = 0;
    if (m.topology) hub = m.topology->add_node("hub", NodeKind::switch_);
    for (const char* name : {"client", "coord", "store-1", "store-2", "store-3"}) {
        HostModel h;
        h.server.name = name;
        h.server.cores = 1024;
        if (m.topology) {
            h.node = m.topology->add_node(name, NodeKind::server);
            m.topology->add_link(*h.node, hub, 1e12, latency_s / 2);
        }
        m.hosts.push_back(h);
    }
    ServiceModel client;
    client.name = "client";
    client.servers = {0};
    OpModel rw;
    rw.name = "rw";
    CallModel write_call;
    write_call.service = 1;
    write_call.op = 0;
    CallModel read_call = write_call;
    read_call.op = 1;
    rw.steps = {{write_call}, {read_call}};
    client.ops.push_back(rw);
    ServiceModel coord;
    coord.name = "coord";
    coord.servers = {1};
    OpModel write;
    write.name = "write";
    ReplicationModel rep;
    rep.to = {2, 3, 4};
    rep.mode = ReplicationMode::quorum;
    rep.acks = w;
    rep.work = make_exponential(apply_s);
    write.replicate = rep;
    OpModel read;
    read.name = "read";
    read.reads = ReadModel{1, 0, ReadQuorumModel{{2, 3, 4}, r, false}};
    coord.ops.push_back(write);
    coord.ops.push_back(read);
    ServiceModel store;
    store.name = "store";
    store.servers = {2, 3, 4};
    OpModel get;
    get.name = "get";
    store.ops.push_back(get);
    m.services.push_back(std::move(client));
    m.services.push_back(std::move(coord));
    m.services.push_back(std::move(store));
    m.workloads.push_back(one_op_workload("clients", 0, PoissonArrivals{20}));
    m.workloads.back().keys = KeyModel{100000, 0};
    return m;
}

double stale_fraction(const RunResults& r) { return row(table(r, "staleness"), "coord.read").figures[2].value; }

}  // namespace

TEST_CASE("consistency: N = 3, R = W = 1: an immediate read is stale with probability C(N-W,R)/C(N,R) = 2/3",
          "[models][consistency][theory]") {
    // The write commits when the first of three copies has it; a read right after the commit
    // asks all three and takes the first answer: from one copy, the one with the write with
    // probability 1/3 while the others have not applied it yet.
    const double expected = 2.0 / 3.0;
    const RunResults slow = run(partial_quorum(1, 1, 10.0, 0, 500));
    const double n = static_cast<double>(row(table(slow, "staleness"), "coord.read").figures[0].count);
    REQUIRE(n > 8000);
    const double sigma = std::sqrt(expected * (1 - expected) / n);
    CHECK(stale_fraction(slow) == Approx(expected).margin(4 * sigma));
    // With a network (1 ms a way), the read reaches the copies ~2 ms after the commit: the
    // faster the propagation, the more copies have the write by then.
    const double fast = stale_fraction(run(partial_quorum(1, 1, 0.002, 0.001, 200)));
    const double medium = stale_fraction(run(partial_quorum(1, 1, 0.02, 0.001, 200)));
    const double slowest = stale_fraction(run(partial_quorum(1, 1, 10.0, 0.001, 200)));
    CHECK(fast < medium - 0.05);
    CHECK(medium < slowest - 0.05);
    CHECK(slowest == Approx(expected).margin(4 * std::sqrt(expected * (1 - expected) / 3800)));
    // R + W > N: every read quorum meets the write quorum, never stale.
    CHECK(stale_fraction(run(partial_quorum(2, 2, 10.0, 0.001, 50))) == 0);
}

namespace {

/// PBS's WARS model with exponential delays: the write goes to the N = 3 copies (W ~ exp),
/// is acknowledged (A ~ exp) and commits at the w-th ack; a read starting t later asks all
/// three (R ~ exp), each answers with what it holds as the request arrives (S ~ exp), and the
/// first r answers decide. W and R are the jitter of coord->store, A and S of store->coord.
/// The client (no network) writes, waits uniform(0, wait_s) on a `sleep` server, then reads:
/// the read starts exactly that long after the commit.
SystemModel wars(std::uint32_t w, std::uint32_t r, double wr_mean_s, double as_mean_s, double wait_s, double rate,
                 double duration_s) {
    SystemModel m;
    m.name = "wars";
    m.seed = 5;
    m.duration_s = duration_s;
    m.topology = std::make_unique<Topology>();
    for (const char* name : {"client", "sleep", "coord", "store-1", "store-2", "store-3"}) {
        HostModel h;
        h.server.name = name;
        h.server.cores = 100000;
        if (std::string(name) != "client" && std::string(name) != "sleep") {
            h.node = m.topology->add_node(name, NodeKind::server);
        }
        m.hosts.push_back(h);
    }
    m.link_jitter.resize(6);
    for (NodeId store = 1; store <= 3; ++store) {
        const LinkId link = m.topology->add_link(0, store, 1e15, 0.0);
        m.link_jitter[Topology::directed_link(link, Direction::a_to_b)] = make_exponential(wr_mean_s);
        m.link_jitter[Topology::directed_link(link, Direction::b_to_a)] = make_exponential(as_mean_s);
    }
    for (std::size_t h = 2; h < m.hosts.size(); ++h) m.hosts[h].node = static_cast<NodeId>(h - 2);
    ServiceModel client;
    client.name = "client";
    client.servers = {0};
    OpModel rw;
    rw.name = "rw";
    CallModel write_call;
    write_call.service = 2;
    write_call.op = 0;
    CallModel sleep_call;
    sleep_call.service = 1;
    sleep_call.op = 0;
    CallModel read_call = write_call;
    read_call.op = 1;
    rw.steps = {{write_call}, {sleep_call}, {read_call}};
    client.ops.push_back(rw);
    ServiceModel sleep;
    sleep.name = "sleep";
    sleep.servers = {1};
    OpModel wait;
    wait.name = "wait";
    wait.work = parse_distribution("uniform(0ms, " + std::to_string(wait_s * 1e3) + "ms)");
    sleep.ops.push_back(wait);
    ServiceModel coord;
    coord.name = "coord";
    coord.servers = {2};
    OpModel write;
    write.name = "write";
    ReplicationModel rep;
    rep.to = {3, 4, 5};
    rep.mode = ReplicationMode::quorum;
    rep.acks = w;
    rep.bytes = 0;
    write.replicate = rep;
    OpModel read;
    read.name = "read";
    read.reads = ReadModel{2, 0, ReadQuorumModel{{3, 4, 5}, r, false}};
    coord.ops.push_back(write);
    coord.ops.push_back(read);
    ServiceModel store;
    store.name = "store";
    store.servers = {3, 4, 5};
    OpModel get;
    get.name = "get";
    store.ops.push_back(get);
    m.services.push_back(std::move(client));
    m.services.push_back(std::move(sleep));
    m.services.push_back(std::move(coord));
    m.services.push_back(std::move(store));
    m.workloads.push_back(one_op_workload("clients", 0, PoissonArrivals{rate}));
    m.workloads.back().keys = KeyModel{1000000, 0};
    return m;
}

/// Monte Carlo of WARS: P(consistent) for a read starting uniform in [lo, hi) after the commit.
double wars_monte_carlo(std::uint32_t w, std::uint32_t r, double wr_mean, double as_mean, double lo, double hi,
                        int samples, RandomStream& rng) {
    const auto exp = [&](double mean) { return -mean * std::log(1 - rng.uniform01()); };
    int consistent = 0;
    for (int s = 0; s < samples; ++s) {
        double write[3], ack[3], answer[3];
        for (int i = 0; i < 3; ++i) {
            write[i] = exp(wr_mean);
            ack[i] = write[i] + exp(as_mean);
        }
        double acks[3] = {ack[0], ack[1], ack[2]};
        std::sort(acks, acks + 3);
        const double start = acks[w - 1] + lo + (hi - lo) * rng.uniform01();
        bool has[3];
        for (int i = 0; i < 3; ++i) {
            const double arrives = start + exp(wr_mean);
            has[i] = write[i] <= arrives;
            answer[i] = arrives + exp(as_mean);
        }
        int idx[3] = {0, 1, 2};
        std::sort(idx, idx + 3, [&](int a, int b) { return answer[a] < answer[b]; });
        bool fresh = false;
        for (std::uint32_t j = 0; j < r; ++j) fresh = fresh || has[idx[j]];
        consistent += fresh ? 1 : 0;
    }
    return static_cast<double>(consistent) / samples;
}

}  // namespace

TEST_CASE("consistency: t-visibility under WARS with exponential delays matches a Monte Carlo of the model",
          "[models][consistency][theory]") {
    // N = 3, R = W = 1; W, R ~ exp(1 ms), A, S ~ exp(0.5 ms). Each grid point's p is the
    // consistent fraction of the reads within half an interval of t (from 0 for the first
    // point); the reads start uniformly after their commit, so the Monte Carlo draws t
    // uniformly over the same interval. Tolerance: 1 percentage point, with the simulation's
    // sampling error (about 0.3 points at p = 0.5 for 25,000 reads a point) inside it.
    const double wr = 0.001;
    const double as = 0.0005;
    const RunResults res = run(wars(1, 1, wr, as, 0.009, 4000, 300));
    const RecordedTable& grid = table(res, "t_visibility");
    REQUIRE(grid.rows.size() >= 30);
    const double end = grid.rows.back().figures[0].value;
    REQUIRE(end < 0.009);  // the whole grid lies where reads start uniformly
    const double step = end / KeyedData::grid_intervals;
    RandomStream rng(99, "wars-monte-carlo");
    double worst = 0;
    for (const RecordedRow& point : grid.rows) {
        const double t = point.figures[0].value;
        const double expected = wars_monte_carlo(1, 1, wr, as, std::max(0.0, t - step / 2), t + step / 2, 200000, rng);
        INFO("t = " << t << " s, reads " << point.figures[2].count);
        CHECK(point.figures[1].value == Approx(expected).margin(0.01));
        worst = std::max(worst, std::abs(point.figures[1].value - expected));
    }
    WARN("largest difference from the Monte Carlo: " << worst);
}

// Replication of writes (models/replication.hpp) with fixed latencies: const work,
// zero-byte messages (a message then takes exactly its route's latency), so the
// expected times are sums of the numbers below, exact to the nanosecond.
#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "tests/models/fixtures.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

constexpr double ms = 1e-3;

/// A primary and three replicas around one switch; replica i (1..3) sits i ms away
/// (one way), the primary 0 ms. Writes arrive at the primary (no client network).
SystemModel star(ReplicationMode mode, std::uint32_t acks, double rate_per_s, double duration_s) {
    // Arrivals at 0.1, 0.2, .. 1.0 s for a rate of 10/s: a little past 1 s lets the last finish.
    duration_s += 0.05;
    SystemModel m;
    m.name = "replication";
    m.seed = 1;
    m.duration_s = duration_s;
    m.window_s = 0;
    m.topology = std::make_unique<Topology>();
    const NodeId hub = m.topology->add_node("hub", NodeKind::switch_);
    for (int i = 0; i <= 3; ++i) {
        HostModel h;
        h.server.name = i == 0 ? "primary" : "replica-" + std::to_string(i);
        h.node = m.topology->add_node(h.server.name, NodeKind::server);
        m.topology->add_link(*h.node, hub, 1e12, i * ms);
        m.hosts.push_back(h);
    }
    ServiceModel db;
    db.name = "db";
    db.servers = {0};
    OpModel write;
    write.name = "write";
    write.work = make_constant(1 * ms);
    ReplicationModel rep;
    rep.to = {1, 2, 3};
    rep.mode = mode;
    rep.acks = acks;
    rep.work = make_constant(1 * ms);
    rep.bytes = 0;
    write.replicate = rep;
    db.ops.push_back(write);
    m.services.push_back(std::move(db));
    m.workloads.push_back(testing::one_op_workload("writers", 0, ConstantArrivals{rate_per_s}));
    return m;
}

using testing::run;

}  // namespace

TEST_CASE("replication: a sync write waits for the slowest replica's round trip", "[models][replication]") {
    const RunResults r = run(star(ReplicationMode::sync, 3, 10, 1));
    REQUIRE(r.requests[0].count == 10);
    // 1 ms of work, then replica 3: 3 ms there, 1 ms apply, 3 ms back.
    CHECK(r.requests[0].latency.min() == Approx(8 * ms).margin(1e-12));
    CHECK(r.requests[0].latency.max() == Approx(8 * ms).margin(1e-12));
    CHECK(r.requests[0].errors == 0);
}

TEST_CASE("replication: a quorum write waits for the k-th fastest replica", "[models][replication]") {
    const RunResults r = run(star(ReplicationMode::quorum, 2, 10, 1));
    // The second fastest is replica 2: 2 + 1 + 2 ms after the 1 ms of work.
    CHECK(r.requests[0].latency.min() == Approx(6 * ms).margin(1e-12));
    CHECK(r.requests[0].latency.max() == Approx(6 * ms).margin(1e-12));
    const RunResults one = run(star(ReplicationMode::quorum, 1, 10, 1));
    CHECK(one.requests[0].latency.max() == Approx(4 * ms).margin(1e-12));
}

TEST_CASE("replication: an async write waits for no replica; its lag is network plus apply", "[models][replication]") {
    const RunResults r = run(star(ReplicationMode::async, 0, 10, 1));
    CHECK(r.requests[0].latency.max() == Approx(1 * ms).margin(1e-12));
    REQUIRE(r.replication.size() == 3);
    for (int i = 1; i <= 3; ++i) {
        const ReplicationResult& p = r.replication[static_cast<std::size_t>(i - 1)];
        CHECK(p.name == "db.write->replica-" + std::to_string(i));
        CHECK(p.count == 10);
        CHECK(p.failed == 0);
        // i ms on the way, 1 ms to apply on an idle replica.
        CHECK(p.lag.min() == Approx((i + 1) * ms).margin(1e-12));
        CHECK(p.lag.max() == Approx((i + 1) * ms).margin(1e-12));
    }
}

TEST_CASE("replication: the lag grows when a replica is saturated", "[models][replication]") {
    SystemModel m = star(ReplicationMode::async, 0, 1500, 2);
    // Replica 1 applies 1,500 writes/s of 1 ms each on one core: 1.5 times its capacity,
    // so its backlog grows by about 500 writes a second and the lag with it.
    m.hosts[0].server.cores = 4;
    const RunResults r = run(std::move(m));
    const ReplicationResult& p = r.replication[0];
    CHECK(p.lag.min() == Approx(2 * ms).margin(1e-12));  // the first write found it idle
    CHECK(p.lag.max() > 0.5);                            // about 1,000 writes queued by the end: ~1 s
    CHECK(p.mean_backlog > 100);
    CHECK(p.count < 2 * 1500);  // the writes still queued at the end are not counted
}

TEST_CASE("replication: a replica that is down fails sync writes, not async ones", "[models][replication]") {
    SystemModel sync = star(ReplicationMode::sync, 3, 10, 1);
    sync.events.push_back(FaultEvent{"replica-3", 0.0, FaultAction::fail, 3u, {}, std::nullopt, 1});
    const RunResults r = run(std::move(sync));
    CHECK(r.requests[0].errors == r.requests[0].count);
    CHECK(r.replication[2].failed == 10);
    SystemModel quorum = star(ReplicationMode::quorum, 2, 10, 1);
    quorum.events.push_back(FaultEvent{"replica-3", 0.0, FaultAction::fail, 3u, {}, std::nullopt, 1});
    const RunResults q = run(std::move(quorum));
    CHECK(q.requests[0].errors == 0);
    CHECK(q.requests[0].latency.max() == Approx(6 * ms).margin(1e-12));
}

#include "models/network/flow_network.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <functional>
#include <string>
#include <vector>

#include <pcg_random.hpp>

#include "sim/error.hpp"
#include "sim/simulation.hpp"

using s2sim::Simulation;
using s2sim::Time;
using namespace s2sim::models;

namespace {

constexpr double gbps = 1e9 / 8.0;    // 1.25e8 bytes per second
constexpr double mbps = 1e6 / 8.0;    // 1.25e5 bytes per second

Time at(double s) { return Time::from_seconds(s); }

// Records when (and whether) each message ended. Callbacks capture a pointer
// and an index, well within the 48-byte budget.
struct Log {
    std::vector<Time> when;
    std::vector<int> ok;  // -1 pending, 0 failed, 1 delivered
    std::vector<std::size_t> order;

    std::size_t expect() {
        when.push_back(Time::max());
        ok.push_back(-1);
        return when.size() - 1;
    }
};

struct Record {
    Log* log;
    std::size_t i;
    Simulation* sim;
    void operator()(bool delivered) const {
        log->when[i] = sim->now();
        log->ok[i] = delivered ? 1 : 0;
        log->order.push_back(i);
    }
};

// Sends at absolute time `t` (through an event, as a model would).
void send_at(Simulation& sim, FlowNetwork& net, Log& log, double t, NodeId from, NodeId to, double bytes) {
    const std::size_t i = log.expect();
    sim.schedule_at(at(t), [&sim, &net, &log, i, from, to, bytes] {
        net.send(from, to, bytes, Record{&log, i, &sim});
    });
}

struct OneLink {
    Topology topo;
    NodeId a = topo.add_node("a", NodeKind::server);
    NodeId b = topo.add_node("b", NodeKind::server);
    LinkId link = topo.add_link(a, b, 1 * gbps, 10e-3);
};

}  // namespace

TEST_CASE("flow network: a lone flow takes latency plus size over bandwidth", "[models][network]") {
    OneLink n;
    Simulation sim;
    FlowNetwork net(sim, n.topo);
    Log log;
    send_at(sim, net, log, 0.0, n.a, n.b, 1e6);
    sim.run();
    // 10 ms latency + 1e6 B / 1.25e8 B/s = 0.010 + 0.008 = 0.018 s.
    CHECK(log.when[0] == at(0.018));
    CHECK(log.ok[0] == 1);
    CHECK(net.delivered() == 1);
    CHECK(net.flows_in_flight() == 0);
}

TEST_CASE("flow network: two flows started together share the link equally", "[models][network]") {
    OneLink n;
    Simulation sim;
    FlowNetwork net(sim, n.topo);
    Log log;
    send_at(sim, net, log, 0.0, n.a, n.b, 1e6);
    send_at(sim, net, log, 0.0, n.a, n.b, 1e6);
    sim.run_until(at(0.015));
    CHECK(net.link_rate(Topology::directed_link(n.link, Direction::a_to_b)) == 1 * gbps);
    CHECK(net.link_flow_count(Topology::directed_link(n.link, Direction::a_to_b)) == 2);
    sim.run();
    // Each gets 6.25e7 B/s: 0.010 + 1e6 / 6.25e7 = 0.010 + 0.016 = 0.026 s.
    CHECK(log.when[0] == at(0.026));
    CHECK(log.when[1] == at(0.026));
    CHECK(log.order == std::vector<std::size_t>{0, 1});  // same instant: send order
}

TEST_CASE("flow network: a flow joining mid-transfer slows the first one", "[models][network]") {
    OneLink n;
    Simulation sim;
    FlowNetwork net(sim, n.topo);
    Log log;
    send_at(sim, net, log, 0.000, n.a, n.b, 1e6);
    send_at(sim, net, log, 0.004, n.a, n.b, 1e6);
    sim.run();
    // Flow 0 moves alone from 0.010 to 0.014: 1.25e8 * 0.004 = 5e5 B, 5e5 left.
    // From 0.014 both get 6.25e7 B/s: flow 0 ends at 0.014 + 5e5 / 6.25e7 = 0.022.
    // Flow 1 has moved 6.25e7 * 0.008 = 5e5 B by then; alone again it needs
    // 5e5 / 1.25e8 = 0.004 s more: 0.026.
    CHECK(log.when[0] == at(0.022));
    CHECK(log.when[1] == at(0.026));
}

TEST_CASE("flow network: a zero-byte message takes exactly the path latency", "[models][network]") {
    Topology topo;
    const NodeId a = topo.add_node("a", NodeKind::server);
    const NodeId s = topo.add_node("s", NodeKind::switch_);
    const NodeId b = topo.add_node("b", NodeKind::server);
    topo.add_link(a, s, gbps, 3e-6);
    topo.add_link(s, b, 10 * mbps, 250e-6);
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    send_at(sim, net, log, 0.5, a, b, 0.0);
    sim.run();
    CHECK(log.when[0] == at(0.5) + Time::from_ns(253'000));
    CHECK(log.ok[0] == 1);
}

TEST_CASE("flow network: bursts through a latency queue as it grows arrive in send order", "[models][network]") {
    // Two bursts of 100 messages at one instant over one route: the first makes the route,
    // the queue and the slots and grows the queue (send's long way), the second reuses them
    // all (its short way). Every message, -0 bytes included, takes exactly the latency.
    OneLink n;
    Simulation sim;
    FlowNetwork net(sim, n.topo);
    Log log;
    for (const double t : {0.5, 1.0}) {
        for (int k = 0; k < 100; ++k) send_at(sim, net, log, t, n.a, n.b, k % 7 == 3 ? -0.0 : 0.0);
    }
    sim.run();
    REQUIRE(log.order.size() == 200);
    for (std::size_t i = 0; i < 200; ++i) {
        INFO("message " << i);
        CHECK(log.order[i] == i);
        CHECK(log.ok[i] == 1);
        CHECK(log.when[i] == at(i < 100 ? 0.5 : 1.0) + Time::from_ns(10'000'000));
    }
    CHECK(net.flows_in_flight() == 0);
    CHECK(net.delivered() == 200);
}

TEST_CASE("flow network: a message to oneself arrives at once", "[models][network]") {
    OneLink n;
    Simulation sim;
    FlowNetwork net(sim, n.topo);
    Log log;
    send_at(sim, net, log, 0.25, n.a, n.a, 1e9);
    sim.run();
    CHECK(log.when[0] == at(0.25));
    CHECK(log.ok[0] == 1);
}

TEST_CASE("flow network: max-min fairness on a line of three links", "[models][network]") {
    // a-b-c-d, each link 100 Mbps = 1.25e7 B/s, no latency. The long flow a->d
    // shares a-b with f1 (a->b) and c-d with f2 (c->d): progressive filling
    // gives every flow 1.25e7 / 2 = 6.25e6 B/s (50 Mbps); b-c is half used.
    Topology topo;
    const NodeId a = topo.add_node("a", NodeKind::server);
    const NodeId b = topo.add_node("b", NodeKind::switch_);
    const NodeId c = topo.add_node("c", NodeKind::switch_);
    const NodeId d = topo.add_node("d", NodeKind::server);
    topo.add_link(a, b, 100 * mbps, 0.0);
    const LinkId bc = topo.add_link(b, c, 100 * mbps, 0.0);
    topo.add_link(c, d, 100 * mbps, 0.0);
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    const FlowId along = net.send(a, d, 1.25e6, Record{&log, log.expect(), &sim});
    const FlowId f1 = net.send(a, b, 6.25e5, Record{&log, log.expect(), &sim});
    const FlowId f2 = net.send(c, d, 1.25e6, Record{&log, log.expect(), &sim});
    sim.run_until(at(0.05));
    CHECK(net.rate(along) == 6.25e6);
    CHECK(net.rate(f1) == 6.25e6);
    CHECK(net.rate(f2) == 6.25e6);
    CHECK(net.link_rate(Topology::directed_link(bc, Direction::a_to_b)) == 6.25e6);
    CHECK(net.remaining_bytes(along) == Approx(1.25e6 - 6.25e6 * 0.05));
    sim.run();
    // f1: 6.25e5 / 6.25e6 = 0.1 s. Then the long flow is still held to
    // 6.25e6 by c-d (shared with f2): both finish at 1.25e6 / 6.25e6 = 0.2 s.
    CHECK(log.when[1] == at(0.1));
    CHECK(log.when[0] == at(0.2));
    CHECK(log.when[2] == at(0.2));
}

TEST_CASE("flow network: the flow that is not bottlenecked takes the leftover", "[models][network]") {
    // x-y 10 Mbps (1.25e6 B/s), y-z 100 Mbps (1.25e7 B/s). f1 x->z is held to
    // 1.25e6 by x-y; f2 y->z gets 1.25e7 - 1.25e6 = 1.125e7 B/s (90 Mbps).
    Topology topo;
    const NodeId x = topo.add_node("x", NodeKind::server);
    const NodeId y = topo.add_node("y", NodeKind::switch_);
    const NodeId z = topo.add_node("z", NodeKind::server);
    topo.add_link(x, y, 10 * mbps, 0.0);
    topo.add_link(y, z, 100 * mbps, 0.0);
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    const FlowId f1 = net.send(x, z, 1.25e6, Record{&log, log.expect(), &sim});
    const FlowId f2 = net.send(y, z, 2.25e7, Record{&log, log.expect(), &sim});
    sim.run_until(at(0.5));
    CHECK(net.rate(f1) == 1.25e6);
    CHECK(net.rate(f2) == 1.125e7);
    sim.run();
    // f1: 1.25e6 / 1.25e6 = 1 s. f2 moved 1.125e7 by then; the other 1.125e7
    // go at the full 1.25e7 B/s: 0.9 s more, 1.9 s.
    CHECK(log.when[0] == at(1.0));
    CHECK(log.when[1] == at(1.9));
}

TEST_CASE("flow network: opposite directions of a link do not share", "[models][network]") {
    Topology topo;
    const NodeId a = topo.add_node("a", NodeKind::server);
    const NodeId b = topo.add_node("b", NodeKind::server);
    topo.add_link(a, b, 1 * gbps, 0.1 * gbps, 10e-3);
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    send_at(sim, net, log, 0.0, a, b, 1e6);
    send_at(sim, net, log, 0.0, b, a, 1e6);
    sim.run();
    // a->b alone at 1.25e8: 0.018 s. b->a alone at 1.25e7: 0.010 + 0.08 = 0.09 s.
    CHECK(log.when[0] == at(0.018));
    CHECK(log.when[1] == at(0.09));
}

TEST_CASE("flow network: link statistics count bytes and utilisation per direction", "[models][network]") {
    OneLink n;
    Simulation sim;
    FlowNetwork net(sim, n.topo);
    Log log;
    send_at(sim, net, log, 0.0, n.a, n.b, 1e6);
    const DirectedLinkId ab = Topology::directed_link(n.link, Direction::a_to_b);
    const DirectedLinkId ba = Topology::directed_link(n.link, Direction::b_to_a);
    sim.run_until(at(0.014));
    // Half-way through: 1.25e8 * 0.004 = 5e5 bytes.
    CHECK(net.link_stats(ab).bytes == Approx(5e5).epsilon(1e-12));
    sim.run_until(at(0.1));
    // 1e6 bytes over 0.1 s of a 1.25e8 B/s link: 1e6 / 1.25e7 = 0.08.
    CHECK(net.link_stats(ab).bytes == Approx(1e6).epsilon(1e-12));
    CHECK(net.link_stats(ab).utilization == Approx(0.08).epsilon(1e-12));
    CHECK(net.link_stats(ba).bytes == 0.0);
    CHECK(net.link_stats(ba).utilization == 0.0);

    net.reset_stats();
    send_at(sim, net, log, 0.1, n.a, n.b, 1e6);  // bandwidth phase 0.110 .. 0.118
    sim.run_until(at(0.114));
    // Since the reset (0.014 s): 5e5 bytes; utilisation 5e5 / (1.25e8 * 0.014).
    CHECK(net.link_stats(ab).bytes == Approx(5e5).epsilon(1e-12));
    CHECK(net.link_stats(ab).utilization == Approx(5e5 / (1.25e8 * 0.014)).epsilon(1e-12));
}

TEST_CASE("flow network: a failed link fails the messages crossing it", "[models][network]") {
    // a-b (L1) and b-c (L2), each 1 Gbps with 10 ms latency.
    Topology topo;
    const NodeId a = topo.add_node("a", NodeKind::server);
    const NodeId b = topo.add_node("b", NodeKind::switch_);
    const NodeId c = topo.add_node("c", NodeKind::server);
    topo.add_link(a, b, gbps, 10e-3);
    const LinkId l2 = topo.add_link(b, c, gbps, 10e-3);
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    send_at(sim, net, log, 0.000, a, c, 1e6);  // 0: bandwidth phase from 0.020, crosses L2
    send_at(sim, net, log, 0.000, a, b, 2e6);  // 1: bandwidth phase from 0.010
    send_at(sim, net, log, 0.015, a, c, 1e6);  // 2: still in latency phase at 0.022
    sim.schedule_at(at(0.022), [&net, l2] { net.fail_link(l2); });
    send_at(sim, net, log, 0.030, a, c, 1e6);  // 3: no route any more
    sim.run();
    CHECK(log.ok == std::vector<int>{0, 1, 0, 0});
    CHECK(log.when[0] == at(0.022));
    CHECK(log.when[2] == at(0.022));
    CHECK(log.when[3] == at(0.030));
    // Message 1 moves alone 0.010..0.020: 1.25e6 B, 7.5e5 left. Shares a-b with
    // message 0 until 0.022: 1.25e5 B more, 6.25e5 left; then alone again:
    // 6.25e5 / 1.25e8 = 0.005 s, ending at 0.027 (0.032 without the failure).
    CHECK(log.when[1] == at(0.027));
    CHECK(net.failed() == 3);
    CHECK(net.delivered() == 1);
    CHECK(log.order == std::vector<std::size_t>{0, 2, 1, 3});

    net.restore_link(l2);
    send_at(sim, net, log, 0.1, a, c, 0.0);
    sim.run();
    CHECK(log.ok[4] == 1);
    CHECK(log.when[4] == at(0.12));
}

TEST_CASE("flow network: messages over many distinct latencies, queued or failed, keep exact times", "[models][network]") {
    // A star of 24 servers whose links have latencies of 1, 2, ... 24 ms: routes
    // between them have 45 distinct latencies, more than the network keeps
    // queues for, so both the queues and the per-message events are used.
    Topology topo;
    const NodeId hub = topo.add_node("hub", NodeKind::switch_);
    std::vector<NodeId> leaf;
    std::vector<LinkId> spoke;
    for (int i = 0; i < 24; ++i) {
        leaf.push_back(topo.add_node(std::string("s") + std::to_string(i), NodeKind::server));
        spoke.push_back(topo.add_link(leaf.back(), hub, gbps, (i + 1) * 1e-3));
    }
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    struct Expect {
        std::size_t i;
        double when;
        int ok;
    };
    std::vector<Expect> expected;
    // One message every 100 ms, alone on its links: latency + 1e5 B / 1.25e8 B/s.
    double t = 0.0;
    for (int a = 0; a < 24; a += 1) {
        for (int b = (a * 7) % 24; b < 24; b += 5) {
            if (a == b) continue;
            expected.push_back({log.when.size(), t + (a + 1 + b + 1) * 1e-3 + 0.0008, 1});
            send_at(sim, net, log, t, leaf[a], leaf[b], 1e5);
            t += 0.1;
        }
    }
    // Then five messages in flight over spoke 3 when it fails (all still in their
    // latency phase), and five sent just after, which reuse the failed messages'
    // slots while the failed ones are still queued; the later ones take another
    // path class (leaf 5 to 6) and must arrive on time.
    const double fail_at = t + 0.010;
    for (int k = 0; k < 5; ++k) {
        expected.push_back({log.when.size(), fail_at, 0});
        send_at(sim, net, log, t + k * 1e-3, leaf[3], leaf[9 + k], 1e5);
    }
    sim.schedule_at(at(fail_at), [&net, &spoke] { net.fail_link(spoke[3]); });
    for (int k = 0; k < 5; ++k) {
        const double sent = fail_at + 1e-4 + k * 1e-3;
        expected.push_back({log.when.size(), sent + (6 + 7) * 1e-3 + 0.0008, 1});
        send_at(sim, net, log, sent, leaf[5], leaf[6], 1e5);
    }
    sim.run();
    for (const Expect& e : expected) {
        INFO("message " << e.i);
        CHECK(log.ok[e.i] == e.ok);
        CHECK(std::abs((log.when[e.i] - at(e.when)).ns()) <= 1);
    }
    CHECK(net.failed() == 5);
    CHECK(net.flows_in_flight() == 0);
    CHECK(topo.latency_class_count() > 16);
}

TEST_CASE("flow network: callbacks may send again and flow slots are reused", "[models][network]") {
    OneLink n;
    Simulation sim;
    FlowNetwork net(sim, n.topo);
    int round_trips = 0;
    struct PingPong {
        FlowNetwork* net;
        int* count;
        NodeId from;
        NodeId to;
        void operator()(bool ok) const {
            if (!ok || ++*count == 10) return;
            net->send(to, from, 1.25e6, PingPong{net, count, to, from});
        }
    };
    const FlowId first = net.send(n.a, n.b, 1.25e6, PingPong{&net, &round_trips, n.a, n.b});
    sim.run();
    // Each leg: 10 ms + 1.25e6 / 1.25e8 = 20 ms; ten legs, one after another.
    CHECK(round_trips == 10);
    CHECK(sim.now() == at(0.2));
    CHECK_FALSE(net.in_flight(first));
    CHECK_THROWS_AS(net.rate(first), s2sim::Error);
}

TEST_CASE("flow network: callbacks owning resources or given as FlowCallback run once and are destroyed once",
          "[models][network]") {
    OneLink n;
    Simulation sim;
    auto token = std::make_shared<int>(0);  // counts the owners: each pending callback holds one
    std::vector<int> delivered;
    {
        FlowNetwork net(sim, n.topo);
        // More messages than slots at first: the slots' vector grows, moving the pending captures.
        for (int i = 0; i < 40; ++i) {
            net.send(n.a, n.b, 1e3 * (i + 1), [token, &delivered, i](bool ok) {
                if (ok) delivered.push_back(i + 0 * *token);
            });
        }
        for (int i = 40; i < 50; ++i) {
            FlowCallback given([token, &delivered, i](bool ok) {
                if (ok) delivered.push_back(i + 0 * *token);
            });
            net.send(n.a, n.b, 1e3 * (i + 1), std::move(given));
        }
        CHECK(token.use_count() == 51);
        sim.run_until(at(0.010 + 30e3 / gbps * 40));  // some delivered, the rest still moving
        const std::size_t done = delivered.size();
        CHECK(done > 0);
        CHECK(done < 50);
        CHECK(token.use_count() == static_cast<long>(51 - done));  // a run callback is gone
    }
    // The network went away with messages in flight: their callbacks are destroyed, not run.
    CHECK(token.use_count() == 1);
    for (std::size_t k = 0; k < delivered.size(); ++k) CHECK(delivered[k] == static_cast<int>(k));
}

TEST_CASE("flow network: routes longer than six links share and reuse slots exactly", "[models][network]") {
    // A line of ten nodes, nine links of 1 Gbps and 1 ms each. A message keeps up to six
    // links inline and more on the heap, which its slot keeps when reused.
    Topology topo;
    std::vector<NodeId> line;
    for (int i = 0; i < 10; ++i) line.push_back(topo.add_node(std::string("n") + std::to_string(i), NodeKind::server));
    std::vector<LinkId> links;
    for (int i = 0; i + 1 < 10; ++i) links.push_back(topo.add_link(line[i], line[i + 1], 1 * gbps, 1e-3));

    // Two messages of 1.25e6 B sent at 0: when each is delivered.
    const auto deliveries = [&topo](NodeId a_from, NodeId a_to, NodeId b_from, NodeId b_to) {
        Simulation sim;
        FlowNetwork net(sim, topo);
        Log log;
        send_at(sim, net, log, 0.0, a_from, a_to, 1.25e6);
        send_at(sim, net, log, 0.0, b_from, b_to, 1.25e6);
        sim.run();
        return log.when;
    };
    SECTION("two messages over the whole line share every link") {
        const std::vector<Time> when = deliveries(line[0], line[9], line[0], line[9]);
        // 9 ms of latency, then 1.25e6 B at half of 1.25e8 B/s: 20 ms.
        CHECK(when[0] == at(0.029));
        CHECK(when[1] == at(0.029));
    }
    SECTION("a long message slows a short one on its seventh link") {
        const std::vector<Time> when = deliveries(line[0], line[9], line[6], line[7]);
        // The short one moves alone from 1 ms to 9 ms (1e6 B), then both at 6.25e7 B/s:
        // it ends 4 ms later; the long one has moved 2.5e5 B by then, and the rest
        // (1e6 B) alone takes 8 ms.
        CHECK(when[1] == at(0.013));
        CHECK(when[0] == at(0.021));
    }
    SECTION("a slot reused by long and short routes in turn") {
        Simulation sim;
        FlowNetwork net(sim, topo);
        int legs = 0;
        struct Leg {
            FlowNetwork* net;
            const std::vector<NodeId>* line;
            int* legs;
            void operator()(bool ok) const {
                if (!ok || ++*legs == 10) return;
                const NodeId to = *legs % 2 == 0 ? (*line)[9] : (*line)[1];  // nine links, then one
                net->send((*line)[0], to, 1.25e6, Leg{net, line, legs});
            }
        };
        net.send(line[0], line[9], 1.25e6, Leg{&net, &line, &legs});
        sim.run();
        // Five legs over nine links (9 + 10 ms) and five over one (1 + 10 ms), one after another.
        CHECK(legs == 10);
        CHECK(sim.now() == at(0.150));
        CHECK(net.flows_in_flight() == 0);
        const LinkStats first = net.link_stats(Topology::directed_link(links[0], Direction::a_to_b));
        CHECK(first.bytes == Approx(10 * 1.25e6).epsilon(1e-12));
    }
}

TEST_CASE("flow network: bad sizes and nodes are errors", "[models][network][errors]") {
    OneLink n;
    Simulation sim;
    FlowNetwork net(sim, n.topo);
    CHECK_THROWS_WITH(net.send(n.a, n.b, -1.0), Catch::Matchers::Contains("invalid message size -1 bytes from 'a' to 'b'"));
    CHECK_THROWS_AS(net.send(n.a, 9, 1.0), s2sim::Error);
    CHECK(net.flows_in_flight() == 0);
}

TEST_CASE("flow network: delivering in place changes no time, order or byte count", "[models][network]") {
    // The same random traffic twice: alone, where most short messages find an
    // empty path and nothing else due before they finish (delivered in place,
    // without a completion event), and with a no-op event every 100 ns, which
    // leaves no room for that. Every delivery time, the order of the
    // callbacks and every link's bytes must be equal to the bit.
    struct Outcome {
        Log log;
        std::vector<double> bytes;
        std::uint64_t in_place = 0;
    };
    const auto run = [](bool ticker) {
        Topology topo;
        std::vector<NodeId> servers;
        for (int i = 0; i < 8; ++i) servers.push_back(topo.add_node(std::string("s") + std::to_string(i), NodeKind::server));
        const NodeId tor0 = topo.add_node("tor0", NodeKind::switch_);
        const NodeId tor1 = topo.add_node("tor1", NodeKind::switch_);
        for (int i = 0; i < 8; ++i) topo.add_link(servers[i], i < 4 ? tor0 : tor1, (1 + i % 3) * gbps, 2e-6);
        topo.add_link(tor0, tor1, 2 * gbps, 5e-6);
        Simulation sim;
        FlowNetwork net(sim, topo);
        Outcome out;
        pcg64 rng(2024);
        for (int k = 0; k < 600; ++k) {
            const NodeId from = servers[rng(8U)];
            const NodeId to = servers[rng(8U)];
            const double bytes = static_cast<double>(rng(40'000));
            send_at(sim, net, out.log, static_cast<double>(rng(100'000'000)) * 1e-9, from, to, bytes);
        }
        // Declared here, not in the `if`: its events run after that block ends.
        std::function<void()> tick = [&] {
            if (sim.now() < at(0.11)) sim.schedule_in(Time::from_ns(100), [&] { tick(); });
        };
        if (ticker) sim.schedule_at(Time::zero(), [&] { tick(); });
        sim.run();
        for (std::size_t d = 0; d < topo.directed_link_count(); ++d) out.bytes.push_back(net.link_stats(d).bytes);
        out.in_place = net.delivered_in_place();
        CHECK(net.delivered() == 600);
        return out;
    };
    const Outcome alone = run(false);
    const Outcome ticked = run(true);
    INFO("in place: " << alone.in_place << " alone, " << ticked.in_place << " with the ticker");
    CHECK(alone.in_place > 100);
    CHECK(ticked.in_place < 5);
    CHECK(alone.log.when == ticked.log.when);
    CHECK(alone.log.order == ticked.log.order);
    CHECK(alone.bytes == ticked.bytes);
}

TEST_CASE("flow network: a delivery in place leaves the next completion where the event would", "[models][network]") {
    // Message A (a to b) is due at 1.001 ms. At 0.5 ms an event E is scheduled
    // for that same instant. Message B (c to d, another link) is delivered in
    // place at 0.611 ms. Through a completion event, the network's timer would
    // then have been armed again for A, after E: so E runs first.
    Topology topo;
    const NodeId a = topo.add_node("a", NodeKind::server);
    const NodeId b = topo.add_node("b", NodeKind::server);
    const NodeId c = topo.add_node("c", NodeKind::server);
    const NodeId d = topo.add_node("d", NodeKind::server);
    topo.add_link(a, b, 1 * gbps, 1e-6);
    topo.add_link(c, d, 1 * gbps, 1e-6);
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    send_at(sim, net, log, 0.0, a, b, 1.25e5);  // 1 us + 1 ms
    const std::size_t e = log.expect();
    sim.schedule_at(at(0.5e-3), [&] { sim.schedule_at(Time::from_ns(1'001'000), [&, e] { Record{&log, e, &sim}(true); }); });
    send_at(sim, net, log, 0.6e-3, c, d, 1250.0);  // 1 us + 10 us
    sim.run();
    CHECK(net.delivered_in_place() == 1);
    CHECK(log.when == std::vector<Time>{Time::from_ns(1'001'000), Time::from_ns(1'001'000), Time::from_ns(611'000)});
    CHECK(log.order == std::vector<std::size_t>{2, 1, 0});
}

TEST_CASE("flow network: random traffic stays max-min fair and conserves bytes", "[models][network]") {
    // Racks of four servers under one spine; 300 messages with random
    // ends, sizes and start times (fixed seed). Two racks keep each
    // reallocation small (the network scans for the smallest share); six make
    // components of more links than that (it keeps a heap). At sampled instants every
    // message in its bandwidth phase must have a bottleneck: a saturated link
    // on its path where no other message gets more (the definition of a
    // max-min fair allocation), and no link may carry more than its capacity.
    // At the end each directed link must have carried exactly the bytes of
    // the messages routed over it.
    const int racks = GENERATE(2, 6);
    const int n = 4 * racks;
    Topology topo;
    std::vector<NodeId> servers;
    // std::string("s") +, not "s" +: GCC 12 warns falsely (-Wrestrict) on a literal plus a temporary.
    for (int i = 0; i < n; ++i) servers.push_back(topo.add_node(std::string("s") + std::to_string(i), NodeKind::server));
    std::vector<NodeId> tors;
    for (int r = 0; r < racks; ++r) tors.push_back(topo.add_node(std::string("tor") + std::to_string(r), NodeKind::switch_));
    const NodeId spine = topo.add_node("spine", NodeKind::switch_);
    for (int i = 0; i < n; ++i) topo.add_link(servers[i], tors[i / 4], (1 + i % 3) * gbps, 2e-6);
    topo.add_link(tors[0], spine, 2 * gbps, 0.5 * gbps, 5e-6);
    for (int r = 1; r < racks; ++r) topo.add_link(tors[r], spine, (2 + r % 2) * gbps, 5e-6);

    Simulation sim;
    FlowNetwork net(sim, topo);
    pcg64 rng(12345);
    struct Sent {
        NodeId from, to;
        double bytes;
        FlowId id;
    };
    std::vector<Sent> sent;
    sent.reserve(300);
    for (int k = 0; k < 300; ++k) {
        const NodeId from = servers[rng(static_cast<std::uint32_t>(n))];
        const NodeId to = servers[rng(static_cast<std::uint32_t>(n))];
        const double bytes = static_cast<double>(rng(2'000'000));
        const Time when = Time::from_ns(static_cast<std::int64_t>(rng(50'000'000)));
        sim.schedule_at(when, [&net, &sent, from, to, bytes] {
            sent.push_back(Sent{from, to, bytes, net.send(from, to, bytes)});
        });
    }
    int checked = 0;
    for (int k = 1; k <= 200; ++k) {
        sim.schedule_at(Time::from_ns(k * 250'000 + 7), [&] {
            std::vector<double> sum(topo.directed_link_count(), 0.0);
            std::vector<double> top(topo.directed_link_count(), 0.0);
            for (const auto& s : sent) {
                if (!net.in_flight(s.id) || net.rate(s.id) == 0.0) continue;
                for (DirectedLinkId d : topo.route(s.from, s.to).links) {
                    sum[d] += net.rate(s.id);
                    top[d] = std::max(top[d], net.rate(s.id));
                }
            }
            for (std::size_t d = 0; d < sum.size(); ++d) {
                REQUIRE(sum[d] <= topo.capacity(d) * (1 + 1e-9));
                REQUIRE(sum[d] == Approx(net.link_rate(d)).epsilon(1e-9).margin(1e-3));
            }
            for (const auto& s : sent) {
                if (!net.in_flight(s.id) || net.rate(s.id) == 0.0) continue;
                const double r = net.rate(s.id);
                bool bottleneck = false;
                for (DirectedLinkId d : topo.route(s.from, s.to).links) {
                    if (sum[d] >= topo.capacity(d) * (1 - 1e-9) && r >= top[d] * (1 - 1e-9)) bottleneck = true;
                }
                REQUIRE(bottleneck);
                ++checked;
            }
        });
    }
    sim.run();
    CHECK(checked > 500);  // the samples did see many messages in flight
    CHECK(net.delivered() == 300);
    CHECK(net.flows_in_flight() == 0);
    // Completions are rounded to the nearest nanosecond, so each message may
    // be counted up to rate * 0.5 ns too much or too little on its links:
    // |error| <= messages(d) * capacity(d) * 0.5e-9 bytes.
    std::vector<double> expected(topo.directed_link_count(), 0.0);
    std::vector<int> crossing(topo.directed_link_count(), 0);
    for (const auto& s : sent) {
        for (DirectedLinkId d : topo.route(s.from, s.to).links) {
            expected[d] += s.bytes;
            ++crossing[d];
        }
    }
    for (std::size_t d = 0; d < expected.size(); ++d) {
        const double bound = crossing[d] * topo.capacity(d) * 0.5e-9 + 1e-6;
        CHECK(std::abs(net.link_stats(d).bytes - expected[d]) <= bound);
    }
}

namespace {

// A plain fluid max-min reference: progressive filling from scratch at every
// change, times in double seconds, no shortcut and no rounding to nanoseconds.
struct Reference {
    struct Message {
        double entry = 0.0;  // start of the bandwidth phase, s
        double sent = 0.0;
        double bytes = 0.0;
        std::vector<DirectedLinkId> links;
        double done = -1.0;  // when delivered or failed, s
        bool ok = false;
    };
    struct Change {
        double at = 0.0;
        LinkId link = 0;
        bool fail = false;  // else a capacity change
        double a_to_b = 0.0, b_to_a = 0.0;
    };
    std::vector<Message> messages;
    std::vector<Change> changes;
    std::vector<double> capacity;  // by directed link

    void run() {
        std::stable_sort(changes.begin(), changes.end(), [](const Change& x, const Change& y) { return x.at < y.at; });
        std::vector<std::size_t> order(messages.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t x, std::size_t y) { return messages[x].entry < messages[y].entry; });
        std::vector<std::size_t> active;
        std::vector<double> remaining(messages.size()), rate(messages.size());
        for (std::size_t i = 0; i < messages.size(); ++i) remaining[i] = messages[i].bytes;
        std::size_t next_entry = 0, next_change = 0;
        double now = 0.0;
        const auto crosses = [](const Message& m, LinkId link) {
            for (DirectedLinkId d : m.links) {
                if (d / 2 == link) return true;
            }
            return false;
        };
        while (true) {
            // Progressive filling over the active messages.
            std::vector<double> cap_left = capacity;
            std::vector<int> unfrozen(capacity.size(), 0);
            std::vector<bool> fixed(messages.size(), false);
            for (std::size_t i : active) {
                for (DirectedLinkId d : messages[i].links) ++unfrozen[d];
            }
            for (std::size_t left = active.size(); left > 0;) {
                std::size_t best = capacity.size();
                for (std::size_t d = 0; d < capacity.size(); ++d) {
                    if (unfrozen[d] > 0 && (best == capacity.size() ||
                                            cap_left[d] / unfrozen[d] < cap_left[best] / unfrozen[best])) {
                        best = d;
                    }
                }
                const double share = cap_left[best] / unfrozen[best];
                for (std::size_t i : active) {
                    if (fixed[i] || !crosses(messages[i], static_cast<LinkId>(best / 2))) continue;
                    bool on_best = false;
                    for (DirectedLinkId d : messages[i].links) on_best |= d == best;
                    if (!on_best) continue;
                    fixed[i] = true;
                    rate[i] = share;
                    --left;
                    for (DirectedLinkId d : messages[i].links) {
                        cap_left[d] -= share;
                        --unfrozen[d];
                    }
                }
            }
            double next_done = std::numeric_limits<double>::infinity();
            for (std::size_t i : active) next_done = std::min(next_done, now + remaining[i] / rate[i]);
            const double entry_at = next_entry < order.size() ? messages[order[next_entry]].entry
                                                              : std::numeric_limits<double>::infinity();
            const double change_at =
                next_change < changes.size() ? changes[next_change].at : std::numeric_limits<double>::infinity();
            const double next = std::min({next_done, entry_at, change_at});
            if (std::isinf(next)) break;
            std::vector<std::size_t> still;
            for (std::size_t i : active) {
                const double finish = now + remaining[i] / rate[i];
                if (finish <= next_done * (1 + 1e-13) && next_done <= next) {
                    messages[i].done = finish;
                    messages[i].ok = true;
                } else {
                    remaining[i] -= rate[i] * (next - now);
                    still.push_back(i);
                }
            }
            active = still;
            now = next;
            if (next_done <= next) continue;
            if (entry_at <= change_at) {
                const std::size_t i = order[next_entry++];
                if (messages[i].done < 0.0) active.push_back(i);
                continue;
            }
            const Change& c = changes[next_change++];
            if (c.fail) {
                for (Message& m : messages) {
                    if (m.done < 0.0 && m.sent <= now && crosses(m, c.link)) {
                        m.done = now;
                        m.ok = false;
                    }
                }
                std::erase_if(active, [&](std::size_t i) { return messages[i].done >= 0.0; });
            } else {
                capacity[2 * c.link] = c.a_to_b;
                capacity[2 * c.link + 1] = c.b_to_a;
            }
        }
    }
};

}  // namespace

TEST_CASE("flow network: completions match a plain progressive-filling solver", "[models][network]") {
    // Random two-pod trees (racks of servers under a switch per pod, one core
    // link between the pods), a few hundred messages of up to 400 MB sent over
    // 100 s, most across the core, so that hundreds share it and form
    // processor-sharing groups; a few links are slowed, restored or failed on
    // the way. Every completion must match the reference to 1e-9 relative
    // (the network rounds each event to the nanosecond; completions take
    // tens to hundreds of seconds), and failures must hit the same messages.
    const std::uint64_t seed = GENERATE(range(1, 9));
    const bool grouped = GENERATE(true, false);
    pcg64 rng(seed);
    const auto uniform = [&rng](double lo, double hi) {
        return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
    };
    Topology topo;
    std::vector<NodeId> servers;
    std::vector<int> pod_of;
    const int racks = 2 + static_cast<int>(rng(5));
    const NodeId pod_switch[2] = {topo.add_node("pod0", NodeKind::switch_), topo.add_node("pod1", NodeKind::switch_)};
    for (int r = 0; r < racks; ++r) {
        const int pod = r % 2;
        const NodeId tor = topo.add_node(std::string("tor") + std::to_string(r), NodeKind::switch_);
        topo.add_link(tor, pod_switch[pod], uniform(20, 80) * mbps, uniform(20, 80) * mbps, 5e-6);
        const int per_rack = 2 + static_cast<int>(rng(5));
        for (int i = 0; i < per_rack; ++i) {
            servers.push_back(topo.add_node(std::string("s") + std::to_string(servers.size()), NodeKind::server));
            pod_of.push_back(pod);
            topo.add_link(servers.back(), tor, uniform(5, 40) * mbps, uniform(5, 40) * mbps, 2e-6);
        }
    }
    const LinkId core = topo.add_link(pod_switch[0], pod_switch[1], uniform(2, 10) * mbps, uniform(2, 10) * mbps, 1e-3);
    const std::size_t link_count = topo.directed_link_count() / 2;

    Simulation sim;
    FlowNetwork net(sim, topo);
    if (!grouped) net.set_min_group_size(SIZE_MAX);
    Reference ref;
    for (std::size_t d = 0; d < topo.directed_link_count(); ++d) ref.capacity.push_back(topo.capacity(d));
    Log log;
    const int n = 300 + static_cast<int>(rng(200));
    ref.messages.resize(static_cast<std::size_t>(n));
    std::vector<std::function<void()>> sends(static_cast<std::size_t>(n));  // events capture a pointer to theirs
    std::vector<FlowId> ids(static_cast<std::size_t>(n));
    // At sampled instants every message in its bandwidth phase must have a
    // bottleneck: a full link of its path where nobody gets more.
    int samples = 0;
    std::function<void()> sample = [&] {
        std::vector<double> sum(topo.directed_link_count(), 0.0);
        std::vector<double> top(topo.directed_link_count(), 0.0);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (!net.in_flight(ids[i]) || net.rate(ids[i]) == 0.0) continue;
            for (DirectedLinkId d : ref.messages[i].links) {
                sum[d] += net.rate(ids[i]);
                top[d] = std::max(top[d], net.rate(ids[i]));
            }
        }
        for (std::size_t d = 0; d < sum.size(); ++d) {
            if (sum[d] > topo.capacity(d) * (1 + 1e-9) ||
                std::abs(sum[d] - net.link_rate(d)) > 1e-9 * topo.capacity(d)) {
                INFO("at " << sim.now().seconds() << " link " << d);
                REQUIRE(sum[d] <= topo.capacity(d) * (1 + 1e-9));
                REQUIRE(sum[d] == Approx(net.link_rate(d)).epsilon(1e-9));
            }
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (!net.in_flight(ids[i]) || net.rate(ids[i]) == 0.0) continue;
            const double r = net.rate(ids[i]);
            bool bottleneck = false;
            for (DirectedLinkId d : ref.messages[i].links) {
                if (sum[d] >= topo.capacity(d) * (1 - 1e-9) && r >= top[d] * (1 - 1e-9)) bottleneck = true;
            }
            if (bottleneck) continue;
            INFO("at " << sim.now().seconds() << " message " << i);
            REQUIRE(bottleneck);
        }
        ++samples;
        if (samples < 400) sim.schedule_in(Time::from_seconds(2.999), [&sample] { sample(); });
    };
    sim.schedule_at(at(0.5), [&sample] { sample(); });
    for (int k = 0; k < n; ++k) {
        const auto from = static_cast<std::uint32_t>(rng(static_cast<std::uint32_t>(servers.size())));
        auto to = static_cast<std::uint32_t>(rng(static_cast<std::uint32_t>(servers.size() - 1)));
        if (to >= from) ++to;
        if (rng(5) != 0 && pod_of[from] == pod_of[to]) {  // mostly across the core
            for (std::uint32_t t = 0; t < servers.size(); ++t) {
                if (pod_of[t] != pod_of[from]) to = t;
            }
        }
        const double bytes = std::floor(uniform(1e5, 4e8));
        const Time when = Time::from_ns(static_cast<std::int64_t>(rng(100'000'000'000ULL)));
        const std::size_t i = log.expect();
        ref.messages[i].bytes = bytes;
        const auto send = [&, i](NodeId from, NodeId to) {
            Reference::Message& m = ref.messages[i];
            const double bytes = m.bytes;
            m.sent = sim.now().seconds();
            if (const Route* route = topo.find_route(from, to)) {
                m.links.assign(route->links.begin(), route->links.end());
                m.entry = (sim.now() + route->latency).seconds();
            } else {
                m.entry = std::numeric_limits<double>::infinity();  // fails at once
                m.done = m.sent;
            }
            ids[i] = net.send(from, to, bytes, Record{&log, i, &sim});
        };
        sends[i] = [send, a = servers[from], b = servers[to]] { send(a, b); };
        sim.schedule_at(when, [handler = &sends[i]] { (*handler)(); });
    }
    // Slow the core (dissolving its group) and restore it; slow and fail a few other links.
    const auto change_at = [&](double t, LinkId link, bool fail, double ab, double ba) {
        ref.changes.push_back(Reference::Change{t, link, fail, ab, ba});
        sim.schedule_at(at(t), [&net, link, fail, ab, ba] {
            if (fail) {
                net.fail_link(link);
            } else {
                net.set_link_capacity(link, ab, ba);
            }
        });
    };
    const double core_ab = topo.capacity(Topology::directed_link(core, Direction::a_to_b));
    const double core_ba = topo.capacity(Topology::directed_link(core, Direction::b_to_a));
    change_at(40.0 + 1e-4 * static_cast<double>(seed), core, false, core_ab / 3, core_ba / 5);
    change_at(70.0 + 1e-4 * static_cast<double>(seed), core, false, core_ab, core_ba);
    const auto other = static_cast<LinkId>(rng(static_cast<std::uint32_t>(link_count - 1)));
    change_at(55.3, other, false, uniform(1, 40) * mbps, uniform(1, 40) * mbps);
    if (seed % 2 == 0) change_at(90.7, static_cast<LinkId>(rng(static_cast<std::uint32_t>(link_count))), true, 0, 0);
    sim.run();

    ref.run();
    int compared = 0;
    for (std::size_t i = 0; i < ref.messages.size(); ++i) {
        const Reference::Message& m = ref.messages[i];
        INFO("seed " << seed << (grouped ? ", grouped" : ", not grouped") << ": message " << i << " of " << m.bytes << " bytes, sent at " << m.sent);
        REQUIRE(log.ok[i] == (m.ok ? 1 : 0));
        const double got = log.when[i].seconds();
        CHECK(std::abs(got - m.done) <= 1e-9 * m.done);
        ++compared;
    }
    CHECK(compared == n);
    CHECK(net.flows_in_flight() == 0);
    CHECK(net.flows_in_bandwidth_phase() == 0);
    if (seed % 2 == 1) {
        // No failure: every link carried exactly the bytes of the messages routed
        // over it (up to each completion's rounding to the nanosecond), members
        // of groups counted through their group's clock.
        std::vector<double> expected(topo.directed_link_count(), 0.0);
        std::vector<int> crossing(topo.directed_link_count(), 0);
        for (const Reference::Message& m : ref.messages) {
            for (DirectedLinkId d : m.links) {
                expected[d] += m.bytes;
                ++crossing[d];
            }
        }
        for (std::size_t d = 0; d < expected.size(); ++d) {
            const double bound = crossing[d] * 80 * mbps * 0.5e-9 + 1e-9 * expected[d] + 1e-6;  // rates <= 80 Mbps
            CHECK(std::abs(net.link_stats(d).bytes - expected[d]) <= bound);
        }
    }
    CHECK((net.groups_formed() > 0) == grouped);  // the fast path was exercised
    CHECK((net.groups_dissolved() > 0) == grouped);
}

TEST_CASE("flow network: forty messages on one link are processor sharing", "[models][network]") {
    // 1 Gbps = 1.25e8 B/s, 10 ms. Message k (1..40) of k * 1e5 bytes, all sent at 0:
    // from 10 ms they share the link equally, and between departures j-1 and j the
    // 41 - j left each move 1e5 bytes, which takes (41 - j) * 1e5 / 1.25e8 =
    // (41 - j) * 0.8 ms. Message k ends at 10 ms + 0.8 ms * sum_{j<=k} (41 - j).
    // From the 32nd entry on they form a group with one virtual clock.
    OneLink n;
    Simulation sim;
    FlowNetwork net(sim, n.topo);
    Log log;
    for (int k = 1; k <= 40; ++k) send_at(sim, net, log, 0.0, n.a, n.b, k * 1e5);
    const DirectedLinkId d = Topology::directed_link(n.link, Direction::a_to_b);
    sim.schedule_at(at(0.0105), [&] {
        CHECK(net.link_flow_count(d) == 40);
        CHECK(net.flows_in_bandwidth_phase() == 40);
        CHECK(net.link_rate(d) == Approx(1 * gbps).epsilon(1e-12));
        CHECK(net.groups_formed() == 1);
    });
    sim.run();
    for (int k = 1; k <= 40; ++k) {
        const std::int64_t steps = 41LL * k - static_cast<std::int64_t>(k) * (k + 1) / 2;
        const Time expected = Time::from_ns(10'000'000 + 800'000 * steps);
        INFO("message " << k);
        CHECK(std::llabs((log.when[k - 1] - expected).ns()) <= 1);
    }
    CHECK(log.order.front() == 0);
    CHECK(log.order.back() == 39);
    // Each message's bytes went over the link once.
    CHECK(net.link_stats(d).bytes == Approx(820 * 1e5).epsilon(1e-12));
    CHECK(net.flows_in_flight() == 0);
}

TEST_CASE("flow network: jitter adds an independent delay to each message, which may overtake", "[models][network]") {
    // 2 ms of latency plus exp(1 ms) of jitter: delays are 2 ms + Exp(mean 1 ms), so their
    // mean is 3 ms (sd 1 ms) and P(delay > 3 ms) = e^-1; messages sent 0.1 ms apart overtake.
    Simulation sim;
    Topology topology;
    const NodeId a = topology.add_node("a", NodeKind::server);
    const NodeId b = topology.add_node("b", NodeKind::server);
    const LinkId link = topology.add_link(a, b, 1e12, 0.002);
    FlowNetwork net(sim, topology);
    net.set_jitter(Topology::directed_link(link, Direction::a_to_b), s2sim::make_exponential(0.001),
                   s2sim::RandomStream(1, "jitter"));
    constexpr int n = 20000;
    std::vector<double> delay(n, -1);
    std::vector<int> order;
    struct Log {
        Simulation* sim;
        std::vector<double>* delay;
        std::vector<int>* order;
    } log{&sim, &delay, &order};
    for (int i = 0; i < n; ++i) {
        sim.schedule_at(Time::from_seconds(i * 1e-4), [&net, a, b, i, log = &log] {
            const Time sent = log->sim->now();
            net.send(a, b, 0.0, [i, sent, log](bool ok) {
                CHECK(ok);
                (*log->delay)[static_cast<std::size_t>(i)] = (log->sim->now() - sent).seconds();
                log->order->push_back(i);
            });
        });
    }
    // The other direction has no jitter: exactly its latency.
    double back = -1;
    sim.schedule_at(Time::zero(), [&] { net.send(b, a, 0.0, [&](bool) { back = sim.now().seconds(); }); });
    sim.run();
    CHECK(back == Approx(0.002).margin(1e-12));
    double sum = 0;
    int above = 0;
    for (const double d : delay) {
        REQUIRE(d >= 0.002 - 1e-12);
        sum += d;
        if (d > 0.003) ++above;
    }
    CHECK(sum / n == Approx(0.003).margin(4 * 0.001 / std::sqrt(n)));
    const double p = std::exp(-1.0);
    CHECK(static_cast<double>(above) / n == Approx(p).margin(4 * std::sqrt(p * (1 - p) / n)));
    int overtaken = 0;
    for (std::size_t i = 1; i < order.size(); ++i) overtaken += order[i] < order[i - 1] ? 1 : 0;
    CHECK(overtaken > n / 10);
}

TEST_CASE("flow network: messages keep the route they were sent on across a failure and a restore",
          "[models][network]") {
    // a - b - d (1 ms a link) and a - c - d (5 ms a link), 1 Gbps: messages of 1.25e5 B
    // take 1 ms to move. Routes are looked up per message from a cache that a failure and
    // a restore must refresh, while messages already sent keep the route they had.
    Topology topo;
    const NodeId a = topo.add_node("a", NodeKind::server);
    const NodeId b = topo.add_node("b", NodeKind::switch_);
    const NodeId c = topo.add_node("c", NodeKind::switch_);
    const NodeId d = topo.add_node("d", NodeKind::server);
    const LinkId ab = topo.add_link(a, b, gbps, 1e-3);
    const LinkId bd = topo.add_link(b, d, gbps, 1e-3);
    const LinkId ac = topo.add_link(a, c, gbps, 5e-3);
    topo.add_link(c, d, gbps, 5e-3);
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    send_at(sim, net, log, 0.000, a, d, 1.25e5);  // 0: via b, at 0.003
    sim.schedule_at(at(0.010), [&net, bd] { net.fail_link(bd); });
    send_at(sim, net, log, 0.020, a, d, 1.25e5);  // 1: via c, at 0.031 (restored meanwhile)
    send_at(sim, net, log, 0.024, a, d, 1.25e5);  // 2: via c, fails at 0.0315 with a - c
    sim.schedule_at(at(0.025), [&net, bd] { net.restore_link(bd); });
    send_at(sim, net, log, 0.026, a, d, 1.25e5);  // 3: via b again, at 0.029
    sim.schedule_at(at(0.0315), [&net, ac] { net.fail_link(ac); });
    send_at(sim, net, log, 0.040, a, d, 1.25e5);  // 4: via b, at 0.043
    sim.run();
    CHECK(log.ok == std::vector<int>{1, 1, 0, 1, 1});
    CHECK(log.when[0] == at(0.003));
    CHECK(log.when[1] == at(0.031));
    CHECK(log.when[2] == at(0.0315));
    CHECK(log.when[3] == at(0.029));
    CHECK(log.when[4] == at(0.043));
    const auto forward = [](LinkId l) { return Topology::directed_link(l, Direction::a_to_b); };
    CHECK(net.link_stats(forward(ab)).bytes == Approx(3 * 1.25e5).epsilon(1e-12));
    CHECK(net.link_stats(forward(ac)).bytes == Approx(1.25e5).epsilon(1e-12));
    CHECK(net.flows_in_flight() == 0);
}

TEST_CASE("flow network: a callback that fails a link is followed by the failed messages' callbacks",
          "[models][network]") {
    // a - b - c, 1 Gbps, 10 ms a link. Message 0 (a to b) is delivered in place at
    // 0.0108; its callback fails b - c while messages 1 and 2 (a to c) wait out their
    // latency: theirs run next, in send order, at the same instant, and message 3, sent
    // by message 2's callback, is delivered.
    Topology topo;
    const NodeId a = topo.add_node("a", NodeKind::server);
    const NodeId b = topo.add_node("b", NodeKind::switch_);
    const NodeId c = topo.add_node("c", NodeKind::server);
    topo.add_link(a, b, gbps, 10e-3);
    const LinkId bc = topo.add_link(b, c, gbps, 10e-3);
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    for (int i = 0; i < 4; ++i) log.expect();
    net.send(a, c, 1e5, Record{&log, 1, &sim});
    net.send(a, b, 1e5, [&log, &sim, &net, bc](bool ok) {
        Record{&log, 0, &sim}(ok);
        net.fail_link(bc);
        CHECK(log.order == std::vector<std::size_t>{0});  // the others run after this callback
    });
    net.send(a, c, 1e5, [&log, &sim, &net, a, b](bool ok) {
        Record{&log, 2, &sim}(ok);
        net.send(a, b, 1e5, Record{&log, 3, &sim});
    });
    sim.run();
    CHECK(net.delivered_in_place() == 2);
    CHECK(log.order == std::vector<std::size_t>{0, 1, 2, 3});
    CHECK(log.ok == std::vector<int>{1, 0, 0, 1});
    CHECK(log.when[0] == at(0.0108));
    CHECK(log.when[1] == at(0.0108));
    CHECK(log.when[2] == at(0.0108));
    CHECK(log.when[3] == at(0.0216));
    CHECK(net.flows_in_flight() == 0);
}

TEST_CASE("flow network: a message crosses exactly its route's links, for routes of 0 to 9 links",
          "[models][network]") {
    // A line of ten nodes, 1 Gbps and 1 ms a link. One message from node 0 to each node
    // k, one at a time: it takes k ms + 1e5 B / 1.25e8 B/s, and link i carries the
    // messages to the nodes past it. Routes of up to six links are copied into the
    // message link by link without a loop, longer ones with one.
    Topology topo;
    std::vector<NodeId> line;
    for (int i = 0; i < 10; ++i) line.push_back(topo.add_node(std::string("n") + std::to_string(i), NodeKind::server));
    std::vector<LinkId> links;
    for (int i = 0; i + 1 < 10; ++i) links.push_back(topo.add_link(line[i], line[i + 1], 1 * gbps, 1e-3));
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    for (int k = 0; k < 10; ++k) send_at(sim, net, log, 0.1 * k, line[0], line[k], 1e5);
    // And back, so that slots used by long routes carry short ones again.
    for (int k = 9; k >= 0; --k) send_at(sim, net, log, 1.0 + 0.1 * (9 - k), line[k], line[0], 1e5);
    sim.run();
    for (int k = 0; k < 10; ++k) {
        INFO("to node " << k);
        CHECK(log.ok[k] == 1);
        const double took = k == 0 ? 0.0 : k * 1e-3 + 0.0008;
        CHECK(std::abs((log.when[k] - at(0.1 * k + took)).ns()) <= 1);
        CHECK(std::abs((log.when[19 - k] - at(1.0 + 0.1 * (9 - k) + took)).ns()) <= 1);
    }
    for (int i = 0; i < 9; ++i) {
        INFO("link " << i);
        const double carried = (9 - i) * 1e5;  // messages to (from) nodes i + 1 .. 9
        CHECK(net.link_stats(Topology::directed_link(links[i], Direction::a_to_b)).bytes ==
              Approx(carried).epsilon(1e-12));
        CHECK(net.link_stats(Topology::directed_link(links[i], Direction::b_to_a)).bytes ==
              Approx(carried).epsilon(1e-12));
    }
}

TEST_CASE("flow network: a departure leaves its own links at once and frees its share of a shared one",
          "[models][network]") {
    // x1 and x2 send to y over their own uplinks and the shared s-y (100 B/s): 50 B/s
    // each until the 500-byte message is done at 10 s (after 2 ms of latency), then
    // the other's 500 bytes left at 100 B/s.
    Topology topo;
    const NodeId x1 = topo.add_node("x1", NodeKind::server);
    const NodeId x2 = topo.add_node("x2", NodeKind::server);
    const NodeId s = topo.add_node("s", NodeKind::switch_);
    const NodeId y = topo.add_node("y", NodeKind::server);
    const LinkId up1 = topo.add_link(x1, s, 1000.0, 1e-3);
    const LinkId up2 = topo.add_link(x2, s, 1000.0, 1e-3);
    const LinkId down = topo.add_link(s, y, 100.0, 1e-3);
    const DirectedLinkId d1 = Topology::directed_link(up1, Direction::a_to_b);
    const DirectedLinkId d2 = Topology::directed_link(up2, Direction::a_to_b);
    const DirectedLinkId dd = Topology::directed_link(down, Direction::a_to_b);
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    send_at(sim, net, log, 0.0, x1, y, 1000.0);
    send_at(sim, net, log, 0.0, x2, y, 500.0);
    bool checked = false;
    sim.schedule_at(at(5.0), [&] {
        CHECK(net.link_rate(dd) == 100.0);
        CHECK(net.link_rate(d2) == 50.0);
        CHECK(net.link_flow_count(dd) == 2);
    });
    sim.schedule_at(at(12.0), [&] {
        checked = true;
        CHECK(net.link_rate(d2) == 0.0);  // left by the message that finished
        CHECK(net.link_flow_count(d2) == 0);
        CHECK(net.link_rate(d1) == 100.0);  // its share went to the other
        CHECK(net.link_rate(dd) == 100.0);
        CHECK(net.link_flow_count(dd) == 1);
        CHECK(net.link_stats(d2).bytes == Approx(500.0).epsilon(1e-12));
    });
    sim.run();
    CHECK(checked);
    CHECK(log.when[1] == at(10.002));
    CHECK(log.when[0] == at(15.002));
    CHECK(net.link_stats(d1).bytes == Approx(1000.0).epsilon(1e-12));
    CHECK(net.link_stats(d2).bytes == Approx(500.0).epsilon(1e-12));
    CHECK(net.link_stats(dd).bytes == Approx(1500.0).epsilon(1e-12));
    CHECK(net.flows_in_bandwidth_phase() == 0);
}

TEST_CASE("flow network: a component of more than 24 links fills through the heap as a scan would",
          "[models][network]") {
    // 30 senders to one sink over their own uplinks: 10 uplinks of 5 B/s, 20 of 100 B/s,
    // the sink's link 300 B/s. Max-min: 5 B/s each for the slow ones (their uplinks fill
    // first), (300 - 50) / 20 = 12.5 B/s for the others; once the slow ones' 50 bytes are
    // done (10 s), 300 / 20 = 15 B/s: 125 + 150 bytes take 20 s. Entering together, the
    // last messages reallocate 31 links, more than progressive filling scans.
    Topology topo;
    const NodeId hub = topo.add_node("hub", NodeKind::switch_);
    const NodeId sink = topo.add_node("sink", NodeKind::server);
    const LinkId down = topo.add_link(hub, sink, 300.0, 1e-3);
    std::vector<NodeId> senders;
    for (int i = 0; i < 30; ++i) {
        senders.push_back(topo.add_node(std::string("x") + std::to_string(i), NodeKind::server));
        topo.add_link(senders.back(), hub, i < 10 ? 5.0 : 100.0, 1e-3);
    }
    Simulation sim;
    FlowNetwork net(sim, topo);
    Log log;
    std::vector<FlowId> ids;
    sim.schedule_at(at(0.0), [&] {
        for (int i = 0; i < 30; ++i) {
            const std::size_t k = log.expect();
            ids.push_back(net.send(senders[i], sink, i < 10 ? 50.0 : 275.0, Record{&log, k, &sim}));
        }
    });
    sim.schedule_at(at(1.0), [&] {
        for (int i = 0; i < 30; ++i) CHECK(net.rate(ids[i]) == (i < 10 ? 5.0 : 12.5));
        CHECK(net.link_rate(Topology::directed_link(down, Direction::a_to_b)) == 300.0);
    });
    sim.schedule_at(at(11.0), [&] {
        for (int i = 10; i < 30; ++i) CHECK(net.rate(ids[i]) == 15.0);
    });
    sim.run();
    for (int i = 0; i < 30; ++i) CHECK(log.when[i] == at(i < 10 ? 10.002 : 20.002));
    CHECK(net.groups_formed() == 0);
}

namespace s2sim::models {
// Turns reallocate()'s shortcut for components of at most one message off, to compare it
// with the full progressive filling.
struct FlowNetworkTestAccess {
    static void set_small_component_shortcut(FlowNetwork& net, bool on) { net.small_component_shortcut_ = on; }
};
}  // namespace s2sim::models

TEST_CASE("flow network: reallocating a component of at most one message gives exactly what the full filling gives",
          "[models][network]") {
    // Random racks of servers under two pods (a rack's server links of infinite capacity in
    // one pod), a thousand messages of 10 kB to 4 MB over 10 s, so that most reallocations
    // are over a few messages, some over none or one; a link slowed and one failed on the way.
    // With and without the shortcut every completion time (to the nanosecond), outcome, byte
    // count and counter must be equal: the shortcut computes the same values.
    const std::uint64_t seed = GENERATE(range(1, 7));
    struct Outcome {
        std::vector<Time> when;
        std::vector<int> ok;
        std::vector<double> bytes;  // per directed link
        std::vector<double> utilization;
        std::uint64_t reallocations = 0;
        std::uint64_t fast_updates = 0;
        std::uint64_t delivered = 0;
    };
    const auto run = [seed](bool shortcut) {
        pcg64 rng(seed);
        const auto uniform = [&rng](double lo, double hi) {
            return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
        };
        Topology topo;
        std::vector<NodeId> servers;
        const NodeId pod_switch[2] = {topo.add_node("pod0", NodeKind::switch_),
                                      topo.add_node("pod1", NodeKind::switch_)};
        const int racks = 2 + static_cast<int>(rng(4));
        for (int r = 0; r < racks; ++r) {
            const int pod = r % 2;
            const NodeId tor = topo.add_node(std::string("tor") + std::to_string(r), NodeKind::switch_);
            topo.add_link(tor, pod_switch[pod], uniform(50, 200) * mbps, uniform(50, 200) * mbps, 5e-6);
            const int per_rack = 2 + static_cast<int>(rng(6));
            for (int i = 0; i < per_rack; ++i) {
                servers.push_back(topo.add_node(std::string("s") + std::to_string(servers.size()), NodeKind::server));
                const double up = pod == 1 ? std::numeric_limits<double>::infinity() : uniform(5, 60) * mbps;
                topo.add_link(servers.back(), tor, up, pod == 1 ? up : uniform(5, 60) * mbps, 2e-6);
            }
        }
        const LinkId core = topo.add_link(pod_switch[0], pod_switch[1], uniform(100, 400) * mbps,
                                          uniform(100, 400) * mbps, 1e-4);
        Simulation sim;
        FlowNetwork net(sim, topo);
        FlowNetworkTestAccess::set_small_component_shortcut(net, shortcut);
        Log log;
        for (int k = 0; k < 1000; ++k) {
            const auto from = static_cast<std::uint32_t>(rng(static_cast<std::uint32_t>(servers.size())));
            auto to = static_cast<std::uint32_t>(rng(static_cast<std::uint32_t>(servers.size() - 1)));
            if (to >= from) ++to;
            send_at(sim, net, log, uniform(0, 10), servers[from], servers[to], std::floor(uniform(1e4, 4e6)));
        }
        const auto other = static_cast<LinkId>(rng(static_cast<std::uint32_t>(topo.directed_link_count() / 2 - 1)));
        sim.schedule_at(at(3.3), [&net, core] { net.set_link_capacity(core, 20 * mbps, 30 * mbps); });
        sim.schedule_at(at(6.7), [&net, other] { net.fail_link(other); });
        sim.run();
        Outcome out;
        out.when = log.when;
        out.ok = log.ok;
        for (DirectedLinkId d = 0; d < topo.directed_link_count(); ++d) {
            out.bytes.push_back(net.link_stats(d).bytes);
            out.utilization.push_back(net.link_stats(d).utilization);
        }
        out.reallocations = net.reallocations();
        out.fast_updates = net.fast_updates();
        out.delivered = net.delivered();
        return out;
    };
    const Outcome with = run(true);
    const Outcome without = run(false);
    INFO("seed " << seed);
    CHECK(with.reallocations > 100);  // the comparison covers many reallocations
    CHECK(with.reallocations == without.reallocations);
    CHECK(with.fast_updates == without.fast_updates);
    CHECK(with.delivered == without.delivered);
    CHECK(with.delivered > 300);  // the failure cuts off part of the topology
    REQUIRE(with.when.size() == without.when.size());
    for (std::size_t i = 0; i < with.when.size(); ++i) {
        INFO("message " << i);
        REQUIRE(with.ok[i] == without.ok[i]);
        REQUIRE(with.when[i] == without.when[i]);
    }
    // Exact: the same operations on the same values (a link of infinite capacity counts NaN bytes).
    const auto same = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
    for (std::size_t d = 0; d < with.bytes.size(); ++d) {
        INFO("directed link " << d);
        CHECK(same(with.bytes[d], without.bytes[d]));
        CHECK(same(with.utilization[d], without.utilization[d]));
    }
}

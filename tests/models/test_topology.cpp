#include "models/network/topology.hpp"

#include <cmath>

#include <catch2/catch.hpp>

#include "sim/error.hpp"

using s2sim::Time;
using namespace s2sim::models;

namespace {

constexpr double gbps = 1e9 / 8.0;  // bytes per second in one gigabit per second

std::vector<NodeId> route_nodes(Topology& t, NodeId from, NodeId to) {
    std::vector<NodeId> nodes{from};
    for (DirectedLinkId d : t.route(from, to).links) nodes.push_back(t.target(d));
    return nodes;
}

}  // namespace

TEST_CASE("topology: nodes and links keep names, kinds and both directions", "[models][network]") {
    Topology t;
    const NodeId web = t.add_node("web-1", NodeKind::server, "eu-west");
    const NodeId tor = t.add_node("tor-eu", NodeKind::switch_);
    const LinkId l = t.add_link(web, tor, 10 * gbps, 1 * gbps, 5e-6);

    CHECK(t.node_count() == 2);
    CHECK(t.link_count() == 1);
    CHECK(t.directed_link_count() == 2);
    CHECK(t.node("tor-eu") == tor);
    CHECK_FALSE(t.find_node("nope").has_value());
    CHECK(t.node_site(web) == "eu-west");
    CHECK(t.node_site(tor).empty());
    CHECK(to_string(t.node_kind(tor)) == "switch");

    const DirectedLinkId up = Topology::directed_link(l, Direction::a_to_b);
    const DirectedLinkId down = Topology::directed_link(l, Direction::b_to_a);
    CHECK(up != down);
    CHECK(link_of(up) == l);
    CHECK(link_of(down) == l);
    CHECK(t.capacity(up) == 10 * gbps);
    CHECK(t.capacity(down) == 1 * gbps);
    CHECK(t.source(up) == web);
    CHECK(t.target(up) == tor);
    CHECK(t.source(down) == tor);
    CHECK(t.directed_link_name(up) == "web-1->tor-eu");
    CHECK(t.directed_link_name(down) == "tor-eu->web-1");
    CHECK(t.link_name(l) == "web-1--tor-eu");
    CHECK(t.endpoints(l) == std::pair<NodeId, NodeId>{web, tor});
    CHECK(t.latency(l) == 5e-6);
    CHECK(t.latency_time(l) == Time::from_ns(5000));
    CHECK(t.find_link(tor, web) == l);
}

TEST_CASE("topology: bad input is an error that names it", "[models][network][errors]") {
    Topology t;
    const NodeId a = t.add_node("a", NodeKind::server);
    const NodeId b = t.add_node("b", NodeKind::server);
    CHECK_THROWS_WITH(t.add_node("a", NodeKind::client), "duplicate node name 'a'");
    CHECK_THROWS_WITH(t.node("zz"), "unknown node 'zz'");
    CHECK_THROWS_AS(t.add_link(a, 7, 1.0, 0.0), s2sim::Error);
    CHECK_THROWS_AS(t.add_link(a, a, 1.0, 0.0), s2sim::Error);
    CHECK_THROWS_WITH(t.add_link(a, b, 0.0, 0.0), Catch::Matchers::Contains("link 'a--b': invalid bandwidth"));
    CHECK_THROWS_WITH(t.add_link(a, b, 1.0, -1.0), Catch::Matchers::Contains("link 'a--b': invalid latency"));
    // Route latencies are int64 nanosecond sums: a link may not take more than a day.
    CHECK_THROWS_WITH(t.add_link(a, b, 1.0, Topology::max_link_latency_s * 1.001),
                      Catch::Matchers::Contains("expected a value from 0 to 86400 s"));
    CHECK_THROWS_AS(t.add_link(a, b, 1.0, std::nan("")), s2sim::Error);
    CHECK(t.link_count() == 0);
    CHECK_NOTHROW(t.add_link(a, b, 1.0, Topology::max_link_latency_s));
}

TEST_CASE("topology: propagation latency is distance over speed plus the fixed part", "[models][network]") {
    // 200 m of fibre at 2e8 m/s is 1 us, plus 5 us fixed.
    CHECK(propagation_latency(200.0, 2e8, 5e-6) == Approx(6e-6).epsilon(1e-12));
    // 1200 km: 6 ms.
    CHECK(propagation_latency(1.2e6, 2e8, 0.0) == Approx(6e-3).epsilon(1e-12));
    CHECK_THROWS_AS(propagation_latency(1.0, 0.0, 0.0), s2sim::Error);
    CHECK_THROWS_AS(propagation_latency(-1.0, 2e8, 0.0), s2sim::Error);
}

TEST_CASE("topology: route takes the least total latency, not the fewest hops", "[models][network]") {
    Topology t;
    const NodeId a = t.add_node("a", NodeKind::server);
    const NodeId b = t.add_node("b", NodeKind::switch_);
    const NodeId c = t.add_node("c", NodeKind::server);
    const LinkId ac = t.add_link(a, c, 1 * gbps, 3e-3);
    const LinkId ab = t.add_link(a, b, 2 * gbps, 1e-3);
    const LinkId bc = t.add_link(b, c, 4 * gbps, 1e-3);

    const Route& r = t.route(a, c);
    REQUIRE(r.links.size() == 2);
    CHECK(r.links[0] == Topology::directed_link(ab, Direction::a_to_b));
    CHECK(r.links[1] == Topology::directed_link(bc, Direction::a_to_b));
    CHECK(r.latency == Time::from_seconds(2e-3));
    CHECK(r.latency_s == 2e-3);
    CHECK(r.bottleneck_bytes_per_s == 2 * gbps);  // min(2, 4) Gbps

    // The reverse route uses the b_to_a directions of the same links.
    const Route& back = t.route(c, a);
    REQUIRE(back.links.size() == 2);
    CHECK(back.links[0] == Topology::directed_link(bc, Direction::b_to_a));
    CHECK(back.links[1] == Topology::directed_link(ab, Direction::b_to_a));
    (void)ac;
}

TEST_CASE("topology: equal latency prefers fewer hops, then lowest node ids", "[models][network]") {
    SECTION("fewer hops") {
        // a-c direct (2 ms) ties with a-b-c (1 + 1 ms): the direct link has one hop.
        Topology t;
        const NodeId a = t.add_node("a", NodeKind::server);
        const NodeId b = t.add_node("b", NodeKind::switch_);
        const NodeId c = t.add_node("c", NodeKind::server);
        t.add_link(a, b, gbps, 1e-3);
        t.add_link(b, c, gbps, 1e-3);
        const LinkId ac = t.add_link(a, c, gbps, 2e-3);
        REQUIRE(t.route(a, c).links.size() == 1);
        CHECK(link_of(t.route(a, c).links[0]) == ac);
    }
    SECTION("lowest node ids") {
        // s=0, t=1, p=2, q=3; s-p-t and s-q-t both take 2 ms and 2 hops. The q
        // links are added first, so a rule based on insertion or edge order
        // would pick q; the documented rule picks p (lower id), both ways.
        Topology t;
        const NodeId s = t.add_node("s", NodeKind::server);
        const NodeId d = t.add_node("t", NodeKind::server);
        const NodeId p = t.add_node("p", NodeKind::switch_);
        const NodeId q = t.add_node("q", NodeKind::switch_);
        t.add_link(s, q, gbps, 1e-3);
        t.add_link(q, d, gbps, 1e-3);
        t.add_link(s, p, gbps, 1e-3);
        t.add_link(p, d, gbps, 1e-3);
        CHECK(route_nodes(t, s, d) == std::vector<NodeId>{s, p, d});
        CHECK(route_nodes(t, d, s) == std::vector<NodeId>{d, p, s});
    }
    SECTION("ids are compared from the destination back") {
        // Two 3-hop paths s-x1-y1-t and s-x2-y2-t of equal latency with ids
        // x1 < x2 but y1 > y2: reading from t back, y2 < y1 decides.
        Topology t;
        const NodeId s = t.add_node("s", NodeKind::server);   // 0
        const NodeId d = t.add_node("t", NodeKind::server);   // 1
        const NodeId x1 = t.add_node("x1", NodeKind::switch_);  // 2
        const NodeId y2 = t.add_node("y2", NodeKind::switch_);  // 3
        const NodeId x2 = t.add_node("x2", NodeKind::switch_);  // 4
        const NodeId y1 = t.add_node("y1", NodeKind::switch_);  // 5
        t.add_link(s, x1, gbps, 1e-3);
        t.add_link(x1, y1, gbps, 1e-3);
        t.add_link(y1, d, gbps, 1e-3);
        t.add_link(s, x2, gbps, 1e-3);
        t.add_link(x2, y2, gbps, 1e-3);
        t.add_link(y2, d, gbps, 1e-3);
        CHECK(route_nodes(t, s, d) == std::vector<NodeId>{s, x2, y2, d});
    }
    SECTION("parallel links: lowest link id") {
        Topology t;
        const NodeId a = t.add_node("a", NodeKind::server);
        const NodeId b = t.add_node("b", NodeKind::server);
        const LinkId first = t.add_link(a, b, gbps, 1e-3);
        const LinkId second = t.add_link(b, a, gbps, 1e-3);
        CHECK(link_of(t.route(a, b).links.at(0)) == first);
        CHECK(link_of(t.route(b, a).links.at(0)) == first);
        t.set_link_up(first, false);
        CHECK(t.route(a, b).links.at(0) == Topology::directed_link(second, Direction::b_to_a));
    }
}

TEST_CASE("topology: a route to self is empty and takes no time", "[models][network]") {
    Topology t;
    const NodeId a = t.add_node("a", NodeKind::server);
    const Route& r = t.route(a, a);
    CHECK(r.links.empty());
    CHECK(r.latency == Time::zero());
    CHECK(r.latency_s == 0.0);
    CHECK(t.has_route(a, a));
}

TEST_CASE("topology: no route names both nodes", "[models][network][errors]") {
    Topology t;
    const NodeId a = t.add_node("web-1", NodeKind::server);
    const NodeId b = t.add_node("db-1", NodeKind::server);
    const NodeId c = t.add_node("tor", NodeKind::switch_);
    t.add_link(a, c, gbps, 1e-6);
    CHECK_FALSE(t.has_route(a, b));
    CHECK(t.has_route(a, c));
    CHECK_THROWS_WITH(t.route(a, b), "no route from 'web-1' to 'db-1'");
    CHECK_THROWS_AS(t.route(a, 99), s2sim::Error);
}

TEST_CASE("topology: a link going down or up invalidates cached routes", "[models][network]") {
    Topology t;
    const NodeId a = t.add_node("a", NodeKind::server);
    const NodeId b = t.add_node("b", NodeKind::switch_);
    const NodeId c = t.add_node("c", NodeKind::switch_);
    const NodeId d = t.add_node("d", NodeKind::server);
    const LinkId ab = t.add_link(a, b, gbps, 1e-3);
    const LinkId bd = t.add_link(b, d, gbps, 1e-3);
    t.add_link(a, c, gbps, 5e-3);
    t.add_link(c, d, gbps, 5e-3);

    CHECK(route_nodes(t, a, d) == std::vector<NodeId>{a, b, d});
    CHECK(t.cached_sources() == 1);
    const Route* first = &t.route(a, d);
    CHECK(&t.route(a, d) == first);  // cached: the same object
    CHECK(t.cached_sources() == 1);

    t.set_link_up(bd, false);
    CHECK_FALSE(t.link_up(bd));
    CHECK(t.cached_sources() == 0);
    CHECK(route_nodes(t, a, d) == std::vector<NodeId>{a, c, d});
    CHECK(t.route(a, d).latency == Time::from_seconds(10e-3));

    t.set_link_up(ab, false);
    t.set_link_up(bd, true);
    CHECK(route_nodes(t, a, d) == std::vector<NodeId>{a, c, d});
    t.set_link_up(ab, true);
    CHECK(route_nodes(t, a, d) == std::vector<NodeId>{a, b, d});
}

TEST_CASE("topology: DOT output has shapes by kind and human units", "[models][network]") {
    Topology t;
    const NodeId web = t.add_node("web-1", NodeKind::server, "eu");
    const NodeId tor = t.add_node("tor", NodeKind::switch_);
    const NodeId inet = t.add_node("internet", NodeKind::client);
    t.add_link(web, tor, 10 * gbps, 5e-6);
    const LinkId up = t.add_link(tor, inet, 10 * gbps, 0.1 * gbps, 1.5e-3);
    t.set_link_up(up, false);
    const std::string dot = t.to_dot();
    using Catch::Matchers::Contains;
    CHECK_THAT(dot, Contains("graph topology {"));
    CHECK_THAT(dot, Contains("\"web-1\" [shape=box, label=\"web-1\\neu\"]"));
    CHECK_THAT(dot, Contains("\"tor\" [shape=diamond"));
    CHECK_THAT(dot, Contains("\"internet\" [shape=ellipse"));
    CHECK_THAT(dot, Contains("\"web-1\" -- \"tor\" [label=\"10 Gbps, 5 us\"]"));
    CHECK_THAT(dot, Contains("\"tor\" -- \"internet\" [label=\"10 Gbps / 100 Mbps, 1.5 ms\", style=dashed]"));
}

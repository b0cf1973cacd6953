#include "models/network/topology.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>

#include <catch2/catch.hpp>
#include <fmt/format.h>

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

// The routing rule written out plainly, as a reference for the fast router: the
// (latency, hops) distances by relaxing every link that is up until nothing changes,
// then each node's predecessor is the lowest (node id, directed link id) among the
// links into it that lie on a shortest path. Returns per node the directed link
// into it from `from` (`none` for `from` and for unreachable nodes) and whether it
// is reachable.
struct ReferenceTree {
    std::vector<DirectedLinkId> pred;
    std::vector<bool> reachable;
};

constexpr std::uint32_t none = UINT32_MAX;

ReferenceTree reference_tree(const Topology& t, NodeId from) {
    const std::size_t n = t.node_count();
    constexpr std::int64_t inf = INT64_MAX;
    std::vector<std::pair<std::int64_t, std::uint32_t>> dist(n, {inf, 0});
    dist[from] = {0, 0};
    for (bool changed = true; changed;) {
        changed = false;
        for (DirectedLinkId d = 0; d < t.directed_link_count(); ++d) {
            if (!t.link_up(link_of(d)) || dist[t.source(d)].first == inf) continue;
            const auto& [ns, hops] = dist[t.source(d)];
            const std::pair<std::int64_t, std::uint32_t> via{ns + t.latency_time(link_of(d)).ns(), hops + 1};
            if (via < dist[t.target(d)]) {
                dist[t.target(d)] = via;
                changed = true;
            }
        }
    }
    ReferenceTree tree{std::vector<DirectedLinkId>(n, none), std::vector<bool>(n, false)};
    for (NodeId v = 0; v < n; ++v) tree.reachable[v] = dist[v].first != inf;
    for (NodeId v = 0; v < n; ++v) {
        if (v == from || !tree.reachable[v]) continue;
        std::pair<NodeId, DirectedLinkId> best{none, none};
        for (DirectedLinkId d = 0; d < t.directed_link_count(); ++d) {
            const NodeId u = t.source(d);
            if (t.target(d) != v || !t.link_up(link_of(d)) || !tree.reachable[u]) continue;
            const bool on_shortest = dist[u].first + t.latency_time(link_of(d)).ns() == dist[v].first &&
                                     dist[u].second + 1 == dist[v].second;
            if (on_shortest) best = std::min(best, std::pair<NodeId, DirectedLinkId>{u, d});
        }
        tree.pred[v] = best.second;
    }
    return tree;
}

// A random network shaped like a data centre, with ties on purpose: switches joined
// by a random tree plus chords and parallel links; servers and clients under one
// switch (some by two parallel links), some multi-homed, some linked to a server;
// a pair linked only to each other; an isolated node. Latencies come from a few
// values (0 included) so that equal-latency paths abound. Kinds are added in a
// random order, so leaves and switches interleave in id order.
Topology random_network(std::mt19937_64& rng) {
    auto pick = [&](std::size_t n) {
        return static_cast<std::uint32_t>(std::uniform_int_distribution<std::size_t>(0, n - 1)(rng));
    };
    auto latency = [&] { return 1e-6 * static_cast<double>(pick(4)); };  // 0, 1, 2 or 3 us
    const std::size_t switches = 1 + pick(7);
    const std::size_t hosts = pick(25);
    std::vector<bool> is_switch(switches + hosts + 3, false);
    for (std::size_t i = 0; i < switches; ++i) is_switch[i] = true;
    std::shuffle(is_switch.begin(), is_switch.end(), rng);
    Topology t;
    std::vector<NodeId> sw;
    std::vector<NodeId> host;
    for (std::size_t i = 0; i < is_switch.size(); ++i) {
        const NodeKind kind = is_switch[i] ? NodeKind::switch_ : (pick(4) == 0 ? NodeKind::client : NodeKind::server);
        const NodeId id = t.add_node(fmt::format("n{}", i), kind);
        (is_switch[i] ? sw : host).push_back(id);
    }
    const double bw = 1e9;
    for (std::size_t i = 1; i < sw.size(); ++i) t.add_link(sw[i], sw[pick(i)], bw * (1 + pick(3)), latency());
    for (std::size_t c = pick(2 * sw.size()); c > 0 && sw.size() > 1; --c) {
        const NodeId a = sw[pick(sw.size())];
        const NodeId b = sw[pick(sw.size())];
        if (a != b) t.add_link(a, b, bw * (1 + pick(3)), latency());
    }
    // The last three hosts: a pair linked only to each other, and an isolated node.
    t.add_link(host[host.size() - 3], host[host.size() - 2], bw, latency());
    for (std::size_t i = 0; i + 3 < host.size(); ++i) {
        const NodeId h = host[i];
        const NodeId s = sw[pick(sw.size())];
        t.add_link(h, s, bw * (1 + pick(3)), latency());
        switch (pick(5)) {
            case 0: t.add_link(s, h, bw, latency()); break;  // parallel, either order
            case 1: t.add_link(h, sw[pick(sw.size())], bw, latency()); break;  // multi-homed (or parallel)
            case 2:
                if (i > 0) t.add_link(h, host[pick(i)], bw, latency());  // to another server
                break;
            default: break;
        }
    }
    return t;
}

// Checks every route of `t` against the reference, asking in a random order.
void check_all_routes(Topology& t, std::mt19937_64& rng) {
    const auto n = static_cast<NodeId>(t.node_count());
    std::vector<std::pair<NodeId, NodeId>> pairs;
    for (NodeId a = 0; a < n; ++a) {
        for (NodeId b = 0; b < n; ++b) pairs.emplace_back(a, b);
    }
    std::shuffle(pairs.begin(), pairs.end(), rng);
    std::vector<ReferenceTree> trees;
    for (NodeId a = 0; a < n; ++a) trees.push_back(reference_tree(t, a));
    for (const auto& [a, b] : pairs) {
        const ReferenceTree& ref = trees[a];
        INFO("route " << a << " -> " << b);
        const bool reachable = a == b || ref.reachable[b];
        REQUIRE(t.has_route(a, b) == reachable);
        const Route* r = t.find_route(a, b);
        REQUIRE((r != nullptr) == reachable);
        if (!reachable) continue;
        std::vector<DirectedLinkId> expected;
        for (NodeId v = b; v != a; v = t.source(ref.pred[v])) expected.push_back(ref.pred[v]);
        std::reverse(expected.begin(), expected.end());
        REQUIRE(std::vector<DirectedLinkId>(r->links.begin(), r->links.end()) == expected);
        Time latency;
        double bottleneck = std::numeric_limits<double>::infinity();
        for (DirectedLinkId d : expected) {
            latency += t.latency_time(link_of(d));
            bottleneck = std::min(bottleneck, t.capacity(d));
        }
        CHECK(r->latency == latency);
        CHECK(r->latency_s == latency.seconds());
        CHECK(r->bottleneck_bytes_per_s == bottleneck);
        CHECK(r->latency_class == t.latency_class(latency));
        CHECK(&t.route(a, b) == r);  // cached
    }
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

TEST_CASE("topology: routes match the routing rule on random networks, also after failures",
          "[models][network]") {
    std::mt19937_64 rng(20261205);
    for (int trial = 0; trial < 150; ++trial) {
        INFO("trial " << trial);
        Topology t = random_network(rng);
        check_all_routes(t, rng);
        // Links fail one by one (multi-homed servers become leaves, parts split off),
        // then some come back; routes must follow each change.
        std::vector<LinkId> order(t.link_count());
        for (LinkId l = 0; l < order.size(); ++l) order[l] = l;
        std::shuffle(order.begin(), order.end(), rng);
        const std::size_t failures = std::min<std::size_t>(order.size(), 4);
        for (std::size_t i = 0; i < failures; ++i) {
            t.set_link_up(order[i], false);
            check_all_routes(t, rng);
        }
        for (std::size_t i = 0; i < failures; i += 2) {
            t.set_link_up(order[i], true);
            check_all_routes(t, rng);
        }
        // A capacity change keeps paths but must refresh bottlenecks.
        if (t.link_count() > 0) {
            t.set_capacity(Topology::directed_link(order[0], Direction::a_to_b), 7.0);
            check_all_routes(t, rng);
        }
    }
}

TEST_CASE("topology: servers under switches share their switch's shortest-path tree", "[models][network]") {
    // A client under a core switch, 3 ToRs under it, 60 servers spread over the ToRs:
    // every server-to-server and client-to-server route needs only the trees of the
    // switches, not one per server.
    Topology t;
    const NodeId client = t.add_node("client", NodeKind::client);
    const NodeId core = t.add_node("core", NodeKind::switch_);
    t.add_link(client, core, gbps, 1e-3);
    std::vector<NodeId> tors;
    for (int r = 0; r < 3; ++r) {
        tors.push_back(t.add_node(fmt::format("tor-{}", r), NodeKind::switch_));
        t.add_link(core, tors.back(), gbps, 5e-6);
    }
    std::vector<NodeId> servers;
    for (int i = 0; i < 60; ++i) {
        servers.push_back(t.add_node(fmt::format("web-{}", i), NodeKind::server));
        t.add_link(servers.back(), tors[static_cast<std::size_t>(i % 3)], gbps, 2e-6);
    }
    for (NodeId a : servers) {
        CHECK(route_nodes(t, client, a) == std::vector<NodeId>{client, core, t.target(t.route(core, a).links[0]), a});
        for (NodeId b : servers) (void)t.route(a, b);
        (void)t.route(a, client);
    }
    CHECK(t.cached_sources() == 4);  // core and the three ToRs
    // From the client and the core to each server, from each server to each server and the client.
    CHECK(t.cached_routes() == 60 + 60 + 60 * 60 + 60);
    CHECK(route_nodes(t, servers[0], servers[1]) ==
          std::vector<NodeId>{servers[0], tors[0], core, tors[1], servers[1]});
    CHECK(route_nodes(t, servers[0], servers[3]) == std::vector<NodeId>{servers[0], tors[0], servers[3]});
    CHECK(t.route(servers[0], servers[1]).latency == Time::from_ns(2000 + 5000 + 5000 + 2000));
    CHECK(t.has_route(servers[5], client));
    CHECK(t.cached_routes() == 60 + 60 + 60 * 60 + 60);  // has_route makes no route
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

TEST_CASE("topology: routes past max_direct_nodes nodes (a hash index) are those of the direct table",
          "[models][network]") {
    // Up to max_direct_nodes nodes routes are found through a table of a CompactRoute per pair,
    // above through a hash index: the same routes either way, also after failures, and
    // the table must follow the node count when nodes are added after routes were asked.
    std::mt19937_64 rng(20261206);
    for (int trial = 0; trial < 6; ++trial) {
        INFO("trial " << trial);
        Topology t = random_network(rng);
        const std::size_t n = t.node_count();
        check_all_routes(t, rng);  // the table
        std::vector<std::vector<DirectedLinkId>> before;
        for (NodeId a = 0; a < n; ++a) {
            for (NodeId b = 0; b < n; ++b) {
                const Route* r = t.find_route(a, b);
                before.emplace_back();
                if (r != nullptr) before.back().assign(r->links.begin(), r->links.end());
            }
        }
        // Isolated nodes up to one past the table's limit: routes are made again, by hash.
        while (t.node_count() <= Topology::max_direct_nodes) {
            t.add_node(fmt::format("pad{}", t.node_count()), NodeKind::server);
        }
        for (NodeId a = 0; a < n; ++a) {
            for (NodeId b = 0; b < n; ++b) {
                const Route* r = t.find_route(a, b);
                const std::vector<DirectedLinkId>& expected = before[a * n + b];
                INFO("route " << a << " -> " << b);
                if (r == nullptr) {
                    CHECK((a != b && expected.empty()));
                    continue;
                }
                CHECK(std::vector<DirectedLinkId>(r->links.begin(), r->links.end()) == expected);
                CHECK(t.find_route(a, b) == r);  // cached
            }
            CHECK(t.find_route(a, static_cast<NodeId>(t.node_count() - 1)) == nullptr);  // the last pad
        }
        check_all_routes(t, rng);  // the hash index, against the reference
        if (t.link_count() > 0) {
            t.set_link_up(0, false);
            check_all_routes(t, rng);
            t.set_link_up(0, true);
            check_all_routes(t, rng);
        }
    }
}

TEST_CASE("topology: the direct route table follows added nodes and links", "[models][network]") {
    // Routes asked for, then a node and a shorter path added: the table is made again for
    // the new node count (a stale table would give the old route or index out of bounds).
    Topology t;
    const NodeId a = t.add_node("a", NodeKind::server);
    const NodeId s = t.add_node("s", NodeKind::switch_);
    const NodeId b = t.add_node("b", NodeKind::server);
    t.add_link(a, s, gbps, 5e-3);
    t.add_link(s, b, gbps, 5e-3);
    CHECK(route_nodes(t, a, b) == std::vector<NodeId>{a, s, b});
    CHECK(route_nodes(t, b, a) == std::vector<NodeId>{b, s, a});
    const NodeId c = t.add_node("c", NodeKind::switch_);
    t.add_link(a, c, gbps, 1e-3);
    t.add_link(c, b, gbps, 1e-3);
    CHECK(route_nodes(t, a, b) == std::vector<NodeId>{a, c, b});
    CHECK(route_nodes(t, b, a) == std::vector<NodeId>{b, c, a});
    CHECK(route_nodes(t, c, s) == std::vector<NodeId>{c, a, s});
    CHECK(t.cached_routes() == 3);
    CHECK_THROWS_AS(t.find_route(a, 4), s2sim::Error);
    CHECK_THROWS_AS(t.find_route(4, a), s2sim::Error);
}

TEST_CASE("topology: a compact route copies its route, past ten links and past the direct table too",
          "[models][network]") {
    // FlowNetwork reads a route per message from its CompactRoute: latency, latency class and
    // links must be the route's, with links beyond the ten held inline read from the route.
    Topology t;
    constexpr NodeId chain = 14;  // routes of 0 to 13 links
    for (NodeId i = 0; i < chain; ++i) t.add_node(fmt::format("n{}", i), NodeKind::switch_);
    for (NodeId i = 0; i + 1 < chain; ++i) t.add_link(i, i + 1, gbps * (i + 1), 1e-6 * (i + 1));
    const auto check_pairs = [&t] {
        for (NodeId a = 0; a < chain; ++a) {
            for (NodeId b = 0; b < chain; ++b) {
                INFO("route " << a << " -> " << b);
                const CompactRoute* c = t.find_compact_route(a, b);
                REQUIRE(c != nullptr);
                const Route& r = t.route(a, b);
                CHECK(c->route == &r);
                CHECK(c->latency == r.latency);
                CHECK(c->latency_class == r.latency_class);
                REQUIRE(c->link_count == r.links.size());
                CHECK(c->link_count == static_cast<std::uint32_t>(a > b ? a - b : b - a));
                CHECK(std::equal(r.links.begin(), r.links.end(), c->link_data()));
                CHECK(t.find_compact_route(a, b) == c);  // cached
            }
        }
    };
    check_pairs();  // the direct table
    t.set_capacity(0, gbps);  // clears the routes: made again
    check_pairs();
    const NodeId lone = t.add_node("lone", NodeKind::server);
    CHECK(t.find_compact_route(0, lone) == nullptr);
    while (t.node_count() <= Topology::max_direct_nodes) t.add_node(fmt::format("pad{}", t.node_count()), NodeKind::server);
    check_pairs();  // the hash index
    CHECK(t.find_compact_route(lone, 0) == nullptr);
}

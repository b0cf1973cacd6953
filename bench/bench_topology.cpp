// Builds large topologies and times construction and routing.
// Usage: bench_topology [servers=10000]
//   random connected graph and two-tier (servers dual-homed: all of it is core),
//   and a fleet (servers under one ToR each: leaves routed through their switch)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pcg_random.hpp>

#include "models/network/topology.hpp"

using namespace s2sim::models;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Times the first query from a source (Dijkstra), a second destination from the
// same source (tree cached, path materialised) and repeated cached queries.
void time_routes(Topology& t, NodeId from, NodeId to, NodeId other) {
    auto start = Clock::now();
    const Route& r = t.route(from, to);
    const double first = seconds_since(start);
    start = Clock::now();
    const Route& r2 = t.route(from, other);
    const double second = seconds_since(start);
    constexpr int repeats = 1'000'000;
    std::size_t sink = 0;
    start = Clock::now();
    for (int i = 0; i < repeats; ++i) sink += t.route(from, i % 2 == 0 ? to : other).links.size();
    const double cached = seconds_since(start) / repeats;
    fmt::print("  first route query (Dijkstra)   {:9.3f} ms   ({} hops, {:.1f} us)\n", first * 1e3, r.links.size(),
               r.latency_s * 1e6);
    fmt::print("  new destination, cached tree   {:9.3f} us   ({} hops)\n", second * 1e6, r2.links.size());
    fmt::print("  cached route query             {:9.1f} ns   (checksum {})\n", cached * 1e9, sink);
    // Dijkstra from many sources: the cost of the first message from each server.
    constexpr NodeId sources = 100;
    t.set_link_up(0, t.link_up(0));  // no-op: keeps the cache
    start = Clock::now();
    for (NodeId s = 0; s < sources; ++s) sink += t.route(s, to).links.size();
    fmt::print("  route from {} new sources      {:9.3f} ms per source\n", sources,
               seconds_since(start) / sources * 1e3);
}

// A client under a core switch, 10 ToRs under it, the servers spread over the ToRs
// (round robin): the shape of bench_fleet. Times the routes its traffic asks for.
void time_fleet(NodeId servers) {
    const double gbps = 1e9 / 8.0;
    fmt::print("fleet: client, core switch, 10 ToRs, {} servers under them\n", servers);
    auto start = Clock::now();
    Topology t;
    std::vector<NodeId> fleet;
    for (NodeId i = 0; i < servers; ++i) fleet.push_back(t.add_node(fmt::format("web-{}", i), NodeKind::server));
    const NodeId client = t.add_node("client", NodeKind::client);
    const NodeId core = t.add_node("core", NodeKind::switch_);
    t.add_link(client, core, 400 * gbps, 1e-3);
    std::vector<NodeId> tors;
    for (int r = 0; r < 10; ++r) {
        tors.push_back(t.add_node(fmt::format("tor-{}", r), NodeKind::switch_));
        t.add_link(core, tors.back(), 100 * gbps, 5e-6);
    }
    for (NodeId i = 0; i < servers; ++i) t.add_link(fleet[i], tors[i % 10], 10 * gbps, 2e-6);
    fmt::print("  build                          {:9.3f} ms\n", seconds_since(start) * 1e3);
    // Each request: client to server, server back to client, servers in turn.
    std::size_t sink = 0;
    start = Clock::now();
    for (NodeId i = 0; i < servers; ++i) {
        sink += t.route(client, fleet[i]).links.size();
        sink += t.route(fleet[i], client).links.size();
    }
    const double first = seconds_since(start);
    fmt::print("  first route to and from each    {:9.3f} ms   ({:.3f} us per route)\n", first * 1e3,
               first / (2.0 * servers) * 1e6);
    constexpr int rounds = 5;
    start = Clock::now();
    for (int round = 0; round < rounds; ++round) {
        for (NodeId i = 0; i < servers; ++i) {
            sink += t.route(client, fleet[i]).links.size();
            sink += t.route(fleet[i], client).links.size();
        }
    }
    fmt::print("  cached, servers in turn        {:9.1f} ns   (checksum {})\n",
               seconds_since(start) / (2.0 * rounds * servers) * 1e9, sink);
}

}  // namespace

int main(int argc, char** argv) {
    const auto servers = static_cast<NodeId>(argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000);
    const double gbps = 1e9 / 8.0;

    {
        fmt::print("random connected graph: {} servers, {} links (seed 42)\n", servers, 2 * servers);
        pcg64 rng(42);
        const auto start = Clock::now();
        Topology t;
        for (NodeId i = 0; i < servers; ++i) t.add_node(fmt::format("s-{}", i), NodeKind::server);
        // A random spanning tree keeps it connected; random chords make up the rest.
        for (NodeId i = 1; i < servers; ++i) {
            t.add_link(i, static_cast<NodeId>(rng(i)), 10 * gbps, 1e-6 * static_cast<double>(1 + rng(100)));
        }
        while (t.link_count() < 2 * static_cast<std::size_t>(servers)) {
            const auto a = static_cast<NodeId>(rng(servers));
            const auto b = static_cast<NodeId>(rng(servers));
            if (a != b) t.add_link(a, b, 10 * gbps, 1e-6 * static_cast<double>(1 + rng(100)));
        }
        fmt::print("  build                          {:9.3f} ms\n", seconds_since(start) * 1e3);
        time_routes(t, 0, servers - 1, servers / 2);
    }
    {
        const NodeId racks = servers / 40;
        const NodeId spines = 8;
        fmt::print("two-tier: {} servers dual-homed to {} ToRs, {} spines\n", servers, racks, spines);
        const auto start = Clock::now();
        Topology t;
        for (NodeId i = 0; i < servers; ++i) t.add_node(fmt::format("web-{}", i), NodeKind::server);
        const NodeId first_tor = servers;
        for (NodeId r = 0; r < racks; ++r) t.add_node(fmt::format("tor-{}", r), NodeKind::switch_);
        const NodeId first_spine = servers + racks;
        for (NodeId s = 0; s < spines; ++s) t.add_node(fmt::format("spine-{}", s), NodeKind::switch_);
        for (NodeId i = 0; i < servers; ++i) {
            const NodeId rack = i % racks;
            t.add_link(i, first_tor + rack, 10 * gbps, 2e-6);
            t.add_link(i, first_tor + (rack + 1) % racks, 10 * gbps, 2e-6);
        }
        for (NodeId r = 0; r < racks; ++r) {
            for (NodeId s = 0; s < spines; ++s) t.add_link(first_tor + r, first_spine + s, 40 * gbps, 5e-6);
        }
        fmt::print("  build ({} links)             {:9.3f} ms\n", t.link_count(), seconds_since(start) * 1e3);
        time_routes(t, 0, servers - 1, servers / 2);
        const auto dot_start = Clock::now();
        const std::string dot = t.to_dot();
        fmt::print("  to_dot ({:.1f} MB)               {:9.3f} ms\n", static_cast<double>(dot.size()) / 1e6,
                   seconds_since(dot_start) * 1e3);
    }
    time_fleet(servers);
    time_fleet(10 * servers);
    return 0;
}

// Runs the same transfers over the same platform in s2sim's FlowNetwork and in
// SimGrid (CM02 model: plain max-min, no correction factors; cross-traffic off;
// no TCP window bound), compares every completion time and prints the CPU time
// of each. Built only on request (bench/simgrid/run.sh, or CMake with
// -DS2SIM_BENCH_SIMGRID=ON and libsimgrid-dev installed).
//
// Usage: compare_simgrid HOSTS FLOWS [SEED] [--plain] [SimGrid --cfg=... options]
//
// Platform: a two-tier tree in two pods. Racks of 8 hosts (1 Gb/s links to
// their top-of-rack switch, 2 us), each top-of-rack switch linked to its pod's
// switch (10 Gb/s, 5 us), the two pod switches joined by the core link
// (10 Gb/s, 50 us). Transfer i starts at i ms, from a random host of pod 0 to
// a random host of pod 1, and moves 100 to 140 MB (uniform): every transfer
// crosses the core, and every route has the same latency (CM02 weights a
// flow's share by its route's latency). The routes of both simulators are
// s2sim's: SimGrid gets one one-way link per directed s2sim link.
// --plain runs s2sim without processor-sharing groups (every change re-solves
// max-min over all the transfers), for comparison.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pcg_random.hpp>
#include <simgrid/s4u.hpp>

#include "models/network/flow_network.hpp"
#include "sim/simulation.hpp"

namespace sg4 = simgrid::s4u;
using namespace s2sim::models;
using s2sim::models::link_of;
constexpr auto link_of_directed = [](DirectedLinkId d) { return link_of(d); };

namespace {

double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Transfer {
    NodeId from = 0, to = 0;
    double start = 0.0;  // s
    double bytes = 0.0;
    double done_s2sim = -1.0, done_simgrid = -1.0;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        fmt::print(stderr, "usage: {} HOSTS FLOWS [SEED] [--plain] [--cfg=...]\n", argv[0]);
        return 2;
    }
    const auto hosts = static_cast<std::uint32_t>(std::strtoul(argv[1], nullptr, 10));
    const auto flows = static_cast<std::size_t>(std::strtoul(argv[2], nullptr, 10));
    const std::uint64_t seed = argc > 3 && argv[3][0] != '-' ? std::strtoull(argv[3], nullptr, 10) : 1;
    bool plain = false;
    for (int i = 1; i < argc; ++i) plain |= std::strcmp(argv[i], "--plain") == 0;
    constexpr std::uint32_t per_rack = 8;
    if (hosts < 2 * per_rack || hosts % (2 * per_rack) != 0 || flows == 0) {
        fmt::print(stderr, "HOSTS must be a multiple of {} and FLOWS > 0\n", 2 * per_rack);
        return 2;
    }

    // ---- the platform, in s2sim's terms ----
    const double gbps = 1e9 / 8.0;
    Topology topo;
    std::vector<NodeId> host;
    for (std::uint32_t h = 0; h < hosts; ++h) host.push_back(topo.add_node(fmt::format("h{}", h), NodeKind::server));
    const NodeId pod[2] = {topo.add_node("pod0", NodeKind::switch_), topo.add_node("pod1", NodeKind::switch_)};
    const std::uint32_t racks = hosts / per_rack;
    for (std::uint32_t r = 0; r < racks; ++r) {
        const NodeId tor = topo.add_node(fmt::format("tor{}", r), NodeKind::switch_);
        topo.add_link(tor, pod[r < racks / 2 ? 0 : 1], 10 * gbps, 5e-6);
        for (std::uint32_t i = 0; i < per_rack; ++i) topo.add_link(host[r * per_rack + i], tor, 1 * gbps, 2e-6);
    }
    topo.add_link(pod[0], pod[1], 10 * gbps, 50e-6);

    pcg64 rng(seed);
    std::vector<Transfer> transfers(flows);
    for (std::size_t i = 0; i < flows; ++i) {
        Transfer& t = transfers[i];
        t.from = host[rng(hosts / 2)];
        t.to = host[hosts / 2 + rng(hosts / 2)];
        t.start = 1e-3 * static_cast<double>(i);
        t.bytes = std::round(100e6 + 40e6 * static_cast<double>(rng() >> 11) * 0x1.0p-53);
    }

    // ---- SimGrid ----
    std::vector<char*> sg_argv{argv[0]};
    std::string model = "--cfg=network/model:CM02", cross = "--cfg=network/crosstraffic:0",
                gamma = "--cfg=network/TCP-gamma:0", quiet = "--log=root.thresh:critical";
    sg_argv.push_back(model.data());
    sg_argv.push_back(cross.data());
    sg_argv.push_back(gamma.data());
    sg_argv.push_back(quiet.data());
    for (int i = 3; i < argc; ++i) {
        if (std::strncmp(argv[i], "--cfg=", 6) == 0 || std::strncmp(argv[i], "--log=", 6) == 0) sg_argv.push_back(argv[i]);
    }
    int sg_argc = static_cast<int>(sg_argv.size());
    const double sg_cpu_start = cpu_seconds();
    sg4::Engine engine(&sg_argc, sg_argv.data());
    auto* zone = sg4::create_full_zone("world");
    std::vector<sg4::Host*> sg_host(topo.node_count(), nullptr);
    for (std::uint32_t h = 0; h < hosts; ++h) sg_host[host[h]] = zone->create_host(topo.node_name(host[h]), 1e9);
    std::vector<sg4::Link*> sg_link(topo.directed_link_count(), nullptr);
    const auto link_of = [&](DirectedLinkId d) {
        if (sg_link[d] == nullptr) {
            sg_link[d] = zone->create_link(fmt::format("l{}", d), topo.capacity(d))
                             ->set_latency(topo.latency(link_of_directed(d)))
                             ->seal();
        }
        return sg_link[d];
    };
    std::vector<std::pair<NodeId, NodeId>> pairs;
    for (const Transfer& t : transfers) pairs.emplace_back(t.from, t.to);
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    for (const auto& [from, to] : pairs) {
        std::vector<sg4::LinkInRoute> route;
        for (DirectedLinkId d : topo.route(from, to).links) route.emplace_back(link_of(d));
        zone->add_route(sg_host[from]->get_netpoint(), sg_host[to]->get_netpoint(), nullptr, nullptr, route, false);
    }
    zone->seal();
    for (std::size_t i = 0; i < flows; ++i) {
        Transfer* t = &transfers[i];
        sg4::Actor::create(fmt::format("t{}", i), sg_host[t->from], [t, &sg_host] {
            sg4::this_actor::sleep_until(t->start);
            sg4::Comm::sendto(sg_host[t->from], sg_host[t->to], static_cast<std::uint64_t>(t->bytes));
            t->done_simgrid = sg4::Engine::get_clock();
        });
    }
    const double sg_run_start = cpu_seconds();
    engine.run();
    const double sg_run = cpu_seconds() - sg_run_start;
    const double sg_cpu = cpu_seconds() - sg_cpu_start;

    // ---- s2sim ----
    const double s2_cpu_start = cpu_seconds();
    s2sim::Simulation sim;
    FlowNetwork net(sim, topo);
    if (plain) net.set_min_group_size(SIZE_MAX);
    for (std::size_t i = 0; i < flows; ++i) {
        Transfer* t = &transfers[i];
        sim.schedule_at(s2sim::Time::from_seconds(t->start), [t, &net, &sim] {
            net.send(t->from, t->to, t->bytes, [t, &sim](bool) { t->done_s2sim = sim.now().seconds(); });
        });
    }
    sim.run();
    const double s2_cpu = cpu_seconds() - s2_cpu_start;

    double worst = 0.0;
    std::size_t worst_i = 0;
    for (std::size_t i = 0; i < flows; ++i) {
        const Transfer& t = transfers[i];
        const double diff = std::abs(t.done_s2sim - t.done_simgrid) / t.done_simgrid;
        if (!(diff <= worst)) {
            worst = diff;
            worst_i = i;
        }
    }
    fmt::print("{} hosts, {} transfers{}: last completion {:.6f} s (SimGrid {:.6f} s)\n", hosts, flows,
               plain ? " (s2sim without groups)" : "", transfers.back().done_s2sim, transfers.back().done_simgrid);
    fmt::print("  completions: max relative difference {:.3g} (transfer {}: s2sim {:.9f} s, SimGrid {:.9f} s)\n", worst,
               worst_i, transfers[worst_i].done_s2sim, transfers[worst_i].done_simgrid);
    fmt::print("  CPU: s2sim {:.3f} s, SimGrid {:.3f} s in engine.run() ({:.3f} s with platform and actors): "
               "ratio {:.4f} ({:.4f})\n",
               s2_cpu, sg_run, sg_cpu, s2_cpu / sg_run, s2_cpu / sg_cpu);
    fmt::print("  s2sim: {} reallocations, {} fast updates, {} groups formed, {} dissolved\n", net.reallocations(),
               net.fast_updates(), net.groups_formed(), net.groups_dissolved());
    return worst <= 1e-6 ? 0 : 1;
}

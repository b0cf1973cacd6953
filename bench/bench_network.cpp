// Many concurrent flows through a two-tier topology; prints flows per second.
// Usage: bench_network [scale=1] (multiplies the number of flows per run)
// Each of K senders keeps one message in flight: when it is delivered, it sends
// the next (exponential size, mean 64 KB) to a random server.
#include <chrono>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <pcg_random.hpp>

#include "models/network/flow_network.hpp"
#include "sim/simulation.hpp"

using namespace s2sim::models;
using Clock = std::chrono::steady_clock;

namespace {

struct Bench {
    s2sim::Simulation sim;
    Topology topo;
    FlowNetwork* net = nullptr;
    pcg64 rng{7};
    std::uint64_t to_send = 0;
    NodeId servers = 0;

    double exp_bytes(double mean) {
        const double u = (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
        return -mean * std::log(u);
    }
    void next(NodeId from) {
        if (to_send == 0) return;
        --to_send;
        auto to = static_cast<NodeId>(rng(servers - 1));
        if (to >= from) ++to;
        net->send(from, to, exp_bytes(64e3), [this, to](bool) { next(to); });
    }
};

void run(std::uint32_t racks, std::uint32_t per_rack, std::uint32_t senders, std::uint64_t flows) {
    const double gbps = 1e9 / 8.0;
    Bench b;
    b.servers = racks * per_rack;
    for (NodeId i = 0; i < b.servers; ++i) b.topo.add_node(fmt::format("web-{}", i), NodeKind::server);
    const NodeId spines = 4;
    for (NodeId r = 0; r < racks; ++r) b.topo.add_node(fmt::format("tor-{}", r), NodeKind::switch_);
    for (NodeId s = 0; s < spines; ++s) b.topo.add_node(fmt::format("spine-{}", s), NodeKind::switch_);
    for (NodeId i = 0; i < b.servers; ++i) b.topo.add_link(i, b.servers + i / per_rack, 10 * gbps, 2e-6);
    for (NodeId r = 0; r < racks; ++r) {
        for (NodeId s = 0; s < spines; ++s) b.topo.add_link(b.servers + r, b.servers + racks + s, 40 * gbps, 5e-6);
    }
    FlowNetwork net(b.sim, b.topo);
    b.net = &net;
    b.to_send = flows;
    const auto start = Clock::now();
    for (std::uint32_t k = 0; k < senders; ++k) b.next(static_cast<NodeId>(b.rng(b.servers)));
    b.sim.run();
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    fmt::print("{:5} servers, {:6} concurrent: {:8} flows in {:7.3f} s wall = {:9.0f} flows/s, "
               "{:6.2f} M events/s, {:.3f} s simulated, {} reallocations\n",
               b.servers, senders, net.delivered(), wall, static_cast<double>(net.delivered()) / wall,
               static_cast<double>(b.sim.events_processed()) / wall / 1e6, b.sim.now().seconds(), net.reallocations());
}

}  // namespace

int main(int argc, char** argv) {
    // Flows per run scale down as concurrency grows: max-min fairness costs
    // time proportional to the messages sharing links with the one that changed.
    const double scale = argc > 1 ? std::strtod(argv[1], nullptr) : 1.0;
    const auto flows = [scale](double n) { return static_cast<std::uint64_t>(n * scale); };
    run(16, 32, 10, flows(200000));
    run(16, 32, 100, flows(200000));
    run(16, 32, 1000, flows(50000));
    run(16, 32, 5000, flows(20000));
    return 0;
}

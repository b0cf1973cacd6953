// Compares s2sim's TCP transport (models/network/transport.hpp) with ns-3's packet-level
// TCP on the cases of issue 18: one point-to-point link (no loss, a device queue that
// never drops, no queue disc: ns-3's default FqCoDel is removed), initial cwnd 10,
// a send buffer of 4 MiB (the payload in flight; s2sim's max_window) and a receive buffer of 1 GB, TCP NewReno
//   - without delayed ACKs (DelAckCount = 1) against slow_start_growth = 2,
//   - with ns-3's default delayed ACKs (DelAckCount = 2) against slow_start_growth = 1.5,
// for a bulk transfer (the time from connect() to the last byte at the receiver) and a
// request/response on a fresh connection (1 KB request; the time from connect() to the
// response's last byte at the client), over sizes 1 KB .. 100 MB, one-way delays
// 0.5 .. 50 ms and 1 and 10 Gbit/s. Prints a Markdown table of times and relative
// errors. Built only on request: bench/ns3/run.sh (needs libns3-dev).
//
// Segments: ns-3's TCP adds 20 B of IP, 32 B of TCP (with timestamps) and 2 B of PPP to
// each segment, so ns-3 runs with SegmentSize 1448 (1500 B IP packets, no fragments)
// and s2sim with mss = 1448B and header = 54B.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ns3_side.hpp"

#include "models/network/flow_network.hpp"
#include "models/network/topology.hpp"
#include "models/network/transport.hpp"
#include "models/recorder.hpp"
#include "sim/simulation.hpp"

namespace {

using ns3_side::Case;
using ns3_side::request_bytes;
using ns3_side::run_ns3;
using ns3_side::segment;
constexpr double header = 54;  // IP 20 + TCP 32 (timestamps) + PPP 2



// ---- s2sim -----------------------------------------------------------------------

double run_s2sim(const Case& c) {
    using namespace s2sim::models;
    s2sim::Simulation sim;
    Topology topology;
    const NodeId a = topology.add_node("client", NodeKind::client);
    const NodeId b = topology.add_node("server", NodeKind::server);
    topology.add_link(a, b, c.gbps * 1e9 / 8, c.delay_s);
    FlowNetwork network(sim, topology);
    Recorder recorder;
    TcpModel tcp;
    tcp.mss = segment;
    tcp.header = header;
    tcp.initial_window = 10;
    // ns-3's send buffer bounds the payload in flight; s2sim's window counts wire bytes.
    tcp.max_window = ns3_side::send_buffer * (segment + header) / segment;
    tcp.slow_start_growth = c.delayed_acks ? 1.5 : 2.0;
    Transport transport(sim, network, topology, &tcp, {ConnectionPolicy{0}}, {"server"},
                        [](std::uint32_t, double, std::uint64_t) { return true; }, recorder,
                        s2sim::RandomStream(1, "ns3"));
    double done = -1;
    struct Ctx {
        Transport* t;
        s2sim::Simulation* sim;
        double* done;
        double response;
    };
    auto* ctx = new Ctx{&transport, &sim, &done, c.bytes};
    if (c.request_response) {
        transport.send_request(0, a, Transport::no_host, b, Transport::no_host, 0, request_bytes, nullptr,
                               [ctx](bool) {
                                   ctx->t->send_response(0, ctx->response, nullptr, [ctx](bool) {
                                       *ctx->done = ctx->sim->now().seconds();
                                   });
                               });
    } else {
        transport.send_request(0, a, Transport::no_host, b, Transport::no_host, 0, c.bytes, nullptr,
                               [ctx](bool) { *ctx->done = ctx->sim->now().seconds(); });
    }
    sim.run();
    delete ctx;
    return done;
}

std::string size_name(double bytes) {
    if (bytes >= 1e6) return std::to_string(static_cast<int>(bytes / 1e6)) + " MB";
    if (bytes >= 1e3) return std::to_string(static_cast<int>(bytes / 1e3)) + " KB";
    return std::to_string(static_cast<int>(bytes)) + " B";
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<double> sizes = {1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    std::vector<double> delays = {0.0005, 0.005, 0.05};
    std::vector<double> rates = {1, 10};
    if (argc > 1 && std::string(argv[1]) == "--quick") {
        sizes = {1e4, 1e6};
        delays = {0.005};
        rates = {10};
    }
    std::printf("| mode | ACKs (s2sim growth) | size | one-way | Gbit/s | ns-3 s | s2sim s | error |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    double worst[2][2] = {{0, 0}, {0, 0}};
    for (const bool request_response : {false, true}) {
        for (const bool delayed : {false, true}) {
            for (const double rate : rates) {
                for (const double delay : delays) {
                    for (const double size : sizes) {
                        const Case c{size, delay, rate, delayed, request_response};
                        const double ns3_s = run_ns3(c);
                        const double s2sim_s = run_s2sim(c);
                        const double error = (s2sim_s - ns3_s) / ns3_s;
                        double& w = worst[request_response][delayed];
                        if (std::abs(error) > std::abs(w)) w = error;
                        std::printf("| %s | %s | %s | %g ms | %g | %.6f | %.6f | %+.2f %% |\n",
                                    request_response ? "request/response" : "bulk",
                                    delayed ? "delayed (1.5)" : "every segment (2)", size_name(size).c_str(),
                                    delay * 1e3, rate, ns3_s, s2sim_s, 100 * error);
                        std::fflush(stdout);
                    }
                }
            }
        }
    }
    std::printf("\nlargest error: bulk %+.2f %% / %+.2f %%, request/response %+.2f %% / %+.2f %% "
                "(ACK every segment / delayed ACKs)\n",
                100 * worst[0][0], 100 * worst[0][1], 100 * worst[1][0], 100 * worst[1][1]);
    return 0;
}

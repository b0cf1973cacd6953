#include "scenario/network_summary.hpp"

#include <set>
#include <utility>

#include <fmt/format.h>

#include "scenario/builder.hpp"

namespace s2sim::scenario {

std::string describe_network(const Spec& spec) {
    models::SystemModel model = build(spec, spec.run.seed);
    if (!model.topology) {
        return "  network: none (no [[link]]): messages arrive at once, whatever their size\n";
    }
    models::Topology& topology = *model.topology;
    // The node pairs messages travel between, each direction once (a call and its response use two).
    std::set<std::pair<models::NodeId, models::NodeId>> routes;
    const auto add = [&](models::NodeId from, models::NodeId to, bool both_ways) {
        if (from == to) return;
        routes.emplace(from, to);
        if (both_ways) routes.emplace(to, from);
    };
    const auto server = [&](int index) { return topology.node(spec.servers[static_cast<std::size_t>(index)].name); };
    for (const ServiceSpec& s : spec.services) {
        for (const OpSpec& o : s.ops) {
            const auto add_call = [&](const CallSpec& c) {
                for (const int from : s.servers) {
                    for (const int to : spec.services[static_cast<std::size_t>(c.service)].servers) {
                        add(server(from), server(to), true);
                    }
                }
            };
            for (const CallStep& step : o.calls) {
                for (const CallSpec& c : step.calls) add_call(c);
            }
            for (const CallSpec& c : o.async_calls) add_call(c);
            if (o.replicate) {
                for (const int from : s.servers) {
                    for (const int to : o.replicate->to) {
                        add(server(from), server(to), true);  // acknowledgements come back, async too
                    }
                }
            }
        }
    }
    for (const WorkloadSpec& w : spec.workloads) {
        if (!w.from) continue;
        const models::NodeId client = topology.node(spec.clients[static_cast<std::size_t>(*w.from)].name);
        for (const int to : spec.services[static_cast<std::size_t>(w.to)].servers) add(client, server(to), true);
    }
    std::size_t max_hops = 0;
    double max_latency_s = 0;
    for (const auto& [from, to] : routes) {
        const models::Route& r = topology.route(from, to);
        max_hops = std::max(max_hops, r.links.size());
        max_latency_s = std::max(max_latency_s, r.latency_s);
    }
    std::string out = fmt::format("  network: {} link{}; messages are flows sharing link bandwidth max-min fairly\n",
                                  topology.link_count(), topology.link_count() == 1 ? "" : "s");
    if (spec.network.tcp) {
        const NetworkSpec& n = spec.network;
        static constexpr const char* tls[] = {"none", "1.3", "1.2"};
        out += fmt::format("  transport: tcp (tls {}, mss {:g} B, initial window {} segments, max window {:.0f} B, "
                           "header {:g} B, slow start x{:g} per round trip)\n",
                           tls[n.tls_round_trips], n.mss, n.initial_window, n.max_window, n.header, n.slow_start_growth);
    }
    out += fmt::format("  routes: {} in use (each direction between nodes that exchange messages), least latency first",
                       routes.size());
    if (!routes.empty()) {
        out += fmt::format("; longest: {} hop{}, {:.3f} ms", max_hops, max_hops == 1 ? "" : "s", 1e3 * max_latency_s);
    }
    return out + "\n";
}

}  // namespace s2sim::scenario

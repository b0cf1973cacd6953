#include "scenario/model_dot.hpp"

#include <cmath>
#include <map>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "sim/units.hpp"

namespace s2sim::scenario {
namespace {

std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '\n') {
            out += "\\n";  // DOT's line break
            continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

std::string call_label(const CallSpec& c, const std::string& step) {
    std::string label = step;
    if (c.probability < 1.0) label += fmt::format(" p={:g}", c.probability);
    if (c.timeout) label += " timeout " + units::format_time(*c.timeout);
    if (c.retries > 0) label += fmt::format(" retries {}", c.retries);
    return label;
}

std::string op_id(const std::string& service, const std::string& op) { return quoted(service + "." + op); }

}  // namespace

std::string topology_dot(const Spec& spec) {
    struct Node {
        std::string name;
        const char* shape;
        std::optional<std::string> site;
    };
    std::vector<Node> nodes;
    for (const ServerSpec& s : spec.servers) nodes.push_back({s.name, "box", s.site});
    for (const SwitchSpec& s : spec.switches) nodes.push_back({s.name, "diamond", s.site});
    for (const ClientSpec& c : spec.clients) nodes.push_back({c.name, "ellipse", c.site});
    std::vector<std::string> sites;  // first appearance order
    std::map<std::string, std::vector<const Node*>> by_site;
    std::string out = "graph topology {\n  node [fontsize=10];\n  edge [fontsize=8];\n";
    for (const Node& n : nodes) {
        if (!n.site) {
            out += fmt::format("  {} [shape={}];\n", quoted(n.name), n.shape);
            continue;
        }
        if (!by_site.contains(*n.site)) sites.push_back(*n.site);
        by_site[*n.site].push_back(&n);
    }
    for (std::size_t i = 0; i < sites.size(); ++i) {
        out += fmt::format("  subgraph {} {{\n    label={};\n    style=rounded;\n", quoted("cluster_" + sites[i]),
                           quoted(sites[i]));
        for (const Node* n : by_site[sites[i]]) out += fmt::format("    {} [shape={}];\n", quoted(n->name), n->shape);
        out += "  }\n";
    }
    for (const LinkSpec& l : spec.links) {
        std::string label = units::format_bandwidth(l.bandwidth_ab);
        if (l.bandwidth_ab != l.bandwidth_ba) label += " / " + units::format_bandwidth(l.bandwidth_ba);
        label += ", " + units::format_time(l.latency + l.distance / spec.network.propagation_speed);
        out += fmt::format("  {} -- {} [label={}];\n", quoted(spec.node_name(l.a)), quoted(spec.node_name(l.b)),
                           quoted(label));
    }
    out += "}\n";
    return out;
}

std::string calls_dot(const Spec& spec) {
    std::string out = "digraph calls {\n  rankdir=LR;\n  node [fontsize=10, shape=box, style=rounded];\n"
                      "  edge [fontsize=8];\n";
    for (const ServiceSpec& s : spec.services) {
        out += fmt::format("  subgraph {} {{\n    label={};\n    style=rounded;\n", quoted("cluster_" + s.name),
                           quoted(fmt::format("{} ({} servers, {})", s.name, s.servers.size(), s.balancer.policy)));
        for (const OpSpec& o : s.ops) {
            out += fmt::format("    {} [label={}];\n", op_id(s.name, o.name), quoted(o.name + "\nwork " + o.work.text));
        }
        out += "  }\n";
    }
    for (const WorkloadSpec& w : spec.workloads) {
        const ServiceSpec& entry = spec.services.at(static_cast<std::size_t>(w.to));
        out += fmt::format("  {} [shape=ellipse, style=filled, fillcolor=lightyellow, label={}];\n",
                           quoted("workload " + w.name), quoted(w.name + "\n" + w.arrival.text));
        for (const MixEntry& e : w.mix) {
            out += fmt::format("  {} -> {} [label={}];\n", quoted("workload " + w.name),
                               op_id(entry.name, entry.ops.at(static_cast<std::size_t>(e.op)).name),
                               quoted(fmt::format("{:.3g}%", 100 * e.weight)));
        }
    }
    bool replicas = false;
    for (const ServiceSpec& s : spec.services) {
        for (const OpSpec& o : s.ops) {
            for (std::size_t i = 0; i < o.calls.size(); ++i) {
                const CallStep& step = o.calls[i];
                for (std::size_t k = 0; k < step.calls.size(); ++k) {
                    const CallSpec& c = step.calls[k];
                    // parallel calls of one step share its number: 2a, 2b, ...
                    std::string number = std::to_string(i + 1);
                    if (step.calls.size() > 1) number += static_cast<char>('a' + static_cast<int>(k % 26));
                    const ServiceSpec& to = spec.services.at(static_cast<std::size_t>(c.service));
                    out += fmt::format("  {} -> {} [label={}{}];\n", op_id(s.name, o.name),
                                       op_id(to.name, to.ops.at(static_cast<std::size_t>(c.op)).name),
                                       quoted(call_label(c, number)),
                                       c.probability < 1.0 || !c.required ? ", style=dotted" : "");
                }
            }
            for (const CallSpec& c : o.async_calls) {
                const ServiceSpec& to = spec.services.at(static_cast<std::size_t>(c.service));
                out += fmt::format("  {} -> {} [label={}, style=dashed];\n", op_id(s.name, o.name),
                                   op_id(to.name, to.ops.at(static_cast<std::size_t>(c.op)).name),
                                   quoted(call_label(c, "async")));
            }
            if (!o.replicate) continue;
            replicas = true;
            for (const int r : o.replicate->to) {
                out += fmt::format("  {} -> {} [label={}, style=dotted, color=gray40];\n", op_id(s.name, o.name),
                                   quoted("replica " + spec.servers.at(static_cast<std::size_t>(r)).name),
                                   quoted(fmt::format("replicate {}", to_string(o.replicate->mode))));
            }
        }
    }
    if (replicas) {
        for (const ServiceSpec& s : spec.services) {
            for (const OpSpec& o : s.ops) {
                if (!o.replicate) continue;
                for (const int r : o.replicate->to) {
                    const std::string& name = spec.servers.at(static_cast<std::size_t>(r)).name;
                    out += fmt::format("  {} [shape=cylinder, style=\"\", label={}];\n", quoted("replica " + name),
                                       quoted(name));
                }
            }
        }
    }
    out += "}\n";
    return out;
}

}  // namespace s2sim::scenario

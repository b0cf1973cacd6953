#include "scenario/spec.hpp"

#include <fmt/format.h>

namespace s2sim::scenario {

const std::string& Spec::node_name(NodeRef node) const {
    switch (node.kind) {
        case NodeKind::server: return servers.at(static_cast<std::size_t>(node.index)).name;
        case NodeKind::switch_: return switches.at(static_cast<std::size_t>(node.index)).name;
        case NodeKind::client: return clients.at(static_cast<std::size_t>(node.index)).name;
    }
    throw Error("invalid node kind");
}

namespace {
template <class Items>
int find_by_name(const Items& items, std::string_view name) {
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].name == name) return static_cast<int>(i);
    }
    return -1;
}
}  // namespace

int Spec::find_server(std::string_view name) const { return find_by_name(servers, name); }
int Spec::find_service(std::string_view name) const { return find_by_name(services, name); }
int Spec::find_client(std::string_view name) const { return find_by_name(clients, name); }

const char* to_string(Discipline d) {
    switch (d) {
        case Discipline::fcfs: return "fcfs";
        case Discipline::ps: return "ps";
        case Discipline::priority: return "priority";
    }
    return "?";
}

const char* to_string(ReplicationMode m) {
    switch (m) {
        case ReplicationMode::sync: return "sync";
        case ReplicationMode::quorum: return "quorum";
        case ReplicationMode::async: return "async";
    }
    return "?";
}

const char* to_string(EventAction a) {
    switch (a) {
        case EventAction::fail: return "fail";
        case EventAction::recover: return "recover";
        case EventAction::slow: return "slow";
    }
    return "?";
}

const char* to_string(NodeKind k) {
    switch (k) {
        case NodeKind::server: return "server";
        case NodeKind::switch_: return "switch";
        case NodeKind::client: return "client";
    }
    return "?";
}

namespace {
std::string plural(std::size_t n, const char* one, const char* many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}
}  // namespace

std::string summarize(const Spec& spec) {
    std::size_t ops = 0;
    for (const auto& s : spec.services) ops += s.ops.size();
    std::string out = fmt::format("scenario '{}': {:g} s measured", spec.run.name, spec.run.duration);
    if (spec.run.warmup_auto) {
        out += " after an automatic warm-up";
    } else if (spec.run.warmup > 0) {
        out += fmt::format(" after {:g} s of warm-up", spec.run.warmup);
    }
    out += fmt::format(", {}, seed {}\n", plural(static_cast<std::size_t>(spec.run.replications),
                                                 "replication", "replications"),
                       spec.run.seed);
    out += fmt::format("  {} in {}, {}, {}, {}\n", plural(spec.servers.size(), "server", "servers"),
                       plural(spec.groups.size(), "group", "groups"),
                       plural(spec.switches.size(), "switch", "switches"),
                       plural(spec.clients.size(), "client", "clients"),
                       plural(spec.links.size(), "link", "links"));
    out += fmt::format("  {} with {}, {}, {}, {}\n", plural(spec.services.size(), "service", "services"),
                       plural(ops, "op", "ops"), plural(spec.workloads.size(), "workload", "workloads"),
                       plural(spec.events.size(), "event", "events"),
                       plural(spec.failures.size(), "random failure", "random failures"));
    return out;
}

}  // namespace s2sim::scenario

// The servers and their thread pools (System's part for [servers] and `threads`).
#include "models/system/hosts.hpp"

#include <algorithm>

namespace s2sim::models::system {

Hosts::Hosts(Context& context, JobListener& listener) {
    hosts_.reserve(context.model.hosts.size());
    for (const HostModel& h : context.model.hosts) {
        Host host;
        host.server = std::make_unique<Server>(context.sim, h.server, listener);
        // Without a network no message travels: no_node then, so that a send tests its two
        // ends only, not the network too (CallEngine::deliver()).
        host.node = context.network != nullptr ? h.node.value_or(no_node) : no_node;
        host.threads = h.threads;
        host.site = h.site;
        hosts_.push_back(std::move(host));
    }
}

std::string Hosts::saturated_servers() const {
    std::vector<std::pair<std::size_t, std::uint32_t>> queues;
    for (std::uint32_t h = 0; h < hosts_.size(); ++h) {
        const Host& host = hosts_[h];
        const std::size_t waiting = host.server->waiting() + (host.pending.size() - host.pending_head);
        if (waiting > 0) queues.emplace_back(waiting, h);
    }
    std::sort(queues.begin(), queues.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::string out;
    for (std::size_t i = 0; i < std::min<std::size_t>(queues.size(), 3); ++i) {
        if (i > 0) out += ", ";
        out += "'" + hosts_[queues[i].second].server->name() + "' " + std::to_string(queues[i].first) + " waiting";
    }
    return out.empty() ? "none: calls are held in the network" : out;
}

}  // namespace s2sim::models::system

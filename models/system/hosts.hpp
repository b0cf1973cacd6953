#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/server.hpp"
#include "models/system/context.hpp"

namespace s2sim::models::system {

/// A server, where it sits, and its thread pool (ops held at once, running or waiting on
/// their calls; the calls beyond it wait in `pending`). What a call's request, admission and
/// response read comes first, on one cache line (the struct is 64-byte aligned); the health
/// checks' fields follow.
struct alignas(64) Host {
    std::unique_ptr<Server> server;
    NodeId node = no_node;  ///< HostModel::node; no_node without one or without a network
    std::uint32_t site = 0;
    std::optional<std::uint32_t> threads;
    std::uint32_t active = 0;  ///< ops holding a thread
    /// load_views is not empty: tested on every change of `active` without reading the vector
    /// (on the next line).
    bool reads_load = false;
    /// Calls waiting for a thread (FIFO ring from pending_head); emptied whenever the head
    /// reaches its end, so that "calls wait" is !pending.empty().
    std::vector<std::uint32_t> pending;
    std::size_t pending_head = 0;
    std::uint32_t epoch = 0;  ///< bumped at each failure and recovery (health checks)
    /// (service, backend index) of every service this host serves (health checks).
    std::vector<std::pair<std::uint32_t, std::uint32_t>> memberships;
    /// The memberships whose balancer reads the server's load
    /// (Balancer::reads_server_load): the views ServicePools::refresh_views() keeps current.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> load_views;

    /// The call that waited longest for a thread, taken off the queue; none if no call waits.
    std::uint32_t next_waiting() {
        if (pending_head >= pending.size()) return none;
        const std::uint32_t next = pending[pending_head++];
        if (pending_head == pending.size()) {
            pending.clear();
            pending_head = 0;
        }
        return next;
    }
};

/// The servers of the system (one per SystemModel::hosts entry, same index) with their
/// thread pools. Jobs the servers finish or drop go to `listener` (the call engine).
class Hosts {
public:
    Hosts(Context& context, JobListener& listener);

    [[nodiscard]] Host& operator[](std::uint32_t h) { return hosts_[h]; }
    [[nodiscard]] const Host& operator[](std::uint32_t h) const { return hosts_[h]; }
    [[nodiscard]] std::uint32_t size() const { return static_cast<std::uint32_t>(hosts_.size()); }
    [[nodiscard]] auto begin() { return hosts_.begin(); }
    [[nodiscard]] auto end() { return hosts_.end(); }
    [[nodiscard]] auto begin() const { return hosts_.begin(); }
    [[nodiscard]] auto end() const { return hosts_.end(); }

    /// "'db-1' 812 waiting, 'web-2' 40 waiting": the servers with the longest queues now.
    [[nodiscard]] std::string saturated_servers() const;

private:
    std::vector<Host> hosts_;
};

}  // namespace s2sim::models::system

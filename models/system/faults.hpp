#pragma once
#include <cstdint>
#include <vector>

#include "models/system/context.hpp"
#include "sim/random.hpp"

namespace s2sim::models::system {

class CallEngine;
class Hosts;
class ServicePools;

/// Failures, recoveries and slow-downs of servers and links: the scheduled events
/// ([[event]]) and the random failures ([[failure]]). A failed server loses the calls it
/// holds; its services' health checks notice after their delay.
class Faults {
public:
    Faults(Context& context, Hosts& hosts, ServicePools& pools, CallEngine& engine);

    /// Schedules the events and the first random failures (before the run starts).
    void schedule();

private:
    void apply_fault(std::uint32_t event, bool revert);
    void schedule_random_failure(std::uint32_t index, bool fail_next);
    void fail_host(std::uint32_t host);
    void recover_host(std::uint32_t host);
    void fail_links(const std::vector<std::uint32_t>& links);
    void restore_links(const std::vector<std::uint32_t>& links);
    void set_link_up(LinkId link, bool up);

    Context& context_;
    Hosts& hosts_;
    ServicePools& services_;
    CallEngine& calls_;
    std::vector<double> base_capacity_;  ///< per directed link, as built: `slow` divides it, reverting restores it
    std::vector<RandomStream> failure_rng_;  ///< per [[failure]] entry: "failure/<server>"
    /// Figure `up` (1 while up, 0 while failed) added to the servers' and the link
    /// directions' rows; empty unless something can fail them.
    std::vector<Recorder::Level> server_up_;
    std::vector<Recorder::Level> link_up_;  ///< per directed link
};

}  // namespace s2sim::models::system

// Failures, recoveries and slow-downs of servers and links (System's part for
// [[event]] and [[failure]]).
#include "models/system/faults.hpp"

#include <utility>

#include "models/system/call_engine.hpp"
#include "models/system/hosts.hpp"
#include "models/system/service_pools.hpp"

namespace s2sim::models::system {

Faults::Faults(Context& context, Hosts& hosts, ServicePools& pools, CallEngine& engine)
    : context_(context), hosts_(hosts), services_(pools), calls_(engine) {
    if (context.model.topology) {
        const Topology& topology = *context.model.topology;
        for (DirectedLinkId d = 0; d < topology.directed_link_count(); ++d) {
            base_capacity_.push_back(topology.capacity(d));
        }
    }
    // Availability, as a figure of the core tables' rows, when something can fail.
    bool servers_fail = !context.model.failures.empty(), links_fail = false;
    for (const FaultEvent& event : context.model.events) {
        if (event.action == FaultAction::slow) continue;
        (event.host ? servers_fail : links_fail) = true;
    }
    const auto declare = [&context](const char* table, const char* row_key, const char* brief) {
        return context.recorder.add_table(table, row_key, {{"up", "fraction", FigureKind::level, brief}}, true);
    };
    if (servers_fail) {
        const Recorder::TableId t =
            declare("servers", "server", "fraction of the time the server was up (not failed by an [[event]] or [[failure]])");
        for (const HostModel& host : context.model.hosts) {
            server_up_.push_back(context.recorder.level(t, context.recorder.add_row(t, host.server.name), 0));
            server_up_.back().set(Time::zero(), 1.0);
        }
    }
    if (links_fail && context.network) {
        const Topology& topology = *context.model.topology;
        const Recorder::TableId t =
            declare("links", "link", "fraction of the time the link was up (not failed by an [[event]])");
        for (DirectedLinkId d = 0; d < topology.directed_link_count(); ++d) {
            link_up_.push_back(context.recorder.level(t, context.recorder.add_row(t, topology.directed_link_name(d)), 0));
            link_up_.back().set(Time::zero(), 1.0);
        }
    }
}

void Faults::set_link_up(LinkId link, bool up) {
    if (link_up_.empty()) return;
    for (const Direction direction : {Direction::a_to_b, Direction::b_to_a}) {
        link_up_[Topology::directed_link(link, direction)].set(context_.sim.now(), up ? 1.0 : 0.0);
    }
}

void Faults::schedule() {
    for (std::uint32_t e = 0; e < context_.model.events.size(); ++e) {
        const FaultEvent& event = context_.model.events[e];
        const Time at = Time::from_seconds(event.at_s);
        if (at > context_.end) continue;
        context_.sim.schedule_at(at, [this, e] { apply_fault(e, false); });
        if (event.duration_s && event.action != FaultAction::recover) {
            const Time back = at + Time::from_seconds(*event.duration_s);
            if (back <= context_.end) context_.sim.schedule_at(back, [this, e] { apply_fault(e, true); });
        }
    }
    for (std::uint32_t f = 0; f < context_.model.failures.size(); ++f) {
        const RandomFailures& rf = context_.model.failures[f];
        failure_rng_.emplace_back(context_.model.seed, "failure/" + context_.model.hosts[rf.host].server.name);
        schedule_random_failure(f, true);
    }
}

void Faults::apply_fault(std::uint32_t e, bool revert) {
    const FaultEvent& event = context_.model.events[e];
    if (event.host) {
        const std::uint32_t h = *event.host;
        switch (event.action) {
            case FaultAction::fail:
                revert ? recover_host(h) : fail_host(h);
                break;
            case FaultAction::recover:
                recover_host(h);
                break;
            case FaultAction::slow: {
                const double speed = context_.model.hosts[h].server.speed;
                hosts_[h].server->set_speed(revert ? speed : speed / event.factor);
                break;
            }
        }
        return;
    }
    switch (event.action) {
        case FaultAction::fail:
            revert ? restore_links(event.links) : fail_links(event.links);
            break;
        case FaultAction::recover:
            restore_links(event.links);
            break;
        case FaultAction::slow:
            // Bandwidth divided by the factor in both directions; reverting restores it.
            for (const LinkId link : event.links) {
                const double divisor = revert ? 1.0 : event.factor;
                context_.network->set_link_capacity(
                    link, base_capacity_[Topology::directed_link(link, Direction::a_to_b)] / divisor,
                    base_capacity_[Topology::directed_link(link, Direction::b_to_a)] / divisor);
            }
            break;
    }
}

void Faults::schedule_random_failure(std::uint32_t f, bool fail_next) {
    const RandomFailures& rf = context_.model.failures[f];
    RandomStream& rng = failure_rng_[f];
    const double wait = (fail_next ? rf.mtbf : rf.mttr)->sample(rng);
    const Time at = context_.sim.now() + Time::from_seconds(wait);
    if (at > context_.end) return;
    context_.sim.schedule_at(at, [this, f, fail_next] {
        const std::uint32_t h = context_.model.failures[f].host;
        if (fail_next) {
            fail_host(h);
        } else {
            recover_host(h);
        }
        // In the log, for reports and the time series' plots to mark (scheduled [[event]]s
        // are in TimeSeries::events already).
        const std::string& server = context_.model.hosts[h].server.name;
        context_.recorder.log(context_.sim.now(), "failures", server, fail_next ? "fail" : "recover",
                              (fail_next ? "random failure of server '" : "random recovery of server '") + server +
                                  "'");
        schedule_random_failure(f, !fail_next);
    });
}

void Faults::fail_host(std::uint32_t h) {
    Host& host = hosts_[h];
    if (!host.server->up()) return;
    // The calls the server holds outside its cores: waiting for a thread, for their
    // calls or for replicas. Collected first (with their generations: failing one may
    // finish and free another when there is no network), then failed.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> lost;
    for (std::size_t i = host.pending_head; i < host.pending.size(); ++i) {
        lost.emplace_back(host.pending[i], calls_[host.pending[i]].generation);
    }
    host.pending.clear();
    host.pending_head = 0;
    for (std::uint32_t id = 0; id < calls_.size(); ++id) {
        const Call& c = calls_[id];
        if (c.host == h && (c.state == State::waiting || c.state == State::replicating)) {
            lost.emplace_back(id, c.generation);
        }
    }
    // Jobs on the cores and in the queue are dropped: CallEngine::job_dropped() fails them.
    host.server->fail();
    if (!server_up_.empty()) server_up_[h].set(context_.sim.now(), 0.0);
    for (const auto& [id, generation] : lost) {
        const Call& c = calls_[id];
        if (c.generation != generation || c.host != h) continue;
        if (c.state != State::queued && c.state != State::waiting && c.state != State::replicating) continue;
        calls_[id].failure = Failure::failed;
        calls_.respond(id);
    }
    ++host.epoch;
    services_.refresh_views(host);
    services_.schedule_health(h, false);
}

void Faults::recover_host(std::uint32_t h) {
    Host& host = hosts_[h];
    if (host.server->up()) return;
    host.server->recover();
    if (!server_up_.empty()) server_up_[h].set(context_.sim.now(), 1.0);
    ++host.epoch;
    services_.refresh_views(host);
    services_.schedule_health(h, true);
}

void Faults::fail_links(const std::vector<std::uint32_t>& links) {
    if (!context_.network) return;
    for (const std::uint32_t l : links) {
        if (context_.model.topology->link_up(l)) {
            context_.network->fail_link(l);
            set_link_up(l, false);
        }
    }
}

void Faults::restore_links(const std::vector<std::uint32_t>& links) {
    if (!context_.network) return;
    for (const std::uint32_t l : links) {
        if (!context_.model.topology->link_up(l)) {
            context_.network->restore_link(l);
            set_link_up(l, true);
        }
    }
}

}  // namespace s2sim::models::system

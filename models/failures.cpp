// Failures, recoveries and slow-downs of servers and links (System's part for
// [[event]] and [[failure]]), and the retry budget.
#include "models/failures.hpp"

#include <algorithm>

#include "models/elastic/elasticity.hpp"
#include "models/system.hpp"
#include "sim/error.hpp"

namespace s2sim::models {

RetryBudget::Bucket& RetryBudget::bucket(Time now) {
    const std::int64_t second = now.ns() / 1'000'000'000;
    Bucket& b = ring_[static_cast<std::size_t>(second) % buckets];
    if (b.second != second) b = Bucket{second, 0, 0};  // a bucket older than the window: start afresh
    return b;
}

bool RetryBudget::try_retry(Time now) {
    Bucket& current = bucket(now);
    const std::int64_t second = current.second;
    double calls = 0, retries = 0;
    for (const Bucket& b : ring_) {
        if (b.second > second - static_cast<std::int64_t>(buckets)) {
            calls += b.calls;
            retries += b.retries;
        }
    }
    if (retries + 1 > ratio_ * calls) return false;
    current.retries += 1;
    return true;
}

void System::schedule_faults() {
    for (std::uint32_t e = 0; e < model_.events.size(); ++e) {
        const FaultEvent& event = model_.events[e];
        const Time at = Time::from_seconds(event.at_s);
        if (at > end_) continue;
        sim_.schedule_at(at, [this, e] { apply_fault(e, false); });
        if (event.duration_s && event.action != FaultAction::recover) {
            const Time back = at + Time::from_seconds(*event.duration_s);
            if (back <= end_) sim_.schedule_at(back, [this, e] { apply_fault(e, true); });
        }
    }
    for (std::uint32_t f = 0; f < model_.failures.size(); ++f) {
        const RandomFailures& rf = model_.failures[f];
        failure_rng_.emplace_back(model_.seed, "failure/" + model_.hosts[rf.host].server.name);
        schedule_random_failure(f, true);
    }
}

void System::apply_fault(std::uint32_t e, bool revert) {
    const FaultEvent& event = model_.events[e];
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
                const double speed = model_.hosts[h].server.speed;
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
                network_->set_link_capacity(
                    link, base_capacity_[Topology::directed_link(link, Direction::a_to_b)] / divisor,
                    base_capacity_[Topology::directed_link(link, Direction::b_to_a)] / divisor);
            }
            break;
    }
}

void System::schedule_random_failure(std::uint32_t f, bool fail_next) {
    const RandomFailures& rf = model_.failures[f];
    RandomStream& rng = failure_rng_[f];
    const double wait = (fail_next ? rf.mtbf : rf.mttr)->sample(rng);
    const Time at = sim_.now() + Time::from_seconds(wait);
    if (at > end_) return;
    sim_.schedule_at(at, [this, f, fail_next] {
        const std::uint32_t h = model_.failures[f].host;
        if (fail_next) {
            fail_host(h);
        } else {
            recover_host(h);
        }
        schedule_random_failure(f, !fail_next);
    });
}

void System::fail_host(std::uint32_t h) {
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
    // Jobs on the cores and in the queue are dropped: job_dropped() fails them.
    host.server->fail();
    for (const auto& [id, generation] : lost) {
        const Call& c = calls_[id];
        if (c.generation != generation || c.host != h) continue;
        if (c.state != State::queued && c.state != State::waiting && c.state != State::replicating) continue;
        calls_[id].failure = Failure::failed;
        respond(id);
    }
    ++host.epoch;
    refresh_views(host);
    schedule_health(h, false);
}

void System::recover_host(std::uint32_t h) {
    Host& host = hosts_[h];
    if (host.server->up()) return;
    host.server->recover();
    ++host.epoch;
    refresh_views(host);
    schedule_health(h, true);
}

void System::schedule_health(std::uint32_t h, bool healthy) {
    const std::uint32_t epoch = hosts_[h].epoch;
    for (const auto& [service, index] : hosts_[h].memberships) {
        const Time delay = Time::from_seconds(services_[service].model->health_check_s);
        const std::uint32_t s = service;
        const std::uint32_t i = index;
        // Health checks notice the change after the service's delay, unless it was undone meanwhile.
        sim_.schedule_in(delay, [this, h, epoch, s, i, healthy] {
            if (hosts_[h].epoch != epoch) return;
            services_[s].views[i].healthy = elastic_ ? elastic_->health(s, i, healthy) : healthy;
            services_[s].balancer->on_view_changed(i, services_[s].views[i]);
        });
    }
}

void System::fail_links(const std::vector<std::uint32_t>& links) {
    if (!network_) return;
    for (const std::uint32_t l : links) {
        if (model_.topology->link_up(l)) network_->fail_link(l);
    }
}

void System::restore_links(const std::vector<std::uint32_t>& links) {
    if (!network_) return;
    for (const std::uint32_t l : links) {
        if (!model_.topology->link_up(l)) network_->restore_link(l);
    }
}

}  // namespace s2sim::models

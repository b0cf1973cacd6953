// Hedged requests: HedgeGroups, and the System's part (launching hedges, resolving a hedged
// call, cancelling attempts at their servers).
#include "models/hedging.hpp"

#include <algorithm>
#include <cmath>

#include "models/system/call_engine.hpp"
#include "models/system/hosts.hpp"
#include "models/system/service_pools.hpp"
#include "sim/error.hpp"

namespace s2sim::models {

std::uint64_t HedgeModel::samples_needed() const {
    return static_cast<std::uint64_t>(std::ceil(10.0 / (1.0 - percentile) - 1e-9));
}

HedgeGroups::HedgeGroups(Recorder& recorder, const std::vector<std::string>& service_names,
                         const std::vector<bool>& hedged) {
    const Recorder::TableId table = recorder.add_table(
        "hedging", "service",
        {{"hedges", "attempts", FigureKind::counter, "hedges sent to the service"},
         {"hedge_wins", "calls", FigureKind::counter, "calls a hedge answered first"},
         {"cancelled", "attempts", FigureKind::counter, "attempts cancelled because another answered first"}},
        true);
    rows_.resize(service_names.size());
    for (std::size_t s = 0; s < service_names.size(); ++s) {
        if (!hedged[s]) continue;
        const Recorder::RowId row = recorder.add_row(table, service_names[s]);
        rows_[s] = Row{recorder.counter(table, row, 0), recorder.counter(table, row, 1), recorder.counter(table, row, 2)};
    }
}

std::uint32_t HedgeGroups::open(std::uint32_t parent, std::uint32_t parent_generation, const CallModel* via, Time now) {
    std::uint32_t id = free_;
    if (id != none) {
        free_ = groups_[id].next_free;
    } else {
        groups_.emplace_back();
        id = static_cast<std::uint32_t>(groups_.size() - 1);
    }
    Group& g = groups_[id];
    g.parent = parent;
    g.parent_generation = parent_generation;
    g.via = via;
    g.in_flight = 0;
    g.sent = 0;
    g.open = true;
    g.timer = EventId{};
    g.started = now;
    return id;
}

void HedgeGroups::close(std::uint32_t group) {
    Group& g = groups_[group];
    g.open = false;
    ++g.generation;
    g.next_free = free_;
    free_ = group;
}

void HedgeGroups::add_attempt(std::uint32_t group, std::uint32_t call, std::uint32_t generation) {
    Group& g = groups_[group];
    g.attempts[g.in_flight] = call;
    g.attempt_generations[g.in_flight] = generation;
    ++g.in_flight;
}

bool HedgeGroups::remove_attempt(std::uint32_t group, std::uint32_t call) {
    Group& g = groups_[group];
    for (std::uint16_t i = 0; i < g.in_flight; ++i) {
        if (g.attempts[i] != call) continue;
        --g.in_flight;
        g.attempts[i] = g.attempts[g.in_flight];
        g.attempt_generations[i] = g.attempt_generations[g.in_flight];
        return true;
    }
    return false;
}

std::optional<double> HedgeGroups::delay(const CallModel& via) {
    const HedgeModel& hedge = *via.hedge;
    if (hedge.percentile <= 0) return hedge.after_s;
    return observed_[&via].delay;
}

void HedgeGroups::observe(const CallModel& via, double latency_s) {
    const HedgeModel& hedge = *via.hedge;
    if (hedge.percentile <= 0) return;
    Observed& o = observed_[&via];
    o.latency.record(latency_s);
    // A quantile reads the histogram's buckets: refreshed every few observations, not each.
    if (o.latency.count() < hedge.samples_needed()) return;
    if (o.delay && ++o.since_update < refresh) return;
    o.since_update = 0;
    o.delay = o.latency.quantile(hedge.percentile);
}

namespace system {

void CallEngine::launch_hedged(std::uint32_t parent, const CallModel& c) {
    ++calls_[parent].outstanding;
    const std::uint32_t parent_generation = calls_[parent].generation;
    const std::uint32_t group = hedges_->open(parent, parent_generation, &c, context_.sim.now());
    const std::uint32_t generation = (*hedges_)[group].generation;
    (*hedges_)[group].sent = 1;
    launch_attempt(parent, parent_generation, &c, 0, group);
    // Without a network the attempt may have ended already (refused), closing the group.
    if (hedges_->alive(group, generation)) arm_hedge(group);
}

void CallEngine::arm_hedge(std::uint32_t group) {
    HedgeGroups::Group& g = (*hedges_)[group];
    if (g.sent > g.via->hedge->max) return;  // every hedge sent
    const std::optional<double> delay = hedges_->delay(*g.via);
    if (!delay) return;
    const std::uint32_t generation = g.generation;
    g.timer = context_.sim.schedule_in(Time::from_seconds(*delay), [this, group, generation] {
        if (!hedges_->alive(group, generation)) return;
        (*hedges_)[group].timer = EventId{};
        send_hedge(group);
    });
}

void CallEngine::send_hedge(std::uint32_t group) {
    HedgeGroups::Group& g = (*hedges_)[group];
    if (g.sent > g.via->hedge->max) return;
    const std::uint32_t parent = g.parent;
    const std::uint32_t parent_generation = g.parent_generation;
    const CallModel* via = g.via;
    if (!waiting(parent, parent_generation, State::waiting)) return;
    // A throttled hedge is not sent, nor are the later hedges of this call.
    if (RetryThrottles* throttle = throttle_of(via->service);
        throttle != nullptr &&
        !throttle->allows(calls_[parent].host, context_.sim.now())) {
        return;
    }
    const auto attempt = static_cast<std::uint16_t>(g.sent);
    ++g.sent;
    const std::uint32_t generation = g.generation;
    hedges_->count_hedge(via->service);
    launch_attempt(parent, parent_generation, via, attempt, group);
    if (hedges_->alive(group, generation)) arm_hedge(group);
}

void CallEngine::hedged_attempt_done(std::uint32_t id, const Call& attempt, Failure failure) {
    const std::uint32_t group = attempt.group;
    hedges_->remove_attempt(group, id);
    HedgeGroups::Group& g = (*hedges_)[group];
    const std::uint32_t parent = g.parent;
    const CallModel* via = g.via;
    const std::uint32_t generation = g.generation;
    const auto close = [this, group] {
        HedgeGroups::Group& gr = (*hedges_)[group];
        if (gr.timer.valid()) context_.sim.cancel(gr.timer);
        gr.timer = EventId{};
        hedges_->close(group);
    };
    if (!waiting(parent, g.parent_generation, State::waiting)) {
        // The caller is gone (its server failed, or it was cancelled itself): the group ends
        // with its last attempt.
        if (g.in_flight == 0) close();
        return;
    }
    calls_[parent].retries += attempt.retries;
    if (RetryThrottles* throttle = throttle_of(via->service)) {
        throttle->record(calls_[parent].host, failure == Failure::none, context_.sim.now());
    }
    if (failure == Failure::none) {
        hedges_->observe(*via, (context_.sim.now() - g.started).seconds());
        if (attempt.attempt > 0) hedges_->count_win(via->service);
        const auto others = g.attempts;
        const auto other_generations = g.attempt_generations;
        const std::uint16_t count = g.in_flight;
        close();
        for (std::uint16_t i = 0; i < count; ++i) {
            if (calls_[others[i]].generation == other_generations[i]) cancel_attempt(others[i]);
        }
        finish_attempts(parent, via, Failure::none);
        return;
    }
    // A failed attempt sends the next hedge at once (as gRPC does), if any is left.
    if (g.timer.valid()) {
        context_.sim.cancel(g.timer);
        g.timer = EventId{};
    }
    send_hedge(group);
    if (!hedges_->alive(group, generation)) return;  // resolved meanwhile (no network)
    if ((*hedges_)[group].in_flight > 0) {
        if (!(*hedges_)[group].timer.valid()) arm_hedge(group);
        return;  // the others may still succeed
    }
    close();
    finish_attempts(parent, via, failure);
}

void CallEngine::cancel_attempt(std::uint32_t id) {
    Call& call = calls_[id];
    if (call.timeout.valid()) {
        context_.sim.cancel(call.timeout);
        call.timeout = EventId{};
    }
    call.group = none;
    hedges_->count_cancelled(call.service);
    Host* host = call.host != none ? &hosts_[call.host] : nullptr;
    switch (call.state) {
        case State::free: return;
        case State::requesting:
            // The cancel overtakes the request: the server drops it on arrival.
            call.detached = true;
            call.cancelled = true;
            return;
        case State::replicating:  // the write is committed: it completes, its answer unread
        case State::responding:
            call.detached = true;
            return;
        case State::queued: {
            const auto at = std::find(host->pending.begin() + static_cast<std::ptrdiff_t>(host->pending_head),
                                      host->pending.end(), id);
            if (at != host->pending.end()) host->pending.erase(at);
            if (host->pending_head == host->pending.size()) {
                host->pending.clear();
                host->pending_head = 0;
            }
            services_.refresh_views(*host);
            discard_attempt(id);
            return;
        }
        case State::working:
        case State::working_after:
            (void)host->server->cancel((std::uint64_t{id} << 1) | (call.state == State::working_after ? 1 : 0));
            [[fallthrough]];
        case State::waiting:
            // Its own calls in flight carry on, their answers unread (nobody waits for them).
            if (call.holds_thread) {
                call.holds_thread = false;
                release_thread(*host);
            }
            discard_attempt(id);
            return;
    }
}

void CallEngine::discard_attempt(std::uint32_t id) {
    const Call& call = calls_[id];
    if (call.host != none) {
        Service& service = services_[call.service];
        --service.views[call.backend].in_flight;
        service.balancer->on_view_changed(call.backend, service.views[call.backend]);
    }
    free_call(id);
}

}  // namespace system

}  // namespace s2sim::models

// Autoscaling, outlier ejection, load shedding and concurrency limits (docs/elasticity.md).
#include "models/elastic/elasticity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim::models {

const char* scale_metric_name(ScaleMetric metric) {
    switch (metric) {
        case ScaleMetric::utilization: return "utilization";
        case ScaleMetric::queue: return "queue";
        case ScaleMetric::in_flight: return "in_flight";
        case ScaleMetric::latency_p99: return "latency_p99";
    }
    return "?";
}

Elasticity::Elasticity(Simulation& sim, Recorder& recorder) : sim_(sim), recorder_(recorder) {}

void Elasticity::add_service(const std::string& name, const ElasticModel& model, std::vector<ServerView>& views,
                             Balancer& balancer, std::vector<const Server*> servers) {
    Service s;
    s.name = name;
    s.views = &views;
    s.balancer = &balancer;
    s.servers = std::move(servers);
    const auto n = static_cast<std::uint32_t>(views.size());
    const auto fail = [&](const std::string& what) { throw Error("service '" + name + "': " + what); };
    if (model.autoscale || model.outlier) s.out.assign(n, 0);
    if (model.autoscale) {
        const AutoscaleModel& a = *model.autoscale;
        if (!(a.target > 0) || !std::isfinite(a.target)) fail("autoscale target must be positive");
        if (a.min < 1 || a.min > a.max || a.max != n || a.initial < a.min || a.initial > a.max) {
            fail(fmt::format("autoscale needs 1 <= min ({}) <= servers ({}) <= max ({}) == backends ({})", a.min,
                             a.initial, a.max, n));
        }
        if (!(a.interval_s > 0) || !(a.rate_period_s > 0) || !(a.boot_s >= 0) || !(a.stabilization_s >= 0) ||
            !(a.tolerance >= 0) || !(a.up_percent >= 0) || !(a.down_percent >= 0) || !(a.down_percent <= 100)) {
            fail("autoscale times, tolerance and percentages out of range");
        }
        if (autoscale_table_ == Recorder::none) {
            autoscale_table_ = recorder_.add_table(
                "autoscale", "service",
                {{"servers", "servers", FigureKind::level, "servers in the balancer pool (booted, not draining)"},
                 {"billed", "servers", FigureKind::level, "servers running: booting, in the pool or draining"},
                 {"server_s", "server-s", FigureKind::value,
                  "server-seconds billed since measuring began (the cost; per window: up to its last decision)"},
                 {"scale_outs", "decisions", FigureKind::counter, "decisions that added servers"},
                 {"scale_ins", "decisions", FigureKind::counter, "decisions that removed servers"}},
                true);
        }
        auto scaler = std::make_unique<Scaler>();
        scaler->model = a;
        scaler->phase.assign(n, Phase::idle);
        scaler->boot.assign(n, EventId{});
        scaler->measured_from.assign(n, sim_.now());
        scaler->busy_at.assign(n, 0.0);
        scaler->queue_at.assign(n, 0.0);
        const Recorder::RowId row = recorder_.add_row(autoscale_table_, name);
        scaler->servers = recorder_.level(autoscale_table_, row, 0);
        scaler->billed = recorder_.level(autoscale_table_, row, 1);
        scaler->server_s = recorder_.value(autoscale_table_, row, 2);
        scaler->scale_outs = recorder_.counter(autoscale_table_, row, 3);
        scaler->scale_ins = recorder_.counter(autoscale_table_, row, 4);
        s.scaler = std::move(scaler);
        for (std::uint32_t b = 0; b < n; ++b) {
            if (b < a.initial) {
                s.scaler->phase[b] = Phase::ready;
                s.scaler->busy_at[b] = s.servers[b]->busy_core_seconds(sim_.now());
                s.scaler->queue_at[b] = s.servers[b]->queue_seconds(sim_.now());
            } else {
                set_out(s, b, out_pool, true);
            }
        }
        s.scaler->held = s.scaler->ready = a.initial;
        record_levels(s);
    }
    if (model.outlier) {
        const OutlierModel& o = *model.outlier;
        if (!(o.ejection_s > 0) || !(o.interval_s > 0) || !(o.max_ejection >= 0 && o.max_ejection <= 1) ||
            !(o.max_ejection_time_s >= 0) || (o.success_rate && !(*o.success_rate >= 0 && *o.success_rate <= 1))) {
            fail("outlier settings out of range");
        }
        if (outlier_table_ == Recorder::none) {
            outlier_table_ = recorder_.add_table(
                "outlier", "service",
                {{"ejections", "ejections", FigureKind::counter, "servers ejected by outlier detection"},
                 {"ejected", "servers", FigureKind::level, "servers ejected at once"}},
                true);
            outlier_servers_table_ = recorder_.add_table(
                "outlier_servers", "service/server",
                {{"ejections", "ejections", FigureKind::counter, "times the server was ejected"},
                 {"ejected", "fraction", FigureKind::level, "fraction of the time the server was ejected"}});
        }
        auto outlier = std::make_unique<Outlier>();
        outlier->model = o;
        outlier->consecutive.assign(n, 0);
        outlier->times.assign(n, 0);
        outlier->ok.assign(n, 0);
        outlier->errors.assign(n, 0);
        const Recorder::RowId row = recorder_.add_row(outlier_table_, name);
        outlier->ejections = recorder_.counter(outlier_table_, row, 0);
        outlier->ejected_level = recorder_.level(outlier_table_, row, 1);
        for (std::uint32_t b = 0; b < n; ++b) {
            const Recorder::RowId r = recorder_.add_row(outlier_servers_table_, name + "/" + s.servers[b]->name());
            outlier->server_ejections.push_back(recorder_.counter(outlier_servers_table_, r, 0));
            outlier->server_ejected.push_back(recorder_.level(outlier_servers_table_, r, 1));
        }
        s.outlier = std::move(outlier);
    }
    if (model.queue_deadline_s) {
        if (!(*model.queue_deadline_s >= 0)) fail("queue deadline must be >= 0");
        s.queue_deadline = Time::from_seconds(*model.queue_deadline_s);
    }
    if (model.concurrency_limit) {
        if (*model.concurrency_limit < 1) fail("concurrency limit must be at least 1");
        s.limit = *model.concurrency_limit;
    }
    if (model.queue_deadline_s || model.concurrency_limit) {
        if (shedding_table_ == Recorder::none) {
            shedding_table_ = recorder_.add_table(
                "shedding", "service",
                {{"shed", "calls", FigureKind::counter, "calls shed: waited at a server past the queue deadline"},
                 {"over_limit", "calls", FigureKind::counter,
                  "calls failed at once: their caller had concurrency_limit calls in flight to the service"}},
                true);
        }
        const Recorder::RowId row = recorder_.add_row(shedding_table_, name);
        s.shed = recorder_.counter(shedding_table_, row, 0);
        s.over_limit = recorder_.counter(shedding_table_, row, 1);
    }
    services_.push_back(std::move(s));
}

void Elasticity::start(Time end) {
    end_ = end;
    for (std::uint32_t i = 0; i < services_.size(); ++i) {
        if (services_[i].scaler) {
            const Time at = Time::from_seconds(services_[i].scaler->model.interval_s);
            if (at <= end_) sim_.schedule_at(at, [this, i] { decide(i); });
        }
        if (services_[i].outlier) {
            const Time at = Time::from_seconds(services_[i].outlier->model.interval_s);
            if (at <= end_) sim_.schedule_at(at, [this, i] { sweep(i); });
        }
    }
}

void Elasticity::finish(Time now) {
    for (Service& s : services_) {
        if (s.scaler) s.scaler->server_s.set(s.scaler->billed.signal->integral(now));
    }
}

void Elasticity::set_out(Service& s, std::uint32_t b, Out reason, bool on) {
    std::uint8_t& out = s.out[b];
    out = on ? static_cast<std::uint8_t>(out | reason) : static_cast<std::uint8_t>(out & ~reason);
    ServerView& view = (*s.views)[b];
    if (view.healthy != (out == 0)) {
        view.healthy = out == 0;
        s.balancer->on_view_changed(b, view);
    }
}

bool Elasticity::health(std::uint32_t service, std::uint32_t backend, bool healthy) {
    Service& s = services_[service];
    if (s.out.empty()) return healthy;
    std::uint8_t& out = s.out[backend];
    out = healthy ? static_cast<std::uint8_t>(out & ~out_health) : static_cast<std::uint8_t>(out | out_health);
    return out == 0;
}

// ---- concurrency limits and shedding ----

bool Elasticity::acquire(std::uint32_t service, std::uint32_t caller, std::uint32_t call) {
    Service& s = services_[service];
    if (s.limit == unlimited) return true;
    if (s.in_flight.size() <= caller) s.in_flight.resize(caller + 1, 0);
    if (s.in_flight[caller] >= s.limit) {
        s.over_limit.add();
        return false;
    }
    ++s.in_flight[caller];
    if (caller_of_.size() <= call) caller_of_.resize(std::max<std::size_t>(call + 1, caller_of_.size() * 2), unlimited);
    caller_of_[call] = caller;
    return true;
}

void Elasticity::release_slow(std::uint32_t service, std::uint32_t call) {
    --services_[service].in_flight[caller_of_[call]];
    caller_of_[call] = unlimited;
}

void Elasticity::shed(std::uint32_t service) { services_[service].shed.add(); }

// ---- answers: draining, latency, outlier detection ----

void Elasticity::timed_out(std::uint32_t service, std::uint32_t backend, std::uint32_t call) {
    release(service, call);
    if (backend != unlimited) count_answer(service, backend, true);
}

void Elasticity::on_answer(std::uint32_t service, std::uint32_t backend, double latency_s, bool error, bool late) {
    Service& s = services_[service];
    if (Scaler* a = s.scaler.get()) {
        if (!error) a->latency.record(latency_s);  // late answers too: they measure the servers
        if (a->phase[backend] == Phase::draining && (*s.views)[backend].in_flight == 0) set_idle(s, backend);
    }
    if (!late) count_answer(service, backend, error);
}

void Elasticity::count_answer(std::uint32_t service, std::uint32_t backend, bool error) {
    Service& s = services_[service];
    Outlier* o = s.outlier.get();
    // Answers of servers ejected already, or out of an autoscaled pool (draining), count for nothing.
    if (o == nullptr || (s.out[backend] & (out_ejected | out_pool)) != 0) return;
    if (error) {
        ++o->errors[backend];
        ++o->consecutive[backend];
        if (o->model.consecutive_errors > 0 && o->consecutive[backend] >= o->model.consecutive_errors) {
            eject(service, backend, "consecutive_errors");
        }
    } else {
        ++o->ok[backend];
        o->consecutive[backend] = 0;
    }
}

std::uint32_t Elasticity::pool_size(const Service& s) const {
    if (!s.scaler) return static_cast<std::uint32_t>(s.out.size());
    std::uint32_t n = 0;
    for (const std::uint8_t out : s.out) n += (out & out_pool) == 0 ? 1 : 0;
    return n;
}

void Elasticity::eject(std::uint32_t service, std::uint32_t b, const char* why) {
    Service& s = services_[service];
    Outlier& o = *s.outlier;
    // Envoy's cap: at most max_ejection of the pool, but one server always may be ejected.
    const double pool = pool_size(s);
    if (o.ejected > 0 && static_cast<double>(o.ejected + 1) > o.model.max_ejection * pool + 1e-9) return;
    ++o.times[b];
    ++o.ejected;
    o.consecutive[b] = 0;
    const double seconds = std::min(o.model.ejection_s * o.times[b], std::max(o.model.ejection_s, o.model.max_ejection_time_s));
    set_out(s, b, out_ejected, true);
    const Time now = sim_.now();
    o.ejections.add();
    o.ejected_level.set(now, o.ejected);
    o.server_ejections[b].add();
    o.server_ejected[b].set(now, 1);
    recorder_.log(now, "outlier", s.name, "eject",
                  fmt::format("{}: ejected '{}' for {:g} s ({}, ejection {})", s.name, s.servers[b]->name(), seconds,
                              why, o.times[b]),
                  {{"backend", b}, {"seconds", seconds}, {"times", o.times[b]}, {"ejected", o.ejected}});
    sim_.schedule_in(Time::from_seconds(seconds), [this, service, b] {
        Service& sv = services_[service];
        Outlier& ol = *sv.outlier;
        --ol.ejected;
        ol.consecutive[b] = 0;
        set_out(sv, b, out_ejected, false);
        ol.ejected_level.set(sim_.now(), ol.ejected);
        ol.server_ejected[b].set(sim_.now(), 0);
    });
}

void Elasticity::sweep(std::uint32_t service) {
    Service& s = services_[service];
    Outlier& o = *s.outlier;
    const auto n = static_cast<std::uint32_t>(s.out.size());
    for (std::uint32_t b = 0; b < n; ++b) {
        const bool ejected = (s.out[b] & out_ejected) != 0;
        // Envoy: the multiplier decays by one each interval the server is not ejected.
        if (!ejected && o.times[b] > 0) --o.times[b];
        const std::uint32_t answers = o.ok[b] + o.errors[b];
        if (!ejected && o.model.success_rate && answers >= o.model.min_requests && answers > 0 &&
            static_cast<double>(o.ok[b]) / answers < *o.model.success_rate) {
            eject(service, b, "success_rate");
        }
        o.ok[b] = o.errors[b] = 0;
    }
    const Time next = sim_.now() + Time::from_seconds(o.model.interval_s);
    if (next <= end_) sim_.schedule_at(next, [this, service] { sweep(service); });
}

// ---- the autoscaler ----

std::uint32_t Elasticity::ready(std::uint32_t service) const {
    const Service& s = services_[service];
    return s.scaler ? s.scaler->ready : static_cast<std::uint32_t>(s.views->size());
}

void Elasticity::record_levels(Service& s) {
    const Scaler& a = *s.scaler;
    a.servers.set(sim_.now(), a.ready);
    a.billed.set(sim_.now(), a.held + a.draining);
}

void Elasticity::decide(std::uint32_t service) {
    Service& s = services_[service];
    Scaler& a = *s.scaler;
    const AutoscaleModel& m = a.model;
    const Time now = sim_.now();
    // The metric over the servers ready now, each over the part of the interval it was ready.
    double sum = 0;
    std::uint32_t measured = 0;
    for (std::uint32_t b = 0; b < a.phase.size(); ++b) {
        if (a.phase[b] != Phase::ready) continue;
        const Server& server = *s.servers[b];
        const double busy = server.busy_core_seconds(now);
        const double queue = server.queue_seconds(now);
        const double span = (now - a.measured_from[b]).seconds();
        // A server its health check sees down is not ready: not measured (as a pod not ready).
        if (span > 0 && (s.out[b] & out_health) == 0) {
            ++measured;
            switch (m.metric) {
                case ScaleMetric::utilization:
                    sum += (busy - a.busy_at[b]) / (span * static_cast<double>(server.config().cores));
                    break;
                case ScaleMetric::queue: sum += (queue - a.queue_at[b]) / span; break;
                case ScaleMetric::in_flight: sum += (*s.views)[b].in_flight; break;
                case ScaleMetric::latency_p99: break;
            }
        }
        a.measured_from[b] = now;
        a.busy_at[b] = busy;
        a.queue_at[b] = queue;
    }
    double metric = std::numeric_limits<double>::quiet_NaN();
    if (m.metric == ScaleMetric::latency_p99) {
        if (a.latency.count() > 0) metric = a.latency.quantile(0.99);
    } else if (measured > 0) {
        metric = std::max(0.0, sum / measured);
    }
    a.latency.reset();
    // The recommendation: Kubernetes' rule on the measured servers, held within the tolerance.
    std::uint32_t desired = a.held;
    if (measured > 0 && std::isfinite(metric)) {
        const double ratio = metric / m.target;
        // Kubernetes' rule for pods not ready yet: a scale-up is checked again with the
        // servers still booting counted as measuring 0, so that they are not asked for twice.
        const double with_booting = ratio * measured / std::max<double>(measured, a.held);
        if (std::abs(ratio - 1.0) > m.tolerance && (ratio < 1.0 || with_booting > 1.0 + m.tolerance)) {
            // Less a hair: 50 x 0.9 / 0.75 measured as 60.000000001 must stay 60.
            const double raw = std::ceil(static_cast<double>(measured) * ratio - 1e-9);
            desired = static_cast<std::uint32_t>(std::clamp(raw, static_cast<double>(m.min), static_cast<double>(m.max)));
        }
    }
    a.recommendations.emplace_back(now, desired);
    const Time window = Time::from_seconds(m.stabilization_s);
    while (!a.recommendations.empty() && a.recommendations.front().first < now - window) a.recommendations.pop_front();
    const Time period = Time::from_seconds(m.rate_period_s);
    while (!a.changes.empty() && a.changes.front().first <= now - period) a.changes.pop_front();
    std::int64_t added = 0, removed = 0;
    for (const auto& [t, change] : a.changes) (change > 0 ? added : removed) += std::abs(change);
    std::uint32_t target = a.held;
    if (desired > a.held) {
        // Scale-up limit (HPA's defaults): max(+up_servers, +up_percent) over the period.
        const double start = static_cast<double>(a.held) - static_cast<double>(added);
        const double limit = std::max(start + m.up_servers, std::ceil(start * (1 + m.up_percent / 100) - 1e-9));
        target = static_cast<std::uint32_t>(std::min<double>(desired, std::max<double>(limit, a.held)));
    } else {
        std::uint32_t stabilized = 0;
        for (const auto& [t, r] : a.recommendations) stabilized = std::max(stabilized, r);
        if (stabilized < a.held) {
            const double start = static_cast<double>(a.held) + static_cast<double>(removed);
            const double limit = std::ceil(start * (1 - m.down_percent / 100) - 1e-9);
            target = static_cast<std::uint32_t>(std::max<double>({static_cast<double>(stabilized), limit, static_cast<double>(m.min)}));
            target = std::min(target, a.held);
        }
    }
    if (target != a.held) {
        const std::uint32_t from = a.held;
        const bool out = target > from;
        recorder_.log(now, "autoscale", s.name, out ? "scale_out" : "scale_in",
                      fmt::format("{}: {} -> {} servers ({} {:.4g}, target {:.4g}, {} ready)", s.name, from, target,
                                  scale_metric_name(m.metric), metric, m.target, measured),
                      {{"from", from}, {"to", target}, {"metric", metric}, {"target", m.target},
                       {"ready", measured}, {"desired", desired}});
        a.changes.emplace_back(now, static_cast<std::int64_t>(target) - static_cast<std::int64_t>(from));
        if (out) {
            a.scale_outs.add();
            scale_out(service, target - from);
        } else {
            a.scale_ins.add();
            scale_in(service, from - target);
        }
    }
    a.server_s.set(a.billed.signal->integral(now));
    const Time next = now + Time::from_seconds(m.interval_s);
    if (next <= end_) sim_.schedule_at(next, [this, service] { decide(service); });
}

void Elasticity::scale_out(std::uint32_t service, std::uint32_t count) {
    Service& s = services_[service];
    Scaler& a = *s.scaler;
    const auto n = static_cast<std::uint32_t>(a.phase.size());
    // Servers still draining come back at once (they are running), lowest first.
    for (std::uint32_t b = 0; b < n && count > 0; ++b) {
        if (a.phase[b] != Phase::draining) continue;
        --a.draining;
        ++a.held;
        --count;
        make_ready(service, b);
    }
    // Then idle ones boot, lowest first, and join the balancer after `boot`.
    for (std::uint32_t b = 0; b < n && count > 0; ++b) {
        if (a.phase[b] != Phase::idle) continue;
        ++a.held;
        --count;
        if (a.model.boot_s <= 0) {
            make_ready(service, b);
            continue;
        }
        a.phase[b] = Phase::booting;
        a.boot[b] = sim_.schedule_in(Time::from_seconds(a.model.boot_s), [this, service, b] {
            services_[service].scaler->boot[b] = EventId{};
            make_ready(service, b);
        });
    }
    record_levels(s);
}

void Elasticity::make_ready(std::uint32_t service, std::uint32_t b) {
    Service& s = services_[service];
    Scaler& a = *s.scaler;
    a.phase[b] = Phase::ready;
    ++a.ready;
    const Time now = sim_.now();
    a.measured_from[b] = now;
    a.busy_at[b] = s.servers[b]->busy_core_seconds(now);
    a.queue_at[b] = s.servers[b]->queue_seconds(now);
    set_out(s, b, out_pool, false);
    record_levels(s);
}

void Elasticity::scale_in(std::uint32_t service, std::uint32_t count) {
    Service& s = services_[service];
    Scaler& a = *s.scaler;
    // Booting servers go first (newest first), then ready ones from the highest index down:
    // as a ReplicaSet removes not-ready pods before ready ones, newer before older.
    for (std::uint32_t b = static_cast<std::uint32_t>(a.phase.size()); b-- > 0 && count > 0;) {
        if (a.phase[b] != Phase::booting) continue;
        sim_.cancel(a.boot[b]);
        a.boot[b] = EventId{};
        a.phase[b] = Phase::idle;
        --a.held;
        --count;
    }
    for (std::uint32_t b = static_cast<std::uint32_t>(a.phase.size()); b-- > 0 && count > 0;) {
        if (a.phase[b] != Phase::ready) continue;
        --a.held;
        --a.ready;
        --count;
        // Draining: out of the balancer at once, running until its callers have their answers.
        a.phase[b] = Phase::draining;
        ++a.draining;
        set_out(s, b, out_pool, true);
        if ((*s.views)[b].in_flight == 0) set_idle(s, b);
    }
    record_levels(s);
}

void Elasticity::set_idle(Service& s, std::uint32_t b) {
    Scaler& a = *s.scaler;
    a.phase[b] = Phase::idle;
    --a.draining;
    record_levels(s);
}

}  // namespace s2sim::models

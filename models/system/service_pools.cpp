// Services: balancers over their servers, health checks and retry budgets (System's part
// for [services]).
#include "models/system/service_pools.hpp"

#include <algorithm>
#include <string>

#include "sim/error.hpp"

namespace s2sim::models::system {

namespace {

StepCall step_call(const CallModel& c) {
    StepCall entry;
    entry.model = &c;
    entry.probability = c.probability;
    entry.timeout_s = c.timeout_s.value_or(0.0);
    entry.service = c.service;
    entry.op = c.op;
    entry.required = c.required;
    entry.hedge = c.hedge.has_value();
    entry.has_timeout = c.timeout_s.has_value();
    entry.certain = !(c.probability < 1.0);
    return entry;
}

/// Fills `service.step_calls` with the step table of each op of `s`, then points the ops at
/// theirs (once the vector is full: it does not move afterwards, nor when `service` does).
void build_step_tables(Service& service, const ServiceModel& s) {
    std::vector<std::size_t> first(s.ops.size());
    for (std::size_t o = 0; o < s.ops.size(); ++o) {
        const OpModel& op = s.ops[o];
        first[o] = service.step_calls.size();
        for (const std::vector<CallModel>& step : op.steps) {
            StepCall head = step.empty() ? StepCall{} : step_call(step.front());
            head.calls = static_cast<std::uint32_t>(step.size());
            service.step_calls.push_back(head);
        }
        for (std::size_t i = 0; i < op.steps.size(); ++i) {
            const std::vector<CallModel>& step = op.steps[i];
            service.step_calls[first[o] + i].more = static_cast<std::uint32_t>(service.step_calls.size() - first[o]);
            for (std::size_t c = 1; c < step.size(); ++c) service.step_calls.push_back(step_call(step[c]));
        }
    }
    for (std::size_t o = 0; o < s.ops.size(); ++o) service.ops[o].step_table = service.step_calls.data() + first[o];
}

}  // namespace

ServicePools::ServicePools(Context& context, Hosts& hosts) : context_(context), hosts_(hosts) {
    const SystemModel& model = context.model;
    for (const ServiceModel& s : model.services) {
        Service service{true,
                        true,
                        true,
                        nullptr,
                        {},
                        {},
                        nullptr,
                        s.servers.data(),
                        RandomStream(model.seed, "service/" + s.name + "/balancer"),
                        static_cast<std::uint32_t>(s.servers.size()),
                        &s,
                        RandomStream(model.seed, "retry/" + s.name),
                        {}};
        if (s.retry_budget) {
            if (!(*s.retry_budget >= 0)) throw Error("service '" + s.name + "': retry budget must be >= 0");
            service.budget = std::make_unique<RetryBudget>(*s.retry_budget);
        }
        if (!(s.health_check_s >= 0)) throw Error("service '" + s.name + "': health check delay must be >= 0");
        BalancerOptions options = s.balancer;
        if (options.sites.empty()) {
            for (const std::uint32_t h : s.servers) options.sites.push_back(hosts_[h].site);
        }
        service.balancer = make_balancer(options, s.servers.size());
        const BalancerHooks hooks = service.balancer->hooks();
        service.tell_in_flight = hooks.in_flight;
        service.tell_sent = hooks.sent;
        service.tell_response = hooks.response;
        service.views.resize(s.servers.size());
        for (std::uint32_t i = 0; i < s.servers.size(); ++i) {
            Host& host = hosts_[s.servers[i]];
            host.memberships.emplace_back(static_cast<std::uint32_t>(services_.size()), i);
            if (service.balancer->reads_server_load()) {
                host.load_views.emplace_back(static_cast<std::uint32_t>(services_.size()), i);
                host.reads_load = true;
            }
        }
        // A size drawn from a constant reads no random number: using the value is the same.
        const auto fixed = [](const DistributionPtr& size) { return size ? size->constant().value_or(-1.0) : 0.0; };
        for (const OpModel& op : s.ops) {
            service.ops.emplace_back(RandomStream(model.seed, "op/" + s.name + "." + op.name), fixed(op.request_bytes),
                                     fixed(op.response_bytes), op);
        }
        build_step_tables(service, s);
        services_.push_back(std::move(service));
    }
    // The step tables' callees, once every service is built (services_ does not move afterwards).
    for (Service& service : services_) {
        for (StepCall& c : service.step_calls) {
            if (c.model == nullptr) continue;  // an empty step
            c.callee = &services_[c.service];
            c.callee_op = &c.callee->ops[c.op];
        }
    }
    for (std::uint32_t i = 0; i < services_.size(); ++i) {
        const ServiceModel& s = model.services[i];
        if (!s.elastic.any() && !elastic_) continue;
        if (!elastic_) {
            // Services before the first elastic one are registered without settings.
            elastic_ = std::make_unique<Elasticity>(context.sim, context.recorder);
            for (std::uint32_t j = 0; j < i; ++j) {
                elastic_->add_service(model.services[j].name, {}, services_[j].views, *services_[j].balancer, {});
            }
        }
        std::vector<const Server*> servers;
        for (const std::uint32_t h : s.servers) servers.push_back(hosts_[h].server.get());
        elastic_->add_service(s.name, s.elastic, services_[i].views, *services_[i].balancer, std::move(servers));
    }
}

void ServicePools::write_load_views(const Host& host) {
    const Server& server = *host.server;
    const auto present = static_cast<std::uint32_t>(host.active + (host.pending.size() - host.pending_head));
    const double busy = static_cast<double>(std::min<std::size_t>(server.jobs(), server.config().cores)) /
                        static_cast<double>(server.config().cores);
    for (const auto& [service, index] : host.load_views) {
        ServerView& view = services_[service].views[index];
        view.queue_length = present;
        view.utilization = busy;
        services_[service].balancer->on_view_changed(index, view);
        // `healthy` is what health checks have noticed, set by schedule_health(), not the instant truth.
    }
}

void ServicePools::schedule_health(std::uint32_t h, bool healthy) {
    const std::uint32_t epoch = hosts_[h].epoch;
    for (const auto& [service, index] : hosts_[h].memberships) {
        const Time delay = Time::from_seconds(services_[service].model->health_check_s);
        const std::uint32_t s = service;
        const std::uint32_t i = index;
        // Health checks notice the change after the service's delay, unless it was undone meanwhile.
        context_.sim.schedule_in(delay, [this, h, epoch, s, i, healthy] {
            if (hosts_[h].epoch != epoch) return;
            services_[s].views[i].healthy = elastic_ ? elastic_->health(s, i, healthy) : healthy;
            services_[s].balancer->on_view_changed(i, services_[s].views[i]);
        });
    }
}

}  // namespace s2sim::models::system

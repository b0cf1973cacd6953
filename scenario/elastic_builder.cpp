#include "scenario/elastic_builder.hpp"

#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim::scenario {
namespace {

models::ScaleMetric to_metric(const std::string& name) {
    if (name == "queue") return models::ScaleMetric::queue;
    if (name == "in_flight") return models::ScaleMetric::in_flight;
    if (name == "latency_p99") return models::ScaleMetric::latency_p99;
    return models::ScaleMetric::utilization;
}

/// Adds the idle servers an autoscaled service may scale to, after its listed ones.
void add_spare_servers(const Spec& spec, const ServiceSpec& s, const AutoscaleSpec& a, models::SystemModel& model,
                       models::ServiceModel& service) {
    const int first = s.servers.front();
    const ServerSpec& proto = spec.servers[first];
    const ServerGroupSpec& group = spec.groups[proto.group];
    const auto listed = static_cast<int>(s.servers.size());
    const models::HostModel first_host = model.hosts[first];
    double weight = service.balancer.weights.empty() ? 1.0 : service.balancer.weights.front();
    for (int k = 1; k <= a.max - listed; ++k) {
        const std::string name = fmt::format("{}-{}", group.name, static_cast<int>(group.members.size()) + k);
        bool taken = spec.find_server(name) >= 0;
        for (const models::HostModel& h : model.hosts) taken = taken || h.server.name == name;
        if (taken) {
            throw ConfigError(a.pos, fmt::format("service '{}' would name an autoscaled server '{}', but a server of "
                                                 "that name exists (rename the group or the server)",
                                                 s.name, name));
        }
        models::HostModel host = first_host;
        host.server.name = name;
        if (model.topology && first_host.node) {
            models::Topology& topology = *model.topology;
            const models::NodeId node = topology.add_node(name, models::NodeKind::server, proto.site.value_or(""));
            host.node = node;
            // The same links as the first server: copied, since add_link may grow the list.
            const std::vector<models::LinkId> links = topology.node_links(*first_host.node);
            for (const models::LinkId l : links) {
                const auto [end_a, end_b] = topology.endpoints(l);
                const bool first_is_a = end_a == *first_host.node;
                const models::NodeId other = first_is_a ? end_b : end_a;
                const double out = topology.capacity(models::Topology::directed_link(
                    l, first_is_a ? models::Direction::a_to_b : models::Direction::b_to_a));
                const double in = topology.capacity(models::Topology::directed_link(
                    l, first_is_a ? models::Direction::b_to_a : models::Direction::a_to_b));
                topology.add_link(node, other, out, in, topology.latency(l));
            }
        }
        service.servers.push_back(static_cast<std::uint32_t>(model.hosts.size()));
        service.balancer.sites.push_back(host.site);
        if (!service.balancer.weights.empty()) service.balancer.weights.push_back(weight);
        model.hosts.push_back(std::move(host));
    }
}

}  // namespace

void build_elastic(const Spec& spec, const ServiceSpec& s, models::SystemModel& model, models::ServiceModel& service) {
    const ElasticSpec& e = s.elastic;
    if (e.autoscale) {
        const AutoscaleSpec& a = *e.autoscale;
        models::AutoscaleModel m;
        m.metric = to_metric(a.metric);
        m.target = a.target;
        m.min = static_cast<std::uint32_t>(a.min);
        m.max = static_cast<std::uint32_t>(a.max);
        m.initial = static_cast<std::uint32_t>(s.servers.size());
        m.interval_s = a.interval;
        m.tolerance = a.tolerance;
        m.boot_s = a.boot;
        m.stabilization_s = a.stabilization;
        m.up_servers = static_cast<std::uint32_t>(a.up_servers);
        m.up_percent = a.up_percent;
        m.down_percent = a.down_percent;
        m.rate_period_s = a.rate_period;
        service.elastic.autoscale = m;
        add_spare_servers(spec, s, a, model, service);
    }
    if (e.outlier) {
        const OutlierSpec& o = *e.outlier;
        models::OutlierModel m;
        m.consecutive_errors = static_cast<std::uint32_t>(o.consecutive_errors);
        m.ejection_s = o.ejection;
        m.max_ejection = o.max_ejection;
        m.max_ejection_time_s = o.max_ejection_time;
        m.interval_s = o.interval;
        m.success_rate = o.success_rate;
        m.min_requests = static_cast<std::uint32_t>(o.min_requests);
        service.elastic.outlier = m;
    }
    service.elastic.queue_deadline_s = e.queue_deadline;
    if (e.concurrency_limit) service.elastic.concurrency_limit = static_cast<std::uint32_t>(*e.concurrency_limit);
}

}  // namespace s2sim::scenario

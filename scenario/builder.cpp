#include "scenario/builder.hpp"

#include <cmath>
#include <map>
#include <string>
#include <type_traits>

#include <fmt/format.h>

#include "scenario/elastic_builder.hpp"
#include "sim/error.hpp"

namespace s2sim::scenario {
namespace {

models::Discipline to_model(Discipline d) {
    switch (d) {
        case Discipline::fcfs: return models::Discipline::fcfs;
        case Discipline::ps: return models::Discipline::ps;
        case Discipline::priority: return models::Discipline::priority;
    }
    return models::Discipline::fcfs;
}

/// Dense ids for site labels; servers and clients without a site share id 0.
class SiteIds {
public:
    std::uint32_t id(const std::optional<std::string>& site) {
        if (!site) return 0;
        return ids_.try_emplace(*site, static_cast<std::uint32_t>(ids_.size() + 1)).first->second;
    }

private:
    std::map<std::string, std::uint32_t> ids_;
};

models::CallModel to_model(const CallSpec& call, bool async) {
    if (async && (call.timeout || call.retries > 0 || call.backoff || call.jitter)) {
        // Nobody waits for a fire-and-forget call, so nothing could time out or retry it.
        throw ConfigError(call.pos, "async call '" + call.target +
                                        "' cannot have timeout, retries, backoff or jitter: nobody waits for it "
                                        "(move it to 'calls' to wait for it)");
    }
    models::CallModel m;
    m.service = static_cast<std::uint32_t>(call.service);
    m.op = static_cast<std::uint32_t>(call.op);
    m.probability = call.probability;
    m.required = call.required;
    m.timeout_s = call.timeout;
    m.retries = static_cast<std::uint32_t>(call.retries);
    if (call.backoff) m.backoff = call.backoff->dist;
    m.jitter = call.jitter.value_or(0.0);
    if (call.hedge) {
        if (async) throw ConfigError(call.hedge->pos, "async call '" + call.target + "' cannot hedge: nobody waits for it");
        m.hedge = models::HedgeModel{call.hedge->after, call.hedge->percentile,
                                     static_cast<std::uint32_t>(call.hedge->max)};
    }
    return m;
}

models::ReplicationModel to_model(const ReplicateSpec& r) {
    models::ReplicationModel m;
    for (const int server : r.to) m.to.push_back(static_cast<std::uint32_t>(server));
    switch (r.mode) {
        case ReplicationMode::sync:
            m.mode = models::ReplicationMode::sync;
            m.acks = static_cast<std::uint32_t>(r.to.size());
            break;
        case ReplicationMode::quorum:
            m.mode = models::ReplicationMode::quorum;
            m.acks = static_cast<std::uint32_t>(r.acks);
            break;
        case ReplicationMode::async:
            m.mode = models::ReplicationMode::async;
            m.acks = 0;
            break;
    }
    if (r.work) m.work = r.work->dist;
    m.bytes = r.size;
    return m;
}

std::optional<models::EncodingModel> to_model(const std::optional<EncodingSpec>& e) {
    if (!e) return std::nullopt;
    return models::EncodingModel{e->compression, e->encode_per_byte, e->decode_per_byte, e->overhead};
}

std::optional<models::TcpModel> to_model(const NetworkSpec& n) {
    if (!n.tcp) return std::nullopt;
    models::TcpModel t;
    t.mss = n.mss;
    t.initial_window = static_cast<double>(n.initial_window);
    t.max_window = n.max_window;
    t.header = n.header;
    t.slow_start_growth = n.slow_start_growth;
    t.tls_round_trips = static_cast<std::uint32_t>(n.tls_round_trips);
    if (n.handshake_work) t.handshake_work = n.handshake_work->dist;
    return t;
}

/// The node ids of the topology: servers first, then switches, then clients.
struct NodeIds {
    std::size_t switches_at = 0;
    std::size_t clients_at = 0;
    [[nodiscard]] models::NodeId of(const Spec&, NodeRef ref) const {
        switch (ref.kind) {
            case NodeKind::server: return static_cast<models::NodeId>(ref.index);
            case NodeKind::switch_: return static_cast<models::NodeId>(switches_at + ref.index);
            case NodeKind::client: return static_cast<models::NodeId>(clients_at + ref.index);
        }
        return 0;
    }
};

std::unique_ptr<models::Topology> build_topology(const Spec& spec, NodeIds& ids) {
    if (spec.links.empty()) return nullptr;
    auto topology = std::make_unique<models::Topology>();
    for (const ServerSpec& s : spec.servers) topology->add_node(s.name, models::NodeKind::server, s.site.value_or(""));
    ids.switches_at = spec.servers.size();
    for (const SwitchSpec& s : spec.switches) topology->add_node(s.name, models::NodeKind::switch_, s.site.value_or(""));
    ids.clients_at = ids.switches_at + spec.switches.size();
    for (const ClientSpec& c : spec.clients) topology->add_node(c.name, models::NodeKind::client, c.site.value_or(""));
    for (const LinkSpec& l : spec.links) {
        try {
            const double latency = models::propagation_latency(l.distance, spec.network.propagation_speed, l.latency);
            topology->add_link(ids.of(spec, l.a), ids.of(spec, l.b), l.bandwidth_ab, l.bandwidth_ba, latency);
        } catch (const ConfigError&) {
            throw;
        } catch (const Error& e) {
            throw ConfigError(l.pos, e.what());
        }
    }
    return topology;
}

void check_route(models::Topology& topology, models::NodeId from, models::NodeId to, const SourcePos& pos) {
    if (!topology.has_route(from, to)) {
        throw ConfigError(pos, "no route from '" + topology.node_name(from) + "' to '" + topology.node_name(to) +
                                   "': add a [[link]] path between them");
    }
}

/// The arrival process of workload `w`, and its ops and weights: the mix, or for a
/// trace the entry service's ops that the trace names (it is read through once here,
/// so that a bad line anywhere in it fails the build, with its line and column).
models::ArrivalModel to_model(const Spec& spec, const WorkloadSpec& w, std::vector<std::uint32_t>& ops,
                              std::vector<double>& weights) {
    for (const MixEntry& m : w.mix) {
        ops.push_back(static_cast<std::uint32_t>(m.op));
        weights.push_back(m.weight);
    }
    return std::visit(
        [&](const auto& a) -> models::ArrivalModel {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, PoissonArrival>) {
                return models::PoissonArrivals{a.rate};
            } else if constexpr (std::is_same_v<A, ConstantArrival>) {
                return models::ConstantArrivals{a.rate};
            } else if constexpr (std::is_same_v<A, MmppArrival>) {
                models::MmppArrivals m;
                for (const MmppState& st : a.states) {
                    m.rates.push_back(st.rate);
                    m.dwells.push_back(st.dwell);
                }
                return m;
            } else if constexpr (std::is_same_v<A, ScheduleArrival>) {
                models::ScheduleArrivals sch;
                for (const SchedulePoint& p : a.points) {
                    sch.times.push_back(p.time);
                    sch.rates.push_back(p.rate);
                }
                sch.linear = a.shape == ScheduleShape::linear;
                sch.constant = a.process == ScheduleProcess::constant;
                return sch;
            } else if constexpr (std::is_same_v<A, ClosedArrival>) {
                return models::ClosedArrivals{static_cast<std::uint64_t>(a.users), a.think.dist};
            } else {
                static_assert(std::is_same_v<A, TraceArrival>);
                const ServiceSpec& service = spec.services[w.to];
                std::vector<std::string> names;
                for (const OpSpec& o : service.ops) names.push_back(o.name);
                const models::TraceSummary summary = models::scan_trace(a.path, names, service.name);
                ops.clear();
                weights.clear();
                for (std::size_t i = 0; i < names.size(); ++i) {
                    // Only the ops the trace names get a result row (all of them for an empty trace).
                    if (summary.used[i] || summary.records == 0) {
                        ops.push_back(static_cast<std::uint32_t>(i));
                        weights.push_back(1.0);
                    }
                }
                return models::TraceArrivals{a.path, a.speedup};
            }
        },
        w.arrival.process);
}

}  // namespace

models::SystemModel build(const Spec& spec, std::uint64_t seed) {
    models::SystemModel model;
    model.name = spec.run.name;
    model.seed = seed;
    model.warmup_s = spec.run.warmup;
    model.duration_s = spec.run.duration;
    model.max_in_flight = static_cast<std::uint64_t>(spec.run.max_in_flight);
    model.window_s = spec.run.window;
    if (spec.metastability) {
        model.metastability = models::MetastabilityModel{spec.metastability->settle, spec.metastability->goodput_below};
    }
    if (spec.run.duration / spec.run.window > models::SystemModel::max_windows + 1e-9) {
        throw ConfigError(spec.run.pos, fmt::format("window of {:g} s makes {:.0f} windows over the duration of {:g} s; "
                                                    "at most {:.0f} (choose a longer window)",
                                                    spec.run.window, std::ceil(spec.run.duration / spec.run.window),
                                                    spec.run.duration, models::SystemModel::max_windows));
    }

    NodeIds ids;
    model.topology = build_topology(spec, ids);
    for (std::size_t i = 0; i < spec.links.size(); ++i) {
        const LinkSpec& l = spec.links[i];
        if (!l.jitter_ab && !l.jitter_ba) continue;
        model.link_jitter.resize(2 * spec.links.size());
        const auto link = static_cast<models::LinkId>(i);
        if (l.jitter_ab) model.link_jitter[models::Topology::directed_link(link, models::Direction::a_to_b)] = l.jitter_ab->dist;
        if (l.jitter_ba) model.link_jitter[models::Topology::directed_link(link, models::Direction::b_to_a)] = l.jitter_ba->dist;
    }
    model.tcp = to_model(spec.network);
    if (model.tcp) {
        for (const LinkSpec& l : spec.links) model.link_loss.push_back(l.loss);  // one LinkId per LinkSpec, in order
    }
    if (model.tcp && !model.topology) {
        throw ConfigError(spec.network.pos, "transport = \"tcp\" needs a network: add [[link]] tables");
    }
    SiteIds sites;

    for (std::size_t i = 0; i < spec.servers.size(); ++i) {
        const ServerSpec& s = spec.servers[i];
        models::HostModel host;
        host.server.name = s.name;
        host.server.cores = static_cast<unsigned>(s.cores);
        host.server.speed = s.speed;
        host.server.discipline = to_model(s.discipline);
        if (s.queue) host.server.queue_limit = static_cast<std::size_t>(*s.queue);
        if (s.threads) host.threads = static_cast<std::uint32_t>(*s.threads);
        host.site = sites.id(s.site);
        if (model.topology) host.node = static_cast<models::NodeId>(i);
        model.hosts.push_back(std::move(host));
    }

    for (const ServiceSpec& s : spec.services) {
        models::ServiceModel service;
        service.name = s.name;
        for (const int server : s.servers) service.servers.push_back(static_cast<std::uint32_t>(server));
        service.health_check_s = s.health_check;
        service.retry_budget = s.retry_budget;
        if (s.retry_throttling) {
            service.retry_throttling = models::RetryThrottleModel{s.retry_throttling->max_tokens,
                                                                  s.retry_throttling->token_ratio};
        }
        if (s.connections.max) service.connections.max = static_cast<std::uint32_t>(std::min<std::int64_t>(*s.connections.max, models::ConnectionPolicy::unlimited - 1));
        service.connections.idle_timeout_s = s.connections.idle_timeout;
        service.connections.keep_alive = s.connections.keep_alive;
        const BalancerSpec& b = s.balancer;
        service.balancer.policy = b.policy;
        service.balancer.choices = static_cast<unsigned>(b.choices);
        service.balancer.weights = b.weights;
        service.balancer.vnodes = static_cast<unsigned>(b.vnodes);
        service.balancer.decay_s = b.decay;
        service.balancer.spill_at = b.spill_at;
        service.balancer.maglev_table_size = static_cast<std::uint32_t>(b.table_size);
        for (const int server : s.servers) service.balancer.sites.push_back(model.hosts[server].site);
        build_elastic(spec, s, model, service);  // autoscaled services: their spare servers
        try {
            (void)models::make_balancer(service.balancer, service.servers.size());
        } catch (const ConfigError&) {
            throw;
        } catch (const Error& e) {
            throw ConfigError(b.pos, "service '" + s.name + "': " + e.what());
        }
        for (const OpSpec& o : s.ops) {
            models::OpModel op;
            if (o.replicate) {
                op.replicate = to_model(*o.replicate);
                if (model.topology) {
                    for (const int from : s.servers) {
                        for (const int to : o.replicate->to) {
                            if (from != to) {
                                check_route(*model.topology, static_cast<models::NodeId>(from),
                                            static_cast<models::NodeId>(to), o.replicate->pos);
                            }
                        }
                    }
                }
            }
            op.name = o.name;
            op.work = o.work.dist;
            if (o.work_after) op.work_after = o.work_after->dist;
            op.request_bytes = o.request.dist;
            op.response_bytes = o.response.dist;
            for (const CallStep& step : o.calls) {
                std::vector<models::CallModel> group;
                for (const CallSpec& c : step.calls) group.push_back(to_model(c, false));
                op.steps.push_back(std::move(group));
            }
            for (const CallSpec& c : o.async_calls) op.async_calls.push_back(to_model(c, true));
            op.priority = o.priority.value_or(0);
            if (o.cache) {
                models::CacheModel cache;
                if (o.cache->capacity) cache.capacity = static_cast<std::uint64_t>(*o.cache->capacity);
                if (o.cache->capacity_bytes) {
                    cache.capacity_bytes = *o.cache->capacity_bytes;
                    const ServiceSpec& miss = spec.services[static_cast<std::size_t>(o.cache->miss.service)];
                    cache.entry_bytes = miss.ops[static_cast<std::size_t>(o.cache->miss.op)].response.dist;
                }
                cache.policy = o.cache->policy == "lfu"      ? models::CachePolicy::lfu
                               : o.cache->policy == "fifo"   ? models::CachePolicy::fifo
                               : o.cache->policy == "random" ? models::CachePolicy::random
                                                             : models::CachePolicy::lru;
                cache.ttl_s = o.cache->ttl;
                cache.miss_service = static_cast<std::uint32_t>(o.cache->miss.service);
                cache.miss_op = static_cast<std::uint32_t>(o.cache->miss.op);
                if (o.cache->writes) {
                    cache.writes = std::make_pair(static_cast<std::uint32_t>(o.cache->writes->service),
                                                  static_cast<std::uint32_t>(o.cache->writes->op));
                }
                cache.on_write = o.cache->on_write == "update" ? models::CacheOnWrite::update
                                 : o.cache->on_write == "none" ? models::CacheOnWrite::none
                                                               : models::CacheOnWrite::invalidate;
                op.cache = std::move(cache);
            }
            if (o.reads) {
                models::ReadModel reads{static_cast<std::uint32_t>(o.reads->service),
                                        static_cast<std::uint32_t>(o.reads->op), std::nullopt};
                if (o.read_quorum) {
                    models::ReadQuorumModel q;
                    for (const int server : o.read_quorum->from) {
                        q.from.push_back(static_cast<std::uint32_t>(server));
                        if (!model.topology) continue;
                        for (const int coordinator : s.servers) {
                            if (coordinator == server) continue;
                            check_route(*model.topology, static_cast<models::NodeId>(coordinator),
                                        static_cast<models::NodeId>(server), o.read_quorum->pos);
                            check_route(*model.topology, static_cast<models::NodeId>(server),
                                        static_cast<models::NodeId>(coordinator), o.read_quorum->pos);
                        }
                    }
                    q.r = static_cast<std::uint32_t>(o.read_quorum->r);
                    q.repair = o.read_quorum->repair;
                    reads.quorum = std::move(q);
                }
                op.reads = std::move(reads);
            }
            op.request_encoding = to_model(o.request_encoding);
            op.response_encoding = to_model(o.response_encoding);
            service.ops.push_back(std::move(op));
        }
        model.services.push_back(std::move(service));
    }

    for (const WorkloadSpec& w : spec.workloads) {
        models::WorkloadModel workload;
        workload.name = w.name;
        workload.service = static_cast<std::uint32_t>(w.to);
        workload.arrival = to_model(spec, w, workload.ops, workload.weights);
        if (w.keys) workload.keys = models::KeyModel{static_cast<std::uint64_t>(w.keys->count), w.keys->skew};
        if (w.from) {
            if (!model.topology) {
                throw ConfigError(w.from_pos, "workload '" + w.name + "' comes from client '" +
                                                  spec.clients[*w.from].name +
                                                  "', but the scenario has no [[link]]: no route to the servers");
            }
            workload.from = ids.of(spec, NodeRef{NodeKind::client, *w.from});
            workload.from_site = sites.id(spec.clients[*w.from].site);
            for (const int server : spec.services[w.to].servers) {
                check_route(*model.topology, *workload.from, static_cast<models::NodeId>(server), w.from_pos);
            }
        }
        model.workloads.push_back(std::move(workload));
    }

    for (const EventSpec& e : spec.events) {
        models::FaultEvent event;
        event.target = e.target_text;
        event.at_s = e.at;
        event.action = e.action == EventAction::fail      ? models::FaultAction::fail
                       : e.action == EventAction::recover ? models::FaultAction::recover
                                                          : models::FaultAction::slow;
        event.duration_s = e.duration;
        event.factor = e.factor;
        if (e.target_kind == TargetKind::server) {
            event.host = static_cast<std::uint32_t>(e.target);
        } else {
            if (e.target_kind == TargetKind::link) {
                for (const int l : e.links) event.links.push_back(static_cast<std::uint32_t>(l));
            } else if (model.topology) {
                // A switch fails with every link that touches it.
                const models::NodeId node = ids.of(spec, NodeRef{NodeKind::switch_, e.target});
                for (const models::LinkId l : model.topology->node_links(node)) event.links.push_back(l);
            }
        }
        model.events.push_back(std::move(event));
    }
    for (const FailureSpec& f : spec.failures) {
        for (const int server : f.servers) {
            model.failures.push_back(
                models::RandomFailures{static_cast<std::uint32_t>(server), f.mtbf.dist, f.mttr.dist});
        }
    }

    // Every server of a calling service must reach every server of the callee.
    if (model.topology) {
        for (const ServiceSpec& s : spec.services) {
            for (const OpSpec& o : s.ops) {
                auto check_call = [&](const CallSpec& c) {
                    for (const int from : s.servers) {
                        for (const int to : spec.services[c.service].servers) {
                            check_route(*model.topology, static_cast<models::NodeId>(from),
                                        static_cast<models::NodeId>(to), c.target_pos);
                        }
                    }
                };
                for (const CallStep& step : o.calls) {
                    for (const CallSpec& c : step.calls) check_call(c);
                }
                for (const CallSpec& c : o.async_calls) check_call(c);
            }
        }
    }
    return model;
}

void validate(const Spec& spec) { (void)build(spec, spec.run.seed); }

}  // namespace s2sim::scenario

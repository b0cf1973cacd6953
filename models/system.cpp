#include "models/system.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <type_traits>

#include "models/elastic/elasticity.hpp"
#include "sim/error.hpp"

namespace s2sim::models {
namespace {

std::vector<double> cumulative(const std::vector<double>& weights) {
    std::vector<double> out;
    double sum = 0;
    for (const double w : weights) out.push_back(sum += w);
    for (double& c : out) c /= sum;
    return out;
}

}  // namespace

System::System(SystemModel model, QueueKind queue) : model_(std::move(model)), sim_(queue) {
    if (model_.topology) {
        network_ = std::make_unique<FlowNetwork>(sim_, *model_.topology);
        for (DirectedLinkId d = 0; d < model_.topology->directed_link_count(); ++d) {
            base_capacity_.push_back(model_.topology->capacity(d));
        }
    }
    hosts_.reserve(model_.hosts.size());
    for (const HostModel& h : model_.hosts) {
        Host host;
        host.server = std::make_unique<Server>(sim_, h.server, *this);
        host.node = h.node.value_or(no_node);
        host.threads = h.threads;
        host.site = h.site;
        hosts_.push_back(std::move(host));
    }
    for (const ServiceModel& s : model_.services) {
        Service service{&s,
                        nullptr,
                        {},
                        RandomStream(model_.seed, "service/" + s.name + "/balancer"),
                        {},
                        0,
                        RandomStream(model_.seed, "retry/" + s.name),
                        std::nullopt,
                        {}};
        if (s.retry_budget) {
            if (!(*s.retry_budget >= 0)) throw Error("service '" + s.name + "': retry budget must be >= 0");
            service.budget.emplace(*s.retry_budget);
        }
        if (!(s.health_check_s >= 0)) throw Error("service '" + s.name + "': health check delay must be >= 0");
        BalancerOptions options = s.balancer;
        if (options.sites.empty()) {
            for (const std::uint32_t h : s.servers) options.sites.push_back(hosts_[h].site);
        }
        service.balancer = make_balancer(options, s.servers.size());
        service.views.resize(s.servers.size());
        for (std::uint32_t i = 0; i < s.servers.size(); ++i) {
            Host& host = hosts_[s.servers[i]];
            host.memberships.emplace_back(static_cast<std::uint32_t>(services_.size()), i);
            if (service.balancer->reads_server_load()) {
                host.load_views.emplace_back(static_cast<std::uint32_t>(services_.size()), i);
            }
        }
        service.first_op_stat = static_cast<std::uint32_t>(op_stats_.size());
        for (const OpModel& op : s.ops) {
            service.op_rng.emplace_back(model_.seed, "op/" + s.name + "." + op.name);
            op_stats_.push_back(OpResult{s.name + "." + op.name, 0, 0, {}, 0, 0, 0, {}});
            service.first_pair.push_back(static_cast<std::uint32_t>(pairs_.size()));
            if (!op.replicate) continue;
            for (const std::uint32_t replica : op.replicate->to) {
                if (replica >= model_.hosts.size()) throw Error("op '" + s.name + "." + op.name + "': bad replica index");
                ReplicationPair pair;
                pair.replica = replica;
                pairs_.push_back(std::move(pair));
                pair_names_.push_back(s.name + "." + op.name + "->" + model_.hosts[replica].server.name);
                replica_work_.push_back(op.replicate->work);
                replica_rng_.emplace_back(model_.seed, "replica/" + pair_names_.back());
            }
        }
        services_.push_back(std::move(service));
    }
    for (std::uint32_t i = 0; i < services_.size(); ++i) {
        if (!model_.services[i].elastic.any() && !elastic_) continue;
        if (!elastic_) {
            elastic_ = std::make_unique<Elasticity>(sim_, recorder_);
            for (std::uint32_t j = 0; j < i; ++j) {
                elastic_->add_service(model_.services[j].name, {}, services_[j].views, *services_[j].balancer, {});
            }
        }
        std::vector<const Server*> servers;
        for (const std::uint32_t h : model_.services[i].servers) servers.push_back(hosts_[h].server.get());
        elastic_->add_service(model_.services[i].name, model_.services[i].elastic, services_[i].views,
                              *services_[i].balancer, std::move(servers));
    }
    for (const WorkloadModel& w : model_.workloads) {
        Workload workload{&w, w.from.value_or(no_node), RandomStream(model_.seed, "workload/" + w.name),
                          GuidedCdf(cumulative(w.weights)), {},
                          static_cast<std::uint32_t>(request_stats_.size()), nullptr, nullptr, {}, 1, false};
        std::visit(
            [&](const auto& a) {
                using A = std::decay_t<decltype(a)>;
                if constexpr (std::is_same_v<A, PoissonArrivals>) {
                    workload.process = std::make_unique<PoissonProcess>(a.rate);
                } else if constexpr (std::is_same_v<A, ConstantArrivals>) {
                    workload.process = std::make_unique<ConstantProcess>(a.rate);
                } else if constexpr (std::is_same_v<A, MmppArrivals>) {
                    workload.process = std::make_unique<MmppProcess>(a);
                } else if constexpr (std::is_same_v<A, ScheduleArrivals>) {
                    workload.process = std::make_unique<ScheduleProcess>(a);
                } else if constexpr (std::is_same_v<A, ClosedArrivals>) {
                    workload.closed = true;
                } else {
                    static_assert(std::is_same_v<A, TraceArrivals>);
                    if (!(a.speedup > 0)) throw Error("workload '" + w.name + "': trace speedup must be > 0");
                    std::vector<std::string> names;
                    for (const std::uint32_t op : w.ops) names.push_back(model_.services[w.service].ops[op].name);
                    workload.trace = std::make_unique<TraceReader>(a.path, std::move(names),
                                                                   model_.services[w.service].name);
                    workload.speedup = a.speedup;
                }
            },
            w.arrival);
        if (w.keys) {
            std::vector<double> weights(w.keys->count);
            for (std::uint64_t k = 0; k < w.keys->count; ++k) {
                weights[k] = std::pow(static_cast<double>(k + 1), -w.keys->skew);
            }
            workload.keys = GuidedCdf(cumulative(weights));
        }
        for (const std::uint32_t op : w.ops) {
            request_stats_.push_back(
                RequestResult{w.name + "/" + model_.services[w.service].ops[op].name, 0, 0, 0, 0, {}, 0, {}});
        }
        workloads_.push_back(std::move(workload));
    }
    if (model_.window_s > 0) {
        const double windows = std::ceil(model_.duration_s / model_.window_s - 1e-9);
        if (windows > SystemModel::max_windows) {
            throw Error("time-series window of " + std::to_string(model_.window_s) + " s makes " +
                        std::to_string(static_cast<std::uint64_t>(windows)) + " windows; at most " +
                        std::to_string(static_cast<std::uint64_t>(SystemModel::max_windows)) +
                        " (choose a longer window)");
        }
        window_ = Time::from_ns(std::max<std::int64_t>(1, Time::from_seconds(model_.window_s).ns()));
        series_.window_s = model_.window_s;
        for (const RequestResult& r : request_stats_) {
            series_.requests.push_back(RequestSeries{r.name, {}, {}, {}, {}, {}, {}});
        }
        for (const Host& h : hosts_) series_.servers.push_back(ServerSeries{h.server->name(), {}, {}});
        for (const std::string& name : pair_names_) series_.replication.push_back(ReplicationSeries{name, {}, {}});
        window_latency_.resize(request_stats_.size());
        window_errors_.assign(request_stats_.size(), 0);
        window_count_.assign(request_stats_.size(), 0);
        window_timeouts_.assign(request_stats_.size(), 0);
        window_retries_.assign(request_stats_.size(), 0);
        busy_at_window_start_.assign(hosts_.size(), 0.0);
        queue_at_window_start_.assign(hosts_.size(), 0.0);
        if (network_) {
            const Topology& topology = *model_.topology;
            for (DirectedLinkId d = 0; d < topology.directed_link_count(); ++d) {
                series_.links.push_back(LinkSeries{topology.directed_link_name(d), {}, {}});
            }
            link_at_window_start_.assign(series_.links.size(), LinkStats{});
        }
        for (const FaultEvent& e : model_.events) {
            const char* action = e.action == FaultAction::fail ? "fail" : e.action == FaultAction::recover ? "recover"
                                                                                                          : "slow";
            series_.events.push_back(SeriesEvent{e.at_s, action, e.target, e.duration_s.value_or(0.0)});
        }
    }
}

System::~System() = default;

std::uint32_t System::new_call() {
    ++live_calls_;
    if (free_calls_ != none) {
        const std::uint32_t id = free_calls_;
        free_calls_ = calls_[id].next_free;
        const std::uint32_t generation = calls_[id].generation;
        // Copied from a constant rather than a temporary: building the temporary on
        // the stack and reading it back wider than it was written stalls the CPU.
        static const Call fresh{};
        calls_[id] = fresh;
        calls_[id].generation = generation;
        return id;
    }
    calls_.emplace_back();
    return static_cast<std::uint32_t>(calls_.size() - 1);
}

void System::free_call(std::uint32_t id) {
    --live_calls_;
    ++calls_[id].generation;
    calls_[id].state = State::free;
    calls_[id].next_free = free_calls_;
    free_calls_ = id;
}

void System::schedule_arrival(std::uint32_t w) {
    Workload& workload = workloads_[w];
    const Time at = workload.process->next(sim_.now(), workload.rng);
    if (at <= end_) sim_.schedule_at(at, [this, w] { arrive_from_workload(w); });
}

std::uint64_t System::draw_key(Workload& workload) {
    return workload.keys.empty() ? workload.rng.next_u64() : workload.keys.draw(workload.rng.uniform01());
}

void System::arrive_from_workload(std::uint32_t w) {
    schedule_arrival(w);
    Workload& workload = workloads_[w];
    const std::uint32_t mix = workload.mix.draw(workload.rng.uniform01());
    const std::uint64_t key = draw_key(workload);
    send_root(w, mix, key, -1.0);
}

void System::schedule_think(std::uint32_t w) {
    Workload& workload = workloads_[w];
    const auto& closed = std::get<ClosedArrivals>(workload.model->arrival);
    const double think = closed.think ? closed.think->sample(workload.rng) : 0.0;
    const Time at = sim_.now() + Time::from_seconds(think);
    if (at > end_) return;
    sim_.schedule_at(at, [this, w] {
        Workload& wl = workloads_[w];
        const std::uint32_t mix = wl.mix.draw(wl.rng.uniform01());
        const std::uint64_t key = draw_key(wl);
        send_root(w, mix, key, -1.0);
    });
}

void System::schedule_trace(std::uint32_t w) {
    Workload& workload = workloads_[w];
    if (!workload.trace->next(workload.pending)) return;
    const Time at = Time::from_seconds(workload.pending.time_s / workload.speedup);
    // Times never decrease, so the first record past the end ends the replay.
    if (at > end_) return;
    sim_.schedule_at(at, [this, w] {
        Workload& wl = workloads_[w];
        const TraceRecord record = wl.pending;
        std::uint64_t key = record.key;
        if (!record.has_key) {
            key = draw_key(wl);
        }
        schedule_trace(w);  // reads one line ahead: the next record replaces `pending`
        send_root(w, record.op, key, record.size_bytes);
    });
}

void System::send_root(std::uint32_t w, std::uint32_t mix, std::uint64_t key, double request_bytes) {
    if (live_calls_ >= model_.max_in_flight) {
        stopped_because_ = "more than " + std::to_string(model_.max_in_flight) +
                           " calls in flight: the system is saturated (longest queues: " + saturated_servers() + ")";
        sim_.stop();
        return;
    }
    const Workload& workload = workloads_[w];
    const std::uint32_t id = new_call();
    Call& call = calls_[id];
    call.workload = w;
    call.mix = mix;
    call.service = workload.model->service;
    call.op = workload.model->ops[mix];
    call.key = key;
    call.request_bytes = request_bytes;
    send_call(id, workload.from, workload.model->from_site);
}

void System::send_call(std::uint32_t id, NodeId origin, std::uint32_t site) {
    Call& call = calls_[id];
    Service& service = services_[call.service];
    const ServiceModel& sm = *service.model;
    call.sent = sim_.now();
    call.state = State::requesting;
    const PickContext ctx{call.key, site, sim_.now(), service.rng};
    // A caller (a server, or a workload) over the service's concurrency limit fails at once.
    const bool over_limit =
        elastic_ && (call.workload != none || call.parent != none) &&
        !elastic_->acquire(call.service,
                           call.workload != none ? static_cast<std::uint32_t>(hosts_.size()) + call.workload
                                                 : calls_[call.parent].host,
                           id);
    const ServerIndex backend = over_limit ? static_cast<ServerIndex>(sm.servers.size())
                                           : service.balancer->pick(ctx, service.views);
    if (backend >= sm.servers.size()) {
        // No healthy backend: the call fails where it stands.
        call.failure = over_limit ? Failure::rejected : Failure::failed;
        call.host = none;
        call.state = State::responding;
        sim_.schedule_in(Time::zero(), [this, id] { on_response_delivered(id); });
        return;
    }
    call.backend = backend;
    call.host = sm.servers[backend];
    ++service.views[backend].in_flight;
    service.balancer->on_view_changed(backend, service.views[backend]);
    service.balancer->on_sent(backend, sim_.now());
    const OpModel& op = sm.ops[call.op];
    const double bytes = call.request_bytes >= 0 ? call.request_bytes
                         : op.request_bytes       ? op.request_bytes->sample(service.op_rng[call.op])
                                                  : 0.0;
    deliver(origin, hosts_[call.host].node, bytes, id, true);
}

void System::write_load_views(const Host& host) {
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

void System::deliver(NodeId from, NodeId to, double bytes, std::uint32_t id,
                     bool request) {
    if (network_ && from != no_node && to != no_node) {
        network_->send(from, to, bytes, [this, id, request](bool ok) {
            if (!ok) calls_[id].failure = Failure::failed;
            if (request && ok) {
                on_request_delivered(id);
            } else {
                // A request lost on the way (a failed link, no route) fails at its sender
                // at once, like a connection reset: the callee never saw it.
                calls_[id].state = State::responding;
                on_response_delivered(id);
            }
        });
        return;
    }
    // No network between these two: the message arrives at once (pure queueing
    // models). Handled in place rather than as an event: the recursion is at most
    // as deep as the call graph.
    if (request) {
        on_request_delivered(id);
    } else {
        on_response_delivered(id);
    }
}

void System::on_request_delivered(std::uint32_t id) {
    Call& call = calls_[id];
    call.arrived = sim_.now();
    Host& host = hosts_[call.host];
    if (!host.server->up()) {
        // A dead server refuses the connection: the error travels back to the caller.
        call.failure = Failure::failed;
        respond(id);
        return;
    }
    if (host.threads && host.active >= *host.threads) {
        call.state = State::queued;
        host.pending.push_back(id);
        refresh_views(host);
        return;
    }
    admit(id);
}

void System::admit(std::uint32_t id) {
    Call& call = calls_[id];
    Host& host = hosts_[call.host];
    ++host.active;
    call.holds_thread = true;
    call.state = State::working;
    refresh_views(host);
    const OpModel& op = services_[call.service].model->ops[call.op];
    if (!op.work) {
        after_work(id);
        return;
    }
    Service& service = services_[call.service];
    const double work = op.work->sample(service.op_rng[call.op]);
    const Time deadline = elastic_ ? elastic_->deadline(call.service, call.arrived) : Time::max();
    if (!host.server->submit(work, std::uint64_t{id} << 1, op.priority, deadline)) {
        call.failure = host.server->up() ? Failure::rejected : Failure::failed;
        if (call.failure == Failure::rejected && measuring_) ++op_stats_[service.first_op_stat + call.op].rejected;
        respond(id);
    }
}

void System::job_finished(Server&, std::uint64_t token) {
    if (token & replica_token) {
        replica_applied(static_cast<std::uint32_t>(token & ~replica_token), true);
        return;
    }
    const auto id = static_cast<std::uint32_t>(token >> 1);
    if ((token & 1) == 0) {
        after_work(id);
    } else {
        respond(id);
    }
}

void System::job_shed(Server&, std::uint64_t token) {
    // Only first work has a deadline: never replica applies or work_after.
    shed_call(static_cast<std::uint32_t>(token >> 1));
}

void System::shed_call(std::uint32_t id) {
    Call& call = calls_[id];
    call.failure = Failure::rejected;
    if (measuring_) ++op_stats_[services_[call.service].first_op_stat + call.op].rejected;
    elastic_->shed(call.service);
    respond(id);
}

void System::job_dropped(Server&, std::uint64_t token) {
    if (token & replica_token) {
        replica_applied(static_cast<std::uint32_t>(token & ~replica_token), false);
        return;
    }
    const auto id = static_cast<std::uint32_t>(token >> 1);
    calls_[id].failure = Failure::failed;
    respond(id);
}

void System::after_work(std::uint32_t id) {
    const OpModel& op = services_[calls_[id].service].model->ops[calls_[id].op];
    if (op.replicate && calls_[id].failure == Failure::none) {
        start_replication(id);
    } else {
        start_calls(id);
    }
}

void System::start_calls(std::uint32_t id) {
    calls_[id].state = State::waiting;
    const OpModel& op = services_[calls_[id].service].model->ops[calls_[id].op];
    for (const CallModel& async_call : op.async_calls) launch_child(id, async_call, true);
    calls_[id].step = 0;
    next_step(id);
}

void System::next_step(std::uint32_t id) {
    const Service& service = services_[calls_[id].service];
    const OpModel& op = service.model->ops[calls_[id].op];
    while (calls_[id].step < op.steps.size() && calls_[id].failure == Failure::none) {
        // Without a network a child can finish inside launch_child (refused by a dead
        // server, or an op without work): the extra count keeps it from resuming this
        // call in the middle of the loop.
        ++calls_[id].outstanding;
        for (const CallModel& c : op.steps[calls_[id].step]) launch_child(id, c, false);
        if (--calls_[id].outstanding > 0) return;  // resumes when the last one returns
        ++calls_[id].step;
    }
    if (op.work_after && calls_[id].failure == Failure::none) {
        Host& host = hosts_[calls_[id].host];
        const double work = op.work_after->sample(services_[calls_[id].service].op_rng[calls_[id].op]);
        if (host.server->submit(work, (std::uint64_t{id} << 1) | 1, op.priority)) {
            calls_[id].state = State::working_after;
            return;
        }
        calls_[id].failure = host.server->up() ? Failure::rejected : Failure::failed;
        if (calls_[id].failure == Failure::rejected && measuring_) {
            ++op_stats_[services_[calls_[id].service].first_op_stat + calls_[id].op].rejected;
        }
    }
    respond(id);
}

void System::launch_child(std::uint32_t parent, const CallModel& c, bool async) {
    Service& caller_service = services_[calls_[parent].service];
    if (c.probability < 1.0 && caller_service.op_rng[calls_[parent].op].uniform01() >= c.probability) return;
    Service& callee = services_[c.service];
    if (callee.budget) callee.budget->record_call(sim_.now());
    if (!async) {
        ++calls_[parent].outstanding;
        launch_attempt(parent, calls_[parent].generation, &c, 0);
        return;
    }
    const std::uint32_t child = new_call();  // may reallocate calls_: no references across it
    Call& call = calls_[child];
    call.parent = none;
    call.service = c.service;
    call.op = c.op;
    call.key = calls_[parent].key;
    call.required = c.required;
    const Host& host = hosts_[calls_[parent].host];
    send_call(child, host.node, host.site);
}

bool System::waiting(std::uint32_t parent, std::uint32_t generation, State state) const {
    return parent < calls_.size() && calls_[parent].generation == generation && calls_[parent].state == state;
}

void System::launch_attempt(std::uint32_t parent, std::uint32_t parent_generation, const CallModel* via,
                            std::uint16_t attempt) {
    // A retry's backoff may outlive its caller (failed with its server): nobody to call for.
    if (!waiting(parent, parent_generation, State::waiting)) return;
    const std::uint32_t child = new_call();  // may reallocate calls_: no references across it
    Call& call = calls_[child];
    call.parent = parent;
    call.parent_generation = parent_generation;
    call.service = via->service;
    call.op = via->op;
    call.key = calls_[parent].key;
    call.required = via->required;
    call.via = via;
    call.attempt = attempt;
    if (via->timeout_s) {
        const std::uint32_t generation = call.generation;
        calls_[child].timeout = sim_.schedule_in(Time::from_seconds(*via->timeout_s),
                                                 [this, child, generation] { on_timeout(child, generation); });
    }
    const Host& host = hosts_[calls_[parent].host];
    send_call(child, host.node, host.site);
}

void System::on_timeout(std::uint32_t id, std::uint32_t generation) {
    Call& call = calls_[id];
    if (call.generation != generation || call.detached || call.state == State::free) return;
    // The caller stops waiting; the callee keeps working and its late response is discarded.
    call.detached = true;
    call.timeout = EventId{};
    if (elastic_) elastic_->timed_out(call.service, call.host != none ? call.backend : Elasticity::unlimited, id);
    if (measuring_) ++op_stats_[services_[call.service].first_op_stat + call.op].timeouts;
    if (!waiting(call.parent, call.parent_generation, State::waiting)) return;
    attempt_done(call.parent, call.via, call.attempt, Failure::timeout, call.retries);
}

void System::attempt_done(std::uint32_t parent, const CallModel* via, std::uint16_t attempt, Failure failure,
                          std::uint32_t retries) {
    calls_[parent].retries += retries;
    if (failure != Failure::none && via != nullptr && attempt < via->retries) {
        Service& callee = services_[via->service];
        if (!callee.budget || callee.budget->try_retry(sim_.now())) {
            ++calls_[parent].retries;
            if (measuring_) ++op_stats_[callee.first_op_stat + via->op].retries;
            double backoff = via->backoff ? via->backoff->sample(callee.retry_rng) : 0.0;
            if (via->jitter > 0) backoff *= 1.0 + via->jitter * (2.0 * callee.retry_rng.uniform01() - 1.0);
            const std::uint32_t generation = calls_[parent].generation;
            const auto next = static_cast<std::uint16_t>(attempt + 1);
            sim_.schedule_in(Time::from_seconds(std::max(0.0, backoff)), [this, parent, generation, via, next] {
                launch_attempt(parent, generation, via, next);
            });
            return;  // the parent keeps waiting: `outstanding` still counts this call
        }
    }
    Call& p = calls_[parent];
    const bool required = via == nullptr || via->required;
    if (failure != Failure::none && required && p.failure == Failure::none) p.failure = failure;
    if (--p.outstanding == 0) {
        ++p.step;
        next_step(parent);
    }
}

void System::release_thread(Host& host) {
    --host.active;
    refresh_views(host);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> shed;  // (call, generation); allocates only when shedding
    while (host.pending_head < host.pending.size()) {
        const std::uint32_t next = host.pending[host.pending_head++];
        if (host.pending_head == host.pending.size()) {
            host.pending.clear();
            host.pending_head = 0;
        }
        if (elastic_ && sim_.now() > elastic_->deadline(calls_[next].service, calls_[next].arrived)) {
            shed.emplace_back(next, calls_[next].generation);
            continue;
        }
        admit(next);
        break;
    }
    // Shed after the admission: answering them may bring new calls to this host.
    for (const auto& [id, generation] : shed) {
        if (calls_[id].generation == generation && calls_[id].state == State::queued) shed_call(id);
    }
}

std::string System::saturated_servers() const {
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

NodeId System::origin_of(const Call& call) const {
    if (call.workload != none) return workloads_[call.workload].from;
    if (call.parent != none) return hosts_[calls_[call.parent].host].node;
    return no_node;
}

void System::respond(std::uint32_t id) {
    Call& call = calls_[id];
    Host& host = hosts_[call.host];
    call.state = State::responding;
    if (measuring_ && call.arrived >= measure_from_) {
        OpResult& s = op_stats_[services_[call.service].first_op_stat + call.op];
        ++s.count;
        // Failures are timed apart: a rejection answers at once, so pooling it would
        // pull the latency of the calls served towards 0.
        if (call.failure != Failure::none) {
            ++s.errors;
            s.error_latency.record((sim_.now() - call.arrived).seconds());
        } else {
            s.latency.record((sim_.now() - call.arrived).seconds());
        }
    }
    if (call.holds_thread) {
        call.holds_thread = false;
        release_thread(host);
    }
    // Async calls answer too: nobody waits, but the response still loads the network.
    const OpModel& op = services_[calls_[id].service].model->ops[calls_[id].op];
    const double bytes = calls_[id].failure == Failure::none && op.response_bytes
                             ? op.response_bytes->sample(services_[calls_[id].service].op_rng[calls_[id].op])
                             : 0.0;
    deliver(hosts_[calls_[id].host].node, origin_of(calls_[id]), bytes, id, false);
}

void System::on_response_delivered(std::uint32_t id) {
    const Call call = calls_[id];
    if (elastic_) elastic_->release(call.service, id);
    if (call.host != none) {
        Service& service = services_[call.service];
        --service.views[call.backend].in_flight;
        service.balancer->on_view_changed(call.backend, service.views[call.backend]);
        service.balancer->on_response(call.backend, (sim_.now() - call.sent).seconds(), sim_.now());
        if (elastic_) {
            elastic_->on_answer(call.service, call.backend, (sim_.now() - call.sent).seconds(),
                                call.failure != Failure::none, call.detached);
        }
    }
    if (call.timeout.valid()) sim_.cancel(call.timeout);
    free_call(id);
    if (call.workload != none) {
        if (measuring_ && call.sent >= measure_from_) {
            const std::uint32_t stat = workloads_[call.workload].first_request_stat + call.mix;
            RequestResult& s = request_stats_[stat];
            ++s.count;
            if (call.failure != Failure::none) ++s.errors;
            if (call.failure == Failure::rejected) ++s.rejected;
            if (call.failure == Failure::timeout) ++s.timeouts;
            s.retries += call.retries;
            const double latency = (sim_.now() - call.sent).seconds();
            (call.failure == Failure::none ? s.latency : s.error_latency).record(latency);
            if (window_.ns() > 0) record_window(stat, call, latency);
        }
        // A closed user thinks once its answer (or error) is back, then asks again.
        if (workloads_[call.workload].closed) schedule_think(call.workload);
        return;
    }
    if (call.parent == none || call.detached) return;  // async, or its caller gave up (timeout)
    // The caller may have failed meanwhile (its server died): then nobody waits.
    if (!waiting(call.parent, call.parent_generation, State::waiting)) return;
    attempt_done(call.parent, call.via, call.attempt, call.failure, call.retries);
}

void System::start_measuring() {
    measuring_ = true;
    measure_from_ = sim_.now();
    for (Host& h : hosts_) h.server->reset_stats(sim_.now());
    if (network_) network_->reset_stats();
    recorder_.start_measuring(sim_.now());
    for (ReplicationPair& p : pairs_) {
        p.backlog.reset(sim_.now());
        p.backlog_at_window_start = 0;
        p.window_lag.reset();
    }
    if (window_.ns() > 0) {
        window_start_ = sim_.now();
        if (window_start_ + window_ < end_) sim_.schedule_at(window_start_ + window_, [this] { close_window(); });
    }
}

void System::record_window(std::uint32_t stat, const Call& call, double latency_s) {
    if (call.failure == Failure::none) {
        window_latency_[stat].record(latency_s);
    } else {
        ++window_errors_[stat];
    }
    ++window_count_[stat];
    if (call.failure == Failure::timeout) ++window_timeouts_[stat];
    window_retries_[stat] += call.retries;
}

void System::close_window() {
    const Time now = sim_.now();
    if (now <= window_start_) return;
    const double span = (now - measure_from_).seconds();
    const double length = (now - window_start_).seconds();
    // ns / 1e9 rather than ns * 1e-9: whole seconds stay whole (15, not 15.000000000000002).
    series_.start_s.push_back(static_cast<double>(window_start_.ns()) / 1e9);
    series_.length_s.push_back(static_cast<double>((now - window_start_).ns()) / 1e9);
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < series_.requests.size(); ++i) {
        RequestSeries& s = series_.requests[i];
        stats::LogHistogram& h = window_latency_[i];
        s.count.push_back(window_count_[i]);
        s.errors.push_back(window_errors_[i]);
        s.p50_s.push_back(h.count() ? h.quantile(0.5) : nan);
        s.p99_s.push_back(h.count() ? h.quantile(0.99) : nan);
        s.timeouts.push_back(window_timeouts_[i]);
        s.retries.push_back(window_retries_[i]);
        h.reset();
        window_errors_[i] = 0;
        window_count_[i] = 0;
        window_timeouts_[i] = 0;
        window_retries_[i] = 0;
    }
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
        ReplicationPair& p = pairs_[i];
        const double integral = p.backlog.integral(now);
        series_.replication[i].backlog.push_back(std::max(0.0, (integral - p.backlog_at_window_start) / length));
        series_.replication[i].lag_p99_s.push_back(p.window_lag.count() ? p.window_lag.quantile(0.99) : nan);
        p.backlog_at_window_start = integral;
        p.window_lag.reset();
    }
    // Servers keep time averages since the start of measuring; the window's average
    // is the difference of the integrals at its two ends.
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
        const Server& server = *hosts_[i].server;
        const double busy = server.utilization(now) * span;
        const double queue = server.mean_queue(now) * span;
        // Differences of rounded integrals can dip a hair below 0 in idle windows.
        series_.servers[i].utilization.push_back(std::max(0.0, (busy - busy_at_window_start_[i]) / length));
        series_.servers[i].mean_queue.push_back(std::max(0.0, (queue - queue_at_window_start_[i]) / length));
        busy_at_window_start_[i] = busy;
        queue_at_window_start_[i] = queue;
    }
    // Links count bytes and capacity since the start of measuring, as servers do.
    for (std::size_t d = 0; d < series_.links.size(); ++d) {
        const LinkStats stats = network_->link_stats(static_cast<DirectedLinkId>(d));
        const LinkStats& before = link_at_window_start_[d];
        const double bytes = std::max(0.0, stats.bytes - before.bytes);
        const double capacity = stats.capacity_bytes - before.capacity_bytes;
        series_.links[d].bytes.push_back(bytes);
        series_.links[d].utilization.push_back(capacity > 0 && std::isfinite(capacity) ? std::min(1.0, bytes / capacity)
                                                                                       : 0.0);
        link_at_window_start_[d] = stats;
    }
    recorder_.close_window(window_start_, now);
    window_start_ = now;
    if (!sim_.stopped() && now + window_ < end_) sim_.schedule_at(now + window_, [this] { close_window(); });
}

RunResults System::run(const Progress& progress) {
    const auto wall_start = std::chrono::steady_clock::now();
    const Time warmup = Time::from_seconds(model_.warmup_s);
    end_ = warmup + Time::from_seconds(model_.duration_s);
    for (std::uint32_t w = 0; w < workloads_.size(); ++w) {
        if (workloads_[w].process) {
            schedule_arrival(w);
        } else if (workloads_[w].trace) {
            schedule_trace(w);
        } else {
            const auto users = std::get<ClosedArrivals>(workloads_[w].model->arrival).users;
            for (std::uint64_t u = 0; u < users; ++u) schedule_think(w);
        }
    }
    schedule_faults();
    if (elastic_) elastic_->start(end_);
    if (model_.warmup_s > 0) {
        sim_.schedule_at(warmup, [this] { start_measuring(); });
    } else {
        start_measuring();
    }
    // In slices, so the caller can show progress or stop: the slicing adds no events.
    constexpr int slices = 100;
    for (int i = 1; i <= slices && !sim_.stopped(); ++i) {
        sim_.run_until(Time::from_ns(end_.ns() / slices * i + (i == slices ? end_.ns() % slices : 0)));
        if (progress && !sim_.stopped() && !progress(static_cast<double>(i) / slices)) {
            stopped_because_ = "interrupted";
            break;
        }
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return collect(wall);
}

RunResults System::collect(double wall_s) {
    RunResults r;
    r.scenario = model_.name;
    r.seed = model_.seed;
    r.simulated_s = (sim_.now() - measure_from_).seconds();
    r.wall_s = wall_s;
    r.events = sim_.events_processed();
    r.stopped_early = stopped_because_;
    if (window_.ns() > 0 && measuring_) close_window();  // the last (or interrupted) window
    // Moved, not copied (the run is over): with thousands of request classes, two copies of
    // every histogram and series would double the peak memory.
    r.requests = std::move(request_stats_);
    r.ops = std::move(op_stats_);
    if (window_.ns() > 0 && measuring_) r.timeseries = std::move(series_);
    window_latency_ = {};
    const Time now = sim_.now();
    for (const Host& h : hosts_) {
        const Server& s = *h.server;
        r.servers.push_back(ServerResult{s.name(), s.utilization(now), s.mean_queue(now), s.max_queue(),
                                        s.completed(), s.rejected()});
    }
    if (network_) {
        const Topology& topology = *model_.topology;
        for (DirectedLinkId d = 0; d < topology.directed_link_count(); ++d) {
            const LinkStats stats = network_->link_stats(d);
            r.links.push_back(LinkResult{topology.directed_link_name(d), stats.utilization, stats.bytes});
        }
    }
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
        const ReplicationPair& p = pairs_[i];
        r.replication.push_back(ReplicationResult{pair_names_[i], p.count, p.failed, p.lag,
                                                  measuring_ ? p.backlog.mean(now) : 0.0, p.backlog.max()});
    }
    if (elastic_) elastic_->finish(now);
    r.tables = recorder_.collect(now, measuring_);
    r.log = recorder_.take_log();
    return r;
}

}  // namespace s2sim::models

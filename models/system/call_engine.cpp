// The life of a call, from its request message to its response (System's part for the
// ops of [services] and their calls: timeouts, retries, backoff).
#include "models/system/call_engine.hpp"

#include <algorithm>
#include <string>

#include "models/system/consistency.hpp"
#include "models/system/hosts.hpp"
#include "models/system/measurements.hpp"
#include "models/system/replicator.hpp"
#include "models/system/service_pools.hpp"
#include "models/system/workload_sources.hpp"

namespace s2sim::models::system {

CallEngine::CallEngine(Context& context, Hosts& hosts, ServicePools& pools, WorkloadSources& sources,
                       Replicator& replicator, Measurements& measurements)
    : context_(context),
      sim_(context.sim),
      network_(context.network),
      hosts_(hosts),
      services_(pools),
      workloads_(sources),
      replicator_(replicator),
      measurements_(measurements) {}

CallEngine::~CallEngine() = default;

std::uint32_t CallEngine::grow_calls() {
    calls_.emplace_back();
    return static_cast<std::uint32_t>(calls_.size() - 1);
}

void CallEngine::prepare() {
    for (std::uint32_t s = 0; s < context_.model.services.size(); ++s) {
        std::vector<OpState>& ops = services_[s].ops;
        for (std::uint32_t o = 0; o < ops.size(); ++o) ops[o].stats = &measurements_.op(s, o);
    }
    plain_ = !services_.elastic() && !context_.metastability && !context_.consistency && !context_.transport &&
             !hedges_ && throttles_.empty();
}

void CallEngine::free_call(std::uint32_t id) {
    --live_calls_;
    ++calls_[id].generation;
    calls_[id].state = State::free;
    calls_[id].next_free = free_calls_;
    free_calls_ = id;
}

void CallEngine::send_root(std::uint32_t w, std::uint32_t mix, std::uint64_t key, double request_bytes) {
    if (live_calls_ >= context_.model.max_in_flight) {
        context_.stopped_because = "more than " + std::to_string(context_.model.max_in_flight) +
                                   " calls in flight: the system is saturated (longest queues: " +
                                   hosts_.saturated_servers() + ")";
        context_.sim.stop();
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
    call.reply_to = workload.from;
    Service& service = services_[call.service];
    send_call<true>(id, service, service.ops[call.op], workload.from, workload.model->from_site);
}

// send_call(), deliver(), admit() and attempt_done() are `inline`: called from this file only,
// once or twice per call each; GCC inlines the first three (-1.3% instructions on the shop).
template <bool root>
inline void CallEngine::send_call(std::uint32_t id, Service& service, OpState& op, NodeId origin, std::uint32_t site) {
    Call& call = calls_[id];
    call.op_state = &op;
    call.sent = sim_.now();
    call.state = State::requesting;
    const bool over_limit = !plain_ && hooks_on_send(id);
    const PickContext ctx{call.key, site, sim_.now(), service.rng};
    // The views' span from host_count (their number), not from the vector: no division by 24.
    const ServerIndex backend = over_limit ? static_cast<ServerIndex>(service.host_count)
                                           : service.balancer->pick(ctx, {service.views.data(), service.host_count});
    if (backend >= service.host_count) [[unlikely]] {
        fail_unsent(id, over_limit);
        return;
    }
    call.backend = backend;
    call.host = service.hosts[backend];
    ++service.views[backend].in_flight;
    if (service.tell_in_flight) service.balancer->on_view_changed(backend, service.views[backend]);
    if (service.tell_sent) [[unlikely]] service.balancer->on_sent(backend, sim_.now());
    const double fixed = op.fixed_request_bytes;
    const double bytes = root && call.request_bytes >= 0 ? call.request_bytes
                         : fixed >= 0             ? fixed
                                                  : op.request_bytes->sample(op.rng);
    deliver<true>(origin, hosts_[call.host].node, bytes, id);
}

void CallEngine::fail_unsent(std::uint32_t id, bool over_limit) {
    // No healthy backend (or the caller over its limit): the call fails where it stands.
    Call& call = calls_[id];
    call.failure = over_limit ? Failure::rejected : Failure::failed;
    call.host = none;
    call.state = State::responding;
    sim_.schedule_in(Time::zero(), [this, id] { on_response_delivered(id); });
}

template <bool request>
inline void CallEngine::deliver(NodeId from, NodeId to, double bytes, std::uint32_t id) {
    // Without a network every node is no_node (Hosts, WorkloadSources): two tests, not three.
    if (from == no_node || to == no_node) [[unlikely]] {
        deliver_at_once(id, request);
        return;
    }
    // One callback type per direction: the network's call tests no `request` flag.
    auto on_done = [this, id](bool ok) {
        if constexpr (request) {
            if (ok) [[likely]] {
                on_request_delivered(id);
                return;
            }
            // A request lost on the way (a failed link, no route) fails at its sender
            // at once, like a connection reset: the callee never saw it.
            calls_[id].failure = Failure::failed;
            calls_[id].state = State::responding;
        } else if (!ok) {
            calls_[id].failure = Failure::failed;  // a response is sent `responding` (respond())
        }
        on_response_delivered(id);
    };
    if (!plain_ && context_.transport) [[unlikely]] {
        deliver_by_transport(from, to, bytes, id, request, std::move(on_done));
    } else {
        network_->send(from, to, bytes, std::move(on_done));
    }
}

void CallEngine::deliver_at_once(std::uint32_t id, bool request) {
    // An async call's connection: nothing comes back over it.
    if (!plain_ && context_.transport && !request) context_.transport->release(id);
    // No network between these two: the message arrives at once (pure queueing
    // models). Handled in place rather than as an event: the recursion is at most
    // as deep as the call graph.
    if (request) {
        on_request_delivered(id);
    } else {
        on_response_delivered(id);
    }
}

void CallEngine::on_request_delivered(std::uint32_t id) {
    if (calls_[id].cancelled) [[unlikely]] {  // a hedge lost while its request travelled
        discard_attempt(id);
        return;
    }
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
        services_.refresh_views(host);
        return;
    }
    admit(id);
}

inline void CallEngine::admit(std::uint32_t id) {
    Call& call = calls_[id];
    Host& host = hosts_[call.host];
    ++host.active;
    call.holds_thread = true;
    call.state = State::working;
    services_.refresh_views(host);
    OpState& op = *call.op_state;
    if (op.work == nullptr) {
        after_work(id);
        return;
    }
    const double work = op.work->sample(op.rng);
    const Time deadline = plain_ ? Time::max() : deadline_of(call);
    if (!host.server->submit(work, std::uint64_t{id} << 1, op.priority, deadline)) [[unlikely]] {
        call.failure = host.server->up() ? Failure::rejected : Failure::failed;
        if (call.failure == Failure::rejected && context_.measuring) ++measurements_.op(call.service, call.op).rejected;
        respond(id);
    }
}

void CallEngine::deliver_by_transport(NodeId from, NodeId to, double bytes, std::uint32_t id, bool request,
                                      Transport::Done on_done) {
    const Call& call = calls_[id];
    const OpModel& op = services_[call.service].model->ops[call.op];
    if (request) {
        const std::uint32_t caller_host = call.parent != none ? calls_[call.parent].host : Transport::no_host;
        context_.transport->send_request(id, from, caller_host, to, call.host, call.service, bytes,
                                         op.request_encoding ? &*op.request_encoding : nullptr, std::move(on_done));
    } else {
        context_.transport->send_response(id, bytes, op.response_encoding ? &*op.response_encoding : nullptr,
                                          std::move(on_done));
    }
}

void CallEngine::job_finished(Server&, std::uint64_t token) {
    if (token & transport_token) {
        context_.transport->job_done(token & ~transport_token, true);
        return;
    }
    if (token & Replicator::job_token) {
        replicator_.applied(static_cast<std::uint32_t>(token & ~Replicator::job_token), true);
        return;
    }
    const auto id = static_cast<std::uint32_t>(token >> 1);
    if ((token & 1) == 0) {
        after_work(id);
    } else {
        respond(id);
    }
}

void CallEngine::job_shed(Server&, std::uint64_t token) {
    // Only first work has a deadline: never replica applies or work_after.
    shed_call(static_cast<std::uint32_t>(token >> 1));
}

void CallEngine::shed_call(std::uint32_t id) {
    Call& call = calls_[id];
    call.failure = Failure::rejected;
    if (context_.measuring) ++measurements_.op(call.service, call.op).rejected;
    services_.elastic()->shed(call.service);
    respond(id);
}

void CallEngine::job_dropped(Server&, std::uint64_t token) {
    if (token & transport_token) {
        context_.transport->job_done(token & ~transport_token, false);
        return;
    }
    if (token & Replicator::job_token) {
        replicator_.applied(static_cast<std::uint32_t>(token & ~Replicator::job_token), false);
        return;
    }
    const auto id = static_cast<std::uint32_t>(token >> 1);
    calls_[id].failure = Failure::failed;
    respond(id);
}

inline void CallEngine::begin_calls(std::uint32_t id, const OpState& op, std::uint16_t step) {
    if (op.async_count != 0) [[unlikely]] {
        begin_with_async(id, op, step);
        return;
    }
    calls_[id].state = State::waiting;
    begin_steps(id, op, step);
}

void CallEngine::begin_with_async(std::uint32_t id, const OpState& op, std::uint16_t step) {
    calls_[id].state = State::waiting;
    for (std::uint32_t i = 0; i < op.async_count; ++i) launch_async(id, op.async_calls[i]);
    begin_steps(id, op, step);
}

inline void CallEngine::begin_steps(std::uint32_t id, const OpState& op, std::uint16_t step) {
    calls_[id].step = step;
    if (step >= op.step_count && op.work_after == nullptr) {
        respond(id);  // a leaf op (or a cache hit without work after): what next_step() would do
        return;
    }
    next_step(id);
}

void CallEngine::after_work(std::uint32_t id) {
    if (!plain_ && context_.consistency) [[unlikely]] {
        after_work_consistent(id);
        return;
    }
    work_done(id);
}

void CallEngine::after_work_consistent(std::uint32_t id) {
    if (calls_[id].failure == Failure::none && context_.consistency->after_work(id)) return;
    work_done(id);
}

inline void CallEngine::work_done(std::uint32_t id) {
    const OpState& op = *calls_[id].op_state;
    if (op.leaf) {
        respond(id);  // what begin_calls() comes to, without its tests (respond() sets the state)
        return;
    }
    if (op.replicate && calls_[id].failure == Failure::none) {
        replicator_.start_replication(id);
        return;
    }
    begin_calls(id, op, 0);  // inline: the path of every op that does not replicate
}

void CallEngine::start_calls(std::uint32_t id, bool skip) {
    const OpState& op = *calls_[id].op_state;
    begin_calls(id, op, skip ? static_cast<std::uint16_t>(op.step_count) : std::uint16_t{0});
}

void CallEngine::skip_calls(std::uint32_t id) {
    start_calls(id, true);
}

void CallEngine::next_step(std::uint32_t id) {
    OpState& op = *calls_[id].op_state;
    while (calls_[id].step < op.step_count && calls_[id].failure == Failure::none) {
        // Without a network a child can finish inside launch_step_call (refused by a dead
        // server, or an op without work): the extra count keeps it from resuming this
        // call in the middle of the loop.
        ++calls_[id].outstanding;
        const StepCall& first = op.step_table[calls_[id].step];
        if (first.calls > 0) launch_step_call(id, first);
        for (std::uint32_t i = 1; i < first.calls; ++i) launch_step_call(id, op.step_table[first.more + i - 1]);
        if (--calls_[id].outstanding > 0) return;  // resumes when the last one returns
        ++calls_[id].step;
    }
    if (op.work_after != nullptr && calls_[id].failure == Failure::none) {
        Host& host = hosts_[calls_[id].host];
        const double work = op.work_after->sample(op.rng);
        if (host.server->submit(work, (std::uint64_t{id} << 1) | 1, op.priority)) {
            calls_[id].state = State::working_after;
            return;
        }
        calls_[id].failure = host.server->up() ? Failure::rejected : Failure::failed;
        if (calls_[id].failure == Failure::rejected && context_.measuring) {
            ++measurements_.op(calls_[id].service, calls_[id].op).rejected;
        }
    }
    respond(id);
}

void CallEngine::launch_async(std::uint32_t parent, const CallModel& c) {
    if (c.probability < 1.0 && calls_[parent].op_state->rng.uniform01() >= c.probability) return;
    Service& callee = services_[c.service];
    if (callee.budget) callee.budget->record_call(sim_.now());
    const std::uint32_t child = new_call();  // may reallocate calls_: no references across it
    calls_[child].parent = none;
    send_child<false>(child, parent, c.service, c.op, c.required, callee, callee.ops[c.op]);
}

template <bool answered>
inline void CallEngine::send_child(std::uint32_t child, std::uint32_t parent, std::uint32_t service, std::uint32_t op,
                                   bool required, Service& callee, OpState& callee_op) {
    Call& call = calls_[child];
    call.service = service;
    call.op = op;
    call.key = calls_[parent].key;
    call.required = required;
    const Host& host = hosts_[calls_[parent].host];
    if (answered) call.reply_to = host.node;  // else no_node, as new_call() left it
    send_call<false>(child, callee, callee_op, host.node, host.site);
}

inline void CallEngine::launch_step_call(std::uint32_t parent, const StepCall& c) {
    // The parent waits: it is running its steps. Only the step table's copy of the fields is read.
    if (!c.certain && calls_[parent].op_state->rng.uniform01() >= c.probability) return;
    if (c.callee->budget) c.callee->budget->record_call(sim_.now());
    if (c.hedge) [[unlikely]] {
        launch_hedged(parent, *c.model);
        return;
    }
    ++calls_[parent].outstanding;
    send_first_attempt(parent, calls_[parent].generation, c);
}

void CallEngine::send_first_attempt(std::uint32_t parent, std::uint32_t parent_generation, const StepCall& c) {
    // send_attempt() of attempt 0 outside a hedge group, from the step table's entry.
    const std::uint32_t child = new_call();  // may reallocate calls_: no references across it
    Call& call = calls_[child];
    call.parent = parent;
    call.parent_generation = parent_generation;
    call.via = c.model;
    if (c.has_timeout) arm_timeout(child, c.timeout_s);
    send_child<true>(child, parent, c.service, c.op, c.required, *c.callee, *c.callee_op);
}

void CallEngine::launch_attempt(std::uint32_t parent, std::uint32_t parent_generation, const CallModel* via,
                            std::uint16_t attempt, std::uint32_t group) {
    // A retry's backoff may outlive its caller (failed with its server): nobody to call for.
    if (!waiting(parent, parent_generation, State::waiting)) return;
    send_attempt(parent, parent_generation, via, attempt, group);
}

void CallEngine::send_attempt(std::uint32_t parent, std::uint32_t parent_generation, const CallModel* via,
                              std::uint16_t attempt, std::uint32_t group) {
    const std::uint32_t child = new_call();  // may reallocate calls_: no references across it
    Call& call = calls_[child];
    call.parent = parent;
    call.parent_generation = parent_generation;
    call.via = via;
    call.attempt = attempt;
    if (group != none) [[unlikely]] {
        call.group = group;
        hedges_->add_attempt(group, child, call.generation);
    }
    if (via->timeout_s) arm_timeout(child, *via->timeout_s);
    Service& callee = services_[via->service];
    send_child<true>(child, parent, via->service, via->op, via->required, callee, callee.ops[via->op]);
}

void CallEngine::arm_timeout(std::uint32_t id, double timeout_s) {
    const std::uint32_t generation = calls_[id].generation;
    calls_[id].timeout =
        sim_.schedule_in(Time::from_seconds(timeout_s), [this, id, generation] { on_timeout(id, generation); });
}

void CallEngine::on_timeout(std::uint32_t id, std::uint32_t generation) {
    Call& call = calls_[id];
    if (call.generation != generation || call.detached || call.state == State::free) return;
    // The caller stops waiting; the callee keeps working and its late response is discarded.
    call.detached = true;
    call.timeout = EventId{};
    if (Elasticity* elastic = services_.elastic()) {
        elastic->timed_out(call.service, call.host != none ? call.backend : Elasticity::unlimited, id);
    }
    if (context_.measuring) ++measurements_.op(call.service, call.op).timeouts;
    if (call.group != none) {
        const Call attempt = call;
        calls_[id].group = none;  // out of its group: it keeps working, unread
        hedged_attempt_done(id, attempt, Failure::timeout);
        return;
    }
    if (!waiting(call.parent, call.parent_generation, State::waiting)) return;
    attempt_done<false>(call.parent, call.via, call.attempt, Failure::timeout, call.retries);
}

template <bool plain>
inline void CallEngine::attempt_done(std::uint32_t parent, const CallModel* via, std::uint16_t attempt, Failure failure,
                          std::uint32_t retries) {
    calls_[parent].retries += retries;
    // Throttles (hooks on) and retries out of line, as a tail call: the usual answer saves no
    // registers for them.
    if ((!plain && !plain_) || (failure != Failure::none && via != nullptr && attempt < via->retries)) [[unlikely]] {
        throttle_or_retry(parent, via, attempt, failure);
        return;
    }
    finish_attempts(parent, via, failure);
}

void CallEngine::throttle_or_retry(std::uint32_t parent, const CallModel* via, std::uint16_t attempt,
                                   Failure failure) {
    RetryThrottles* throttle = !plain_ && via != nullptr ? throttle_of(via->service) : nullptr;
    if (throttle) [[unlikely]] throttle->record(calls_[parent].host, failure == Failure::none, context_.sim.now());
    if (failure != Failure::none && via != nullptr && attempt < via->retries &&
        (!throttle || throttle->allows(calls_[parent].host, context_.sim.now()))) {
        Service& callee = services_[via->service];
        if (!callee.budget || callee.budget->try_retry(context_.sim.now())) {
            ++calls_[parent].retries;
            if (context_.measuring) ++measurements_.op(via->service, via->op).retries;
            double backoff = via->backoff ? via->backoff->sample(callee.retry_rng) : 0.0;
            if (via->jitter > 0) backoff *= 1.0 + via->jitter * (2.0 * callee.retry_rng.uniform01() - 1.0);
            const std::uint32_t generation = calls_[parent].generation;
            const auto next = static_cast<std::uint16_t>(attempt + 1);
            context_.sim.schedule_in(Time::from_seconds(std::max(0.0, backoff)), [this, parent, generation, via, next] {
                launch_attempt(parent, generation, via, next);
            });
            return;  // the parent keeps waiting: `outstanding` still counts this call
        }
    }
    finish_attempts(parent, via, failure);
}

void CallEngine::finish_attempts(std::uint32_t parent, const CallModel* via, Failure failure) {
    Call& p = calls_[parent];
    // `via` read only on a failure: the usual answer leaves the CallModel's lines alone.
    if (failure != Failure::none && (via == nullptr || via->required) && p.failure == Failure::none) {
        p.failure = failure;
    }
    if (--p.outstanding == 0) {
        ++p.step;
        next_step(parent);
    }
}

inline void CallEngine::free_thread(Host& host) {
    --host.active;
    services_.refresh_views(host);
    // Calls wait when the ring is not empty: it is emptied whenever its head reaches its end
    // (Host::next_waiting() and every other removal), a test of two pointers, not the head too.
    if (!plain_ || !host.pending.empty()) [[unlikely]] admit_waiting(host);
}

void CallEngine::admit_waiting(Host& host) {
    if (!plain_) {
        if (Elasticity* elastic = services_.elastic()) {
            admit_or_shed(host, *elastic);
            return;
        }
    }
    if (const std::uint32_t next = host.next_waiting(); next != none) admit(next);
}

void CallEngine::release_thread(Host& host) {
    free_thread(host);
}

void CallEngine::admit_or_shed(Host& host, Elasticity& elastic) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> shed;  // (call, generation); allocates only when shedding
    for (std::uint32_t next = host.next_waiting(); next != none; next = host.next_waiting()) {
        if (context_.sim.now() > elastic.deadline(calls_[next].service, calls_[next].arrived)) {
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

void CallEngine::respond(std::uint32_t id) {
    Call& call = calls_[id];
    Host& host = hosts_[call.host];
    call.state = State::responding;
    measurements_.op_done(call, sim_.now());
    // What the response needs of the call, read before free_thread(): admitting a waiting call
    // may start calls (and move calls_); none of these fields changes meanwhile.
    OpState& state = *call.op_state;
    const bool failed = call.failure != Failure::none;
    const NodeId from = host.node;
    const NodeId to = call.reply_to;
    if (call.holds_thread) {
        call.holds_thread = false;
        free_thread(host);
    }
    // Async calls answer too: nobody waits, but the response still loads the network. Drawn
    // after free_thread(), as before: an admitted call of the same op draws its work first.
    const double bytes = failed                              ? 0.0
                         : state.fixed_response_bytes >= 0   ? state.fixed_response_bytes
                                                             : state.response_bytes->sample(state.rng);
    deliver<false>(from, to, bytes, id);
}

void CallEngine::on_response_delivered(std::uint32_t id) {
    if (plain_) [[likely]] {
        // In place: without hooks nothing here starts a call (which could move calls_) before
        // the last read of the slot, and free_call() rewrites no field read after it.
        answered<true>(id, calls_[id]);
    } else {
        answer_with_hooks(id);
    }
}

void CallEngine::answer_with_hooks(std::uint32_t id) {
    // A copy: the hooks may start calls, and hedges read the attempt after its slot is freed.
    const Call call = calls_[id];
    answered<false>(id, call);
}

template <bool plain>
inline void CallEngine::answered(std::uint32_t id, const Call& call) {
    if (!plain) hooks_on_answer(id, call, false);
    if (call.host != none) [[likely]] {
        Service& service = services_[call.service];
        --service.views[call.backend].in_flight;
        if (service.tell_in_flight) service.balancer->on_view_changed(call.backend, service.views[call.backend]);
        if (service.tell_response) [[unlikely]] {
            service.balancer->on_response(call.backend, (sim_.now() - call.sent).seconds(), sim_.now());
        }
        if (!plain) hooks_on_answer(id, call, true);
    }
    if (call.timeout.valid()) sim_.cancel(call.timeout);
    free_call(id);
    if (!plain && context_.metastability) count_answered(call);
    if (call.workload != none) {
        root_answered(call);
        return;
    }
    if (call.parent == none || call.detached) return;  // async, or its caller gave up (timeout)
    if (!plain && call.group != none) {  // a hedge (never when plain_)
        hedged_attempt_done(id, call, call.failure);
        return;
    }
    // The caller may have failed meanwhile (its server died): then nobody waits. waiting()
    // without its bound check: a parent is a slot, and slots are never removed.
    const Call& parent = calls_[call.parent];
    if (parent.generation != call.parent_generation || parent.state != State::waiting) return;
    if (!plain && context_.consistency && call.failure == Failure::none) context_.consistency->returned(id, call);
    attempt_done<plain>(call.parent, call.via, call.attempt, call.failure, call.retries);
}

void CallEngine::root_answered(const Call& call) {
    measurements_.request_done(call, sim_.now());
    workloads_.request_done(call.workload);
}

bool CallEngine::hooks_on_send(std::uint32_t id) {
    const Call& call = calls_[id];
    if (context_.metastability) context_.metastability->attempt_sent(call.service, call.op, call.attempt == 0);
    // A caller (a server, or a workload) over the service's concurrency limit fails at once.
    Elasticity* elastic = services_.elastic();
    return elastic && (call.workload != none || call.parent != none) &&
           !elastic->acquire(call.service,
                             call.workload != none ? hosts_.size() + call.workload : calls_[call.parent].host, id);
}

Time CallEngine::deadline_of(const Call& call) const {
    return services_.elastic() ? services_.elastic()->deadline(call.service, call.arrived) : Time::max();
}

void CallEngine::hooks_on_answer(std::uint32_t id, const Call& call, bool after_balancer) {
    Elasticity* elastic = services_.elastic();
    if (!elastic) return;
    if (!after_balancer) {
        elastic->release(call.service, id);
        return;
    }
    elastic->on_answer(call.service, call.backend, (sim_.now() - call.sent).seconds(), call.failure != Failure::none,
                       call.detached);
}

void CallEngine::count_answered(const Call& call) {
    if (call.failure == Failure::none && !call.detached &&
        (call.parent == none || waiting(call.parent, call.parent_generation, State::waiting))) {
        context_.metastability->answered(call.service);
    }
}

}  // namespace s2sim::models::system

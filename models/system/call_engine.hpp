#pragma once
#include <cstdint>
#include <vector>

#include "models/hedging.hpp"
#include "models/metastability.hpp"
#include "models/retry_throttle.hpp"
#include "models/server.hpp"
#include "models/system/call.hpp"
#include "models/system/context.hpp"

namespace s2sim::models {
class Elasticity;
}  // namespace s2sim::models

namespace s2sim::models::system {

class Hosts;
struct Host;
class ServicePools;
class WorkloadSources;
class Replicator;
class Measurements;

/// The call engine: every call in flight in one flat array of slots (reused, with a
/// generation against stale references), and the life of a call: request message,
/// thread, work on a core, replication, the op's calls in steps (attempts, timeouts,
/// retries with backoff and budget), work after, response message. It is the servers'
/// JobListener: a job token is `call id << 1 | phase` (phase 1 = work_after), or a
/// replica apply (Replicator::job_token).
class CallEngine final : public JobListener {
public:
    CallEngine(Context& context, Hosts& hosts, ServicePools& pools, WorkloadSources& sources,
               Replicator& replicator, Measurements& measurements);
    ~CallEngine() override;
    /// Builds the hedges and retry throttles the model asks for (models/resilience.cpp).
    /// Called once every part is built: it reads the hosts, built after the engine.
    void build_resilience();
    /// Reads which opt-in features hook into calls (elasticity, metastability, consistency,
    /// transport, hedges, retry throttles): when none does, the hot path skips all their
    /// hooks on one flag. Called once the System is wired, before its first call.
    void prepare();

    [[nodiscard]] Call& operator[](std::uint32_t id) { return calls_[id]; }
    [[nodiscard]] const Call& operator[](std::uint32_t id) const { return calls_[id]; }
    /// Slots in the array, free or not (call ids are below it).
    [[nodiscard]] std::uint32_t size() const { return static_cast<std::uint32_t>(calls_.size()); }

    /// Creates a root call of workload `w` with mix index `mix` and sends it; stops the run
    /// when too many calls are in flight.
    void send_root(std::uint32_t w, std::uint32_t mix, std::uint64_t key, double request_bytes);
    /// True when `parent` is alive with `generation` and waits in `state`.
    [[nodiscard]] bool waiting(std::uint32_t parent, std::uint32_t generation, State state) const {
        return parent < calls_.size() && calls_[parent].generation == generation && calls_[parent].state == state;
    }
    /// The op of call `id` goes on to its calls (after its work and replication).
    void start_calls(std::uint32_t id, bool skip = false);
    /// The op of call `id` goes on past its calls (a cache hit): async calls, work after, response.
    void skip_calls(std::uint32_t id);
    /// The op of call `id` is done (or failed): its thread is freed, its response sent.
    void respond(std::uint32_t id);

    /// Server job tokens with this bit set are the transport's (handshakes, encodings).
    static constexpr std::uint64_t transport_token = std::uint64_t{1} << 62;

    void job_finished(Server& server, std::uint64_t token) override;
    void job_dropped(Server& server, std::uint64_t token) override;
    void job_shed(Server& server, std::uint64_t token) override;

private:
    std::uint32_t new_call() {
        ++live_calls_;
        if (free_calls_ == none) [[unlikely]] return grow_calls();
        const std::uint32_t id = free_calls_;
        free_calls_ = calls_[id].next_free;
        // The fields from Call::parent on copied from a constant (those before are written by
        // every send, or kept), rather than from a temporary: building the temporary on the
        // stack and reading it back wider than it was written stalls the CPU. Copied as five
        // 16-byte moves: seeing the constant, GCC would otherwise write it with `rep stos`,
        // whose start-up costs dozens of cycles.
        static const Call fresh{};
        using Chunk = long long __attribute__((vector_size(16)));
        static_assert(sizeof(Call) == 8 * sizeof(Chunk) && alignof(Call) >= alignof(Chunk));
        static_assert(offsetof(Call, parent) == 3 * sizeof(Chunk));
        const Call* from = &fresh;
        asm("" : "+r"(from));  // hides the constant's value from the optimiser
        const auto* src = reinterpret_cast<const Chunk*>(from);
        auto* dst = reinterpret_cast<Chunk*>(&calls_[id]);
        dst[3] = src[3];
        dst[4] = src[4];
        dst[5] = src[5];
        dst[6] = src[6];
        dst[7] = src[7];
        return id;
    }
    /// new_call() without a free slot: appends one (out of line, so new_call stays small).
    [[gnu::noinline]] std::uint32_t grow_calls();
    void free_call(std::uint32_t id);
    /// Sends call `id` (fields service, op, key set: its `service` and `op` in it) from `origin`
    /// at site `site`. Only a root
    /// may carry its own request size: a child's size test compiles away.
    template <bool root>
    void send_call(std::uint32_t id, Service& service, OpState& op, NodeId origin, std::uint32_t site);
    /// send_call() without a backend (none healthy, or `over_limit`): call `id` fails at once.
    [[gnu::noinline]] void fail_unsent(std::uint32_t id, bool over_limit);
    /// Sends call `id`'s request (`request`) or response from `from` to `to`.
    template <bool request>
    void deliver(NodeId from, NodeId to, double bytes, std::uint32_t id);
    /// deliver() without a network between the two ends: the message arrives at once.
    [[gnu::noinline]] void deliver_at_once(std::uint32_t id, bool request);
    /// deliver() through the transport (connections, encodings).
    void deliver_by_transport(NodeId from, NodeId to, double bytes, std::uint32_t id, bool request,
                              Transport::Done on_done);
    /// Out of line: the network's callback and deliver_at_once stay small around it.
    [[gnu::noinline]] void on_request_delivered(std::uint32_t id);
    void admit(std::uint32_t id);
    void next_step(std::uint32_t id);
    /// Fires async call `call` of `parent`'s op (nobody waits for it).
    void launch_async(std::uint32_t parent, const CallModel& call);
    /// Launches step call `c` (its step table's entry; a hedged one through launch_hedged()):
    /// reads no CallModel on the usual path.
    void launch_step_call(std::uint32_t parent, const StepCall& c);
    /// send_attempt() of the first attempt of step call `c`, outside a hedge group.
    [[gnu::noinline]] void send_first_attempt(std::uint32_t parent, std::uint32_t parent_generation,
                                              const StepCall& c);
    /// Sends child call `child` (its links to `parent` set) to op `op` of `service` (`callee`
    /// and `callee_op`), from `parent`'s host: the part every launch of a child shares.
    /// `answered`: its response goes back to `parent`'s host (false: an async call).
    template <bool answered>
    void send_child(std::uint32_t child, std::uint32_t parent, std::uint32_t service, std::uint32_t op, bool required,
                    Service& callee, OpState& callee_op);
    /// Sends attempt `attempt` of call `via` for `parent` (which must still wait for it).
    void launch_attempt(std::uint32_t parent, std::uint32_t parent_generation, const CallModel* via,
                        std::uint16_t attempt, std::uint32_t group = none);
    /// launch_attempt() for a parent known to wait (its steps are running): no check.
    [[gnu::noinline]] void send_attempt(std::uint32_t parent, std::uint32_t parent_generation, const CallModel* via,
                                        std::uint16_t attempt, std::uint32_t group = none);
    /// The caller learns how an attempt ended: retries it, or counts it as returned. `plain`:
    /// plain_ is known to be set.
    template <bool plain>
    void attempt_done(std::uint32_t parent, const CallModel* via, std::uint16_t attempt, Failure failure,
                      std::uint32_t retries);
    /// attempt_done() with hooks on or a retry allowed by `via`: tells the retry throttle, and
    /// schedules the retry if the throttle and budget allow it, else finishes the attempts.
    [[gnu::noinline]] void throttle_or_retry(std::uint32_t parent, const CallModel* via, std::uint16_t attempt,
                                             Failure failure);
    /// The caller has the outcome of call `via`: fails it (if required) or goes on.
    void finish_attempts(std::uint32_t parent, const CallModel* via, Failure failure);
    // Hedged requests and cancellation (models/hedging.cpp).
    void launch_hedged(std::uint32_t parent, const CallModel& call);
    void arm_hedge(std::uint32_t group);
    void send_hedge(std::uint32_t group);
    void hedged_attempt_done(std::uint32_t id, const Call& attempt, Failure failure);
    /// Withdraws attempt `id` wherever it is (a hedge lost): from its server's queue or cores,
    /// its thread released; its own calls carry on unread.
    void cancel_attempt(std::uint32_t id);
    /// Frees a withdrawn attempt (its balancer view updated).
    void discard_attempt(std::uint32_t id);
    /// The retry throttles of calls to `service`, or null.
    [[nodiscard]] RetryThrottles* throttle_of(std::uint32_t service) const {
        return throttles_.empty() ? nullptr : throttles_[service].get();
    }
    /// Schedules the timeout of attempt `id` (out of line: send_attempt() then saves no registers).
    [[gnu::noinline]] void arm_timeout(std::uint32_t id, double timeout_s);
    void on_timeout(std::uint32_t id, std::uint32_t generation);
    /// After the op's work: replicate the write (if the op does), then the calls.
    void after_work(std::uint32_t id);
    /// after_work() when consistency is on (it may answer from a cache). Out of line: the usual
    /// after_work() then calls nothing but its tail, and saves no registers.
    [[gnu::noinline]] void after_work_consistent(std::uint32_t id);
    /// after_work() past consistency: replication, or the op's calls.
    void work_done(std::uint32_t id);
    void on_response_delivered(std::uint32_t id);
    /// on_response_delivered() when hooks are on. Out of line: its copy of the (64-byte aligned)
    /// Call would make every answer realign the stack and save registers for it.
    [[gnu::noinline]] void answer_with_hooks(std::uint32_t id);
    /// on_response_delivered() of `call` (slot `id`): with `plain` the hooks compile away.
    template <bool plain>
    void answered(std::uint32_t id, const Call& call);
    /// answered() of a root call: its request is done. Out of line: the answers of the other
    /// calls then save fewer registers.
    [[gnu::noinline]] void root_answered(const Call& call);
    /// Frees a thread of `host` (out of line: hedging.cpp calls it too).
    void release_thread(Host& host);
    /// release_thread() inline, for respond(): the rare work (a call waiting for the thread,
    /// the elasticity's shedding) goes out of line, so the common path saves no registers.
    void free_thread(Host& host);
    /// free_thread() when calls wait for a thread or hooks are on: admits (or sheds) them.
    [[gnu::noinline]] void admit_waiting(Host& host);
    /// Call `id` waited past its service's queue deadline: it fails as rejected (shed).
    void shed_call(std::uint32_t id);
    /// A thread of `host` is free: the calls waiting for it past their deadline are shed,
    /// the first one within it admitted.
    [[gnu::noinline]] void admit_or_shed(Host& host, Elasticity& elastic);
    // The opt-in features' hooks, out of the hot path: called only when `plain_` is false.
    /// send_call() of call `id`: the metastability count and the concurrency limit; true
    /// when the caller is over the limit (the call fails at once).
    [[gnu::noinline]] bool hooks_on_send(std::uint32_t id);
    /// The queue deadline of call `id` at its server (load shedding); Time::max() = none.
    [[nodiscard]] Time deadline_of(const Call& call) const;
    /// on_response_delivered() of `call` (a copy; its slot `id` is being freed): tells the
    /// elasticity its answer, before the balancer is told (`after_balancer` false) and after.
    [[gnu::noinline]] void hooks_on_answer(std::uint32_t id, const Call& call, bool after_balancer);
    /// on_response_delivered() of `call`: counts a successful answer its caller still waits
    /// for (metastability's goodput).
    [[gnu::noinline]] void count_answered(const Call& call);
    /// Starts op `id`'s calls (after its work, or its replication): its async calls, then
    /// its steps from `step`.
    void begin_calls(std::uint32_t id, const OpState& op, std::uint16_t step);
    /// begin_calls() of an op with async calls. Out of line: the others' path (after_work()
    /// of a leaf op, straight to respond()) then saves no registers for the launches.
    [[gnu::noinline]] void begin_with_async(std::uint32_t id, const OpState& op, std::uint16_t step);
    /// begin_calls() past the async calls: its steps from `step`, or its response.
    void begin_steps(std::uint32_t id, const OpState& op, std::uint16_t step);

    Context& context_;
    Simulation& sim_;            ///< context_.sim, one hop nearer
    FlowNetwork* const network_;  ///< context_.network
    Hosts& hosts_;
    ServicePools& services_;
    WorkloadSources& workloads_;
    Replicator& replicator_;
    Measurements& measurements_;
    std::vector<Call> calls_;
    std::uint32_t free_calls_ = none;
    std::uint64_t live_calls_ = 0;
    /// No opt-in feature hooks into calls (elasticity, metastability, consistency, transport,
    /// hedges, retry throttles): the hot path tests this one flag instead of each of them.
    bool plain_ = false;
    std::unique_ptr<HedgeGroups> hedges_;                    ///< null unless a call hedges
    std::vector<std::unique_ptr<RetryThrottles>> throttles_;  ///< per service; empty unless one throttles
};

}  // namespace s2sim::models::system

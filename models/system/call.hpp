#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "models/system_model.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace s2sim::models {
struct OpResult;
}  // namespace s2sim::models

namespace s2sim::models::system {

/// How a call failed (none = it did not).
enum class Failure : std::uint8_t { none, rejected, failed, timeout };
/// Where a call is: each live call is in exactly one state; host failures use it to
/// find the calls a server holds.
enum class State : std::uint8_t { free, requesting, queued, working, replicating, waiting, working_after, responding };

struct OpState;
struct Service;

/// One call of an op's step, as launching it reads it (CallEngine::next_step()): a copy of its
/// CallModel's fields, so that a launch reads one 64-byte entry of the op's table instead of
/// the step's vector header and then the two cache lines a 104-byte CallModel spans. Entry `s`
/// of an op's table (OpState::step_table) is the first call of step `s`; the step's other calls
/// follow the op's step_count entries, from entry `more` on.
struct StepCall {
    const CallModel* model = nullptr;  ///< the call (a child's `via`: retries, required on failure)
    double probability = 1.0;          ///< model->probability
    double timeout_s = 0;              ///< *model->timeout_s when has_timeout
    Service* callee = nullptr;         ///< the service `service` (ServicePools; null in an empty step)
    OpState* callee_op = nullptr;      ///< its op `op`: the send looks neither up
    std::uint32_t service = 0;         ///< model->service
    std::uint32_t op = 0;              ///< model->op
    std::uint32_t calls = 0;           ///< first entry of a step: the step's calls (0: an empty step)
    std::uint32_t more = 0;            ///< first entry of a step: the entry of its second call
    bool required = true;              ///< model->required
    bool hedge = false;                ///< model->hedge is set
    bool has_timeout = false;          ///< model->timeout_s is set
    /// !(probability < 1): launched without a draw. A byte test instead of a double's compare
    /// with a constant on every launch.
    bool certain = true;
};
static_assert(sizeof(StepCall) == 64);

/// One op of a service at run time (ServicePools): its random stream, the sizes of its
/// messages when no draw is needed (a constant, or no size: 0 bytes), so that sending one
/// skips the distribution's virtual call, and a copy of what a call's steps read of its
/// OpModel. 128 bytes, 64-byte aligned: a call's path reads these two lines instead of the
/// three or four that the same fields span in the OpModel (behind its name and options).
struct alignas(64) OpState {
    RandomStream rng;                  ///< work, sizes and call probabilities
    double fixed_request_bytes = -1;   ///< >= 0: the size of every request; < 0: drawn from rng
    double fixed_response_bytes = -1;  ///< >= 0: the size of every response; < 0: drawn from rng
    const Distribution* work = nullptr;        ///< model->work, or null
    const Distribution* work_after = nullptr;  ///< model->work_after, or null
    const Distribution* request_bytes = nullptr;   ///< model->request_bytes, or null
    const Distribution* response_bytes = nullptr;  ///< model->response_bytes, or null
    /// Its steps' calls (StepCall), step_count first entries and the steps' other calls after
    /// them; in its Service's `step_calls` (set by ServicePools).
    const StepCall* step_table = nullptr;
    const CallModel* async_calls = nullptr;         ///< model->async_calls.data(), async_count of them
    std::uint32_t step_count = 0;
    std::uint32_t async_count = 0;
    int priority = 0;        ///< model->priority
    bool replicate = false;  ///< model->replicate is set
    /// No replication, async calls, steps or work after: once its work is done the call answers
    /// (CallEngine::work_done() tests this instead of the four, one branch for the usual leaf).
    bool leaf = false;
    const OpModel* model = nullptr;  ///< the op (the model is fixed during a run)
    /// Measurements' row of this op (set by CallEngine::prepare()): an answer records its
    /// latency through it, without the two lookups of Measurements::op().
    OpResult* stats = nullptr;

    OpState(RandomStream stream, double fixed_request, double fixed_response, const OpModel& op)
        : rng(std::move(stream)),
          fixed_request_bytes(fixed_request),
          fixed_response_bytes(fixed_response),
          work(op.work.get()),
          work_after(op.work_after.get()),
          request_bytes(op.request_bytes.get()),
          response_bytes(op.response_bytes.get()),
          async_calls(op.async_calls.data()),
          step_count(static_cast<std::uint32_t>(op.steps.size())),
          async_count(static_cast<std::uint32_t>(op.async_calls.size())),
          priority(op.priority),
          replicate(op.replicate.has_value()),
          leaf(!replicate && async_count == 0 && step_count == 0 && work_after == nullptr),
          model(&op) {}
};

/// One call in flight: sent by a caller (or a workload), then run as an op on a server.
/// A slot of CallEngine's flat array, reused once freed (see `generation`). 128 bytes,
/// aligned to 64 so that each slot takes two cache lines, not three. CallEngine::new_call()
/// resets the fields from `parent` on (the last 80 bytes); those before it are written by
/// every send (send_call()) or kept across uses (`generation`, `next_free`).
struct alignas(64) Call {
    std::uint32_t generation = 0;  ///< bumped when the slot is freed: stale references see a mismatch
    std::uint32_t next_free = none;
    std::uint32_t service = 0;
    std::uint32_t op = 0;
    std::uint32_t backend = 0;  ///< index into the service's servers (when `host` is not none)
    std::uint32_t host = 0;     ///< index into the hosts
    std::uint64_t key = 0;
    /// Its service's state of the op it runs (ServicePools; its `model` is
    /// model.services[service].ops[op]), set when it is sent; saves the hot path two lookups per use.
    OpState* op_state = nullptr;
    Time sent;  ///< when the caller sent it
    // Reset by new_call() from here on.
    std::uint32_t parent = none;    ///< calling Call, or none for roots and async calls
    std::uint32_t workload = none;  ///< set on roots
    std::uint32_t mix = 0;          ///< roots: index into the workload's ops
    std::uint32_t parent_generation = 0;  ///< the parent's generation when this call was sent
    std::uint32_t retries = 0;            ///< retries made on its behalf (its own calls and theirs)
    std::uint32_t group = none;           ///< its hedge group (HedgeGroups), or none
    const CallModel* via = nullptr;       ///< the caller's call model (timeouts, retries); null for roots
    EventId timeout;                      ///< pending timeout of this attempt
    Time arrived;  ///< when it reached the server
    double request_bytes = -1;  ///< roots from a trace with sizes: overrides the op's; < 0 = the op's
    std::uint16_t step = 0;
    std::uint16_t outstanding = 0;
    std::uint16_t attempt = 0;        ///< 0 = first attempt
    std::uint16_t acks = 0;           ///< replication: acknowledgements received (self included)
    std::uint16_t acks_missing = 0;   ///< replication: replicas that failed to apply
    Failure failure = Failure::none;
    State state = State::free;
    bool required = true;
    bool holds_thread = false;
    bool detached = false;  ///< its caller stopped waiting (timeout): the response is discarded
    bool cancelled = false;  ///< another attempt won while this request travelled: dropped on arrival
    /// Where its response goes, set when it is sent: its workload's client, its caller's node, or
    /// no_node (an async call: the response arrives at once). respond() then reads neither the
    /// workload nor the caller's slot and host.
    NodeId reply_to = no_node;
};
static_assert(sizeof(Call) == 128);
static_assert(sizeof(OpState) == 128);
static_assert(offsetof(Call, parent) == 48, "new_call() resets the last 80 bytes");

}  // namespace s2sim::models::system

#pragma once
#include <cstdint>

#include "models/system_model.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace s2sim::models::system {

/// How a call failed (none = it did not).
enum class Failure : std::uint8_t { none, rejected, failed, timeout };
/// Where a call is: each live call is in exactly one state; host failures use it to
/// find the calls a server holds.
enum class State : std::uint8_t { free, requesting, queued, working, replicating, waiting, working_after, responding };

/// One op of a service at run time (ServicePools): its random stream, and the sizes of its
/// messages when no draw is needed (a constant, or no size: 0 bytes), so that sending one
/// skips the distribution's virtual call.
struct OpState {
    RandomStream rng;                  ///< work, sizes and call probabilities
    double fixed_request_bytes = -1;   ///< >= 0: the size of every request; < 0: drawn from rng
    double fixed_response_bytes = -1;  ///< >= 0: the size of every response; < 0: drawn from rng
};

/// One call in flight: sent by a caller (or a workload), then run as an op on a server.
/// A slot of CallEngine's flat array, reused once freed (see `generation`). 128 bytes,
/// aligned to 64 so that each slot takes two cache lines, not three.
struct alignas(64) Call {
    std::uint32_t parent = none;    ///< calling Call, or none for roots and async calls
    std::uint32_t workload = none;  ///< set on roots
    std::uint32_t mix = 0;          ///< roots: index into the workload's ops
    std::uint32_t service = 0;
    std::uint32_t op = 0;
    std::uint32_t backend = 0;  ///< index into the service's servers
    std::uint32_t host = 0;     ///< index into the hosts
    std::uint32_t next_free = none;
    std::uint32_t generation = 0;         ///< bumped when the slot is freed: stale references see a mismatch
    std::uint32_t parent_generation = 0;  ///< the parent's generation when this call was sent
    std::uint32_t retries = 0;            ///< retries made on its behalf (its own calls and theirs)
    std::uint32_t group = none;           ///< its hedge group (HedgeGroups), or none
    const CallModel* via = nullptr;       ///< the caller's call model (timeouts, retries); null for roots
    /// The op it runs: model.services[service].ops[op], set when it is sent (the model is
    /// fixed during a run); saves the hot path two lookups per use.
    const OpModel* op_model = nullptr;
    OpState* op_state = nullptr;  ///< its service's state of that op (ServicePools), set with op_model
    EventId timeout;                      ///< pending timeout of this attempt
    Time sent;     ///< when the caller sent it
    Time arrived;  ///< when it reached the server
    std::uint64_t key = 0;
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
};

}  // namespace s2sim::models::system

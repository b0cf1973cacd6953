#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/circular_buffer.hpp>

#include "sim/inline_function.hpp"
#include "models/network/topology.hpp"
#include "sim/distribution.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace s2sim::models {

/// Handle of a message in flight, returned by FlowNetwork::send(). It goes
/// stale once the message is delivered or has failed (its slot is reused).
struct FlowId {
    std::uint32_t index = UINT32_MAX;
    std::uint32_t generation = 0;
    [[nodiscard]] bool valid() const { return index != UINT32_MAX; }
};

/// What a message's sender is told at the end: `ok` is true when it was
/// delivered, false when it failed (no route, or a link on its path failed).
/// Captures must fit in 48 bytes (capture an index or a pointer, not a string).
using FlowCallback = InlineCallable<48, bool>;

/// Statistics of one direction of a link since the last reset_stats().
struct LinkStats {
    double bytes = 0.0;        ///< bytes carried (fluid: partly sent messages count their part)
    double utilization = 0.0;  ///< time average of allocated rate / capacity, in [0, 1]
    double capacity_bytes = 0.0;  ///< bytes the link could have carried (its capacity integrated over time)
};

/// The flow-level network model of SimGrid (correction factors set to 1).
/// A message of S bytes from `a` to `b` follows Topology::route(a, b): it
/// first waits the route's latency, using no bandwidth, then its bytes flow at
/// a rate set by max-min fairness (equal weights, progressive filling) among
/// all messages in their bandwidth phase, over every directed link they cross.
/// Rates are recomputed when a message starts or ends its bandwidth phase,
/// only over the messages that share links with it, transitively. A message
/// alone on its path thus takes exactly latency + S / bottleneck bandwidth.
///
/// Messages that share one bottleneck link, and whose other links have room
/// to spare, all get that link's capacity divided by their number: processor
/// sharing. Once a reallocation finds at least min_group_size() of them, they
/// form a group with a virtual clock (bytes served per member since the group
/// formed): a member's finish is its virtual finish, a join or a departure
/// changes one rate and one completion entry, O(log n), and the other messages
/// see the group as capacity taken on its links. A change that makes a link of
/// the group a bottleneck too dissolves it back into plain messages.
///
/// Times are whole nanoseconds: a completion is scheduled at
/// now + remaining / rate, rounded to the nearest nanosecond, and a message is
/// done when that instant comes, so textbook cases give exact times without
/// floating-point drift. Messages that finish at the same instant are
/// reported in the order they were sent. Message slots are pooled: after
/// warm-up, sending does not allocate.
///
/// Messages wait out their latency in one first-in first-out queue per route
/// latency (Topology::latency_class), with a Simulation timer on its front,
/// rather than as an event each; the next completion is a timer too. Both cost
/// a comparison per move instead of a push and a pop on the event heap. A
/// message that enters an empty path and whose completion would be the
/// simulation's next event is delivered at once (Simulation::advance_if_next),
/// with the same times, byte counts and event count as through the timer.
///
/// Borrows the Simulation and the Topology: both must outlive this object, and
/// this object must outlive the run (pending events point at it).
class FlowNetwork {
public:
    /// `simulation` and `topology` are borrowed. Links may be added to the
    /// topology later; nodes and links are never removed.
    FlowNetwork(Simulation& simulation, Topology& topology);
    FlowNetwork(const FlowNetwork&) = delete;
    FlowNetwork& operator=(const FlowNetwork&) = delete;
    ~FlowNetwork();

    /// Sends `bytes` (>= 0, finite) from `from` to `to`; `on_done(bool ok)` runs
    /// when the last byte arrives (ok = true) or the message fails (ok = false).
    /// A zero-byte message takes exactly the route latency; a message from a
    /// node to itself is delivered at the current time (in a new event). When
    /// there is no route, `on_done(false)` runs at the current time (in a new
    /// event): link failures are not programming errors. `on_done` is never
    /// called from inside send(). Throws s2sim::Error on unknown nodes or bad
    /// sizes.
    template <class F>
    FlowId send(NodeId from, NodeId to, double bytes, F&& on_done) {
        const Sent sent = send_impl(from, to, bytes);
        set_callback(*sent.callback, sent.id.index, std::forward<F>(on_done));
        return sent.id;
    }
    /// Sends a message nobody waits for.
    FlowId send(NodeId from, NodeId to, double bytes) { return send_impl(from, to, bytes).id; }

    /// send() for a transport: the message's rate is at most `max_rate` bytes per second
    /// (> 0; infinity = no bound), as in SimGrid where a TCP flow is bounded by
    /// window / RTT; with `skip_latency` its bandwidth phase starts now (in a new event)
    /// instead of after the route's latency (the next round of a connection already
    /// sending). The bound is a private link of capacity `max_rate` that only this
    /// message crosses, so max-min fairness, the shortcuts and groups treat it as any
    /// other link. Throws s2sim::Error on a bound that is not positive.
    template <class F>
    FlowId send_bounded(NodeId from, NodeId to, double bytes, double max_rate, bool skip_latency, F&& on_done) {
        const Sent sent = send_bounded_impl(from, to, bytes, max_rate, skip_latency);
        set_callback(*sent.callback, sent.id.index, std::forward<F>(on_done));
        return sent.id;
    }

    /// Takes a link down in the topology (routes avoid it from now on) and fails
    /// every message in flight whose route crosses it in either direction, in
    /// latency or bandwidth phase: their `on_done(false)` runs now, in send order.
    void fail_link(LinkId link);
    /// Brings a link back into routing. Messages already in flight keep their routes.
    void restore_link(LinkId link);
    /// Changes a link's capacity in both directions (bytes per second, > 0) during a run,
    /// e.g. a `slow` event: messages crossing it get new max-min rates at once.
    void set_link_capacity(LinkId link, double a_to_b, double b_to_a);

    /// Adds a delay drawn from `jitter` (seconds; a negative draw counts as 0), independently
    /// per message, to the latency of every message that crosses directed link `d`. Jittered
    /// messages wait out their latency as an event each, not in the first-in first-out
    /// queues, so they may overtake each other. A null `jitter` removes it.
    void set_jitter(DirectedLinkId d, DistributionPtr jitter, RandomStream rng);

    // ---- one message ---------------------------------------------------------

    /// True while the message is in flight (neither delivered nor failed).
    [[nodiscard]] bool in_flight(FlowId id) const;
    /// Current rate in bytes per second: 0 during the latency phase. Throws s2sim::Error on a stale id.
    [[nodiscard]] double rate(FlowId id) const;
    /// Bytes still to move, as of now. Throws s2sim::Error on a stale id.
    [[nodiscard]] double remaining_bytes(FlowId id) const;

    // ---- totals --------------------------------------------------------------

    /// Messages sent and neither delivered nor failed yet.
    [[nodiscard]] std::size_t flows_in_flight() const { return in_flight_; }
    /// Messages moving bytes now (past their latency phase).
    [[nodiscard]] std::size_t flows_in_bandwidth_phase() const {
        return completion_heap_.size() + grouped_flows_ - live_groups_;
    }
    /// Messages delivered since construction.
    [[nodiscard]] std::uint64_t delivered() const { return delivered_; }
    /// Messages failed since construction.
    [[nodiscard]] std::uint64_t failed() const { return failed_; }
    /// Number of rate recomputations so far (for benchmarks).
    [[nodiscard]] std::uint64_t reallocations() const { return reallocations_; }
    /// Starts and ends handled without recomputing anyone's rate (see rate_if_nobody_moves),
    /// and joins and departures of processor-sharing groups.
    [[nodiscard]] std::uint64_t fast_updates() const { return fast_updates_; }
    /// Processor-sharing groups formed and dissolved so far (for benchmarks and tests).
    [[nodiscard]] std::uint64_t groups_formed() const { return groups_formed_; }
    [[nodiscard]] std::uint64_t groups_dissolved() const { return groups_dissolved_; }
    /// Messages on one bottleneck from which a reallocation forms a processor-sharing group
    /// (default 32; SIZE_MAX never forms one, for comparisons).
    [[nodiscard]] std::size_t min_group_size() const { return min_group_size_; }
    void set_min_group_size(std::size_t n) { min_group_size_ = std::max<std::size_t>(n, 1); }
    /// Messages delivered without a completion event: alone on their path, and
    /// their completion the simulation's next event (see Simulation::advance_if_next).
    [[nodiscard]] std::uint64_t delivered_in_place() const { return delivered_in_place_; }

    // ---- per directed link -----------------------------------------------------

    /// Sum of the rates allocated on a directed link now, bytes per second.
    [[nodiscard]] double link_rate(DirectedLinkId d) const;
    /// Number of messages in bandwidth phase crossing a directed link now.
    [[nodiscard]] std::size_t link_flow_count(DirectedLinkId d) const;
    /// Bytes carried and mean utilisation of a directed link since the last
    /// reset_stats() (or construction), up to now.
    [[nodiscard]] LinkStats link_stats(DirectedLinkId d) const;
    /// Restarts the statistics of every link at the current time (end of warm-up).
    void reset_stats();

private:
    enum class Phase : std::uint8_t { free, latency, bandwidth, done };
    // One link of a message's route, and the message's position in that link's list.
    struct Hop {
        DirectedLinkId link;
        std::uint32_t slot;
    };
    // A message's route: up to 6 links inline (a data centre's routes are 2 to 6), longer
    // ones on the heap, whose storage the slot keeps when reused. Written by hand because
    // boost::container::small_vector<Hop, 6> takes 72 bytes (Boost 1.74 has no 32-bit size
    // option): these 64 bytes keep a Flow on three cache lines instead of four.
    class Hops {
    public:
        static constexpr std::uint32_t inline_capacity = 6;
        Hops() = default;
        Hops(Hops&& other) noexcept
            : heap_(std::exchange(other.heap_, nullptr)),
              size_(std::exchange(other.size_, 0)),
              capacity_(std::exchange(other.capacity_, inline_capacity)) {
            std::copy(other.inline_, other.inline_ + inline_capacity, inline_);
        }
        Hops(const Hops&) = delete;
        Hops& operator=(const Hops&) = delete;
        Hops& operator=(Hops&&) = delete;
        ~Hops() { delete[] heap_; }
        [[nodiscard]] Hop* begin() { return heap_ == nullptr ? inline_ : heap_; }
        [[nodiscard]] Hop* end() { return begin() + size_; }
        [[nodiscard]] const Hop* begin() const { return heap_ == nullptr ? inline_ : heap_; }
        [[nodiscard]] const Hop* end() const { return begin() + size_; }
        [[nodiscard]] std::size_t size() const { return size_; }
        [[nodiscard]] bool empty() const { return size_ == 0; }
        Hop& operator[](std::size_t i) { return begin()[i]; }
        void clear() { size_ = 0; }
        /// n links, each with an unset slot (the caller sets the links).
        void resize(std::size_t n) {
            if (n > capacity_) grow(n);
            size_ = static_cast<std::uint32_t>(n);
        }
        /// The links of a route (the slots left unset). Up to six links, all six of the route's
        /// first inline entries are copied, without a loop or a jump on the count (which of 2 to 6
        /// it is, is a coin toss for the predictor); the entries past the count are never read.
        /// No capacity test either: the inline storage, or a longer one kept, holds six.
        void assign_links(const CompactRoute& route) {
            const std::uint32_t n = route.link_count;
            if (n <= inline_capacity) [[likely]] {
                static_assert(inline_capacity == 6 && CompactRoute::inline_links >= 6);
                size_ = n;
                Hop* out = begin();
                out[0].link = route.links[0];
                out[1].link = route.links[1];
                out[2].link = route.links[2];
                out[3].link = route.links[3];
                out[4].link = route.links[4];
                out[5].link = route.links[5];
                return;
            }
            resize(n);
            Hop* out = begin();
            const DirectedLinkId* links = route.link_data();
            for (std::size_t i = 0; i < n; ++i) out[i].link = links[i];
        }
        void push_back(Hop hop) {
            if (size_ == capacity_) grow(size_ + 1);
            begin()[size_++] = hop;
        }

    private:
        [[gnu::noinline, gnu::cold]] void grow(std::size_t n) {
            const auto capacity = static_cast<std::uint32_t>(std::max<std::size_t>(n, 2 * capacity_));
            Hop* bigger = new Hop[capacity];
            std::copy(begin(), end(), bigger);
            delete[] heap_;
            heap_ = bigger;
            capacity_ = capacity;
        }
        Hop* heap_ = nullptr;  // storage beyond inline_capacity links, or null
        std::uint32_t size_ = 0;
        std::uint32_t capacity_ = inline_capacity;
        Hop inline_[inline_capacity];
    };
    // A message's callback, stored in its slot as FlowCallback would store it, but run through one
    // function made for its type (`run`): it moves the capture out of the slot and calls it, with no
    // table of operations to read and no emptiness or destruction tests on the way (the slot is
    // freed before the call, and a callback may send a message that reuses it).
    struct MessageCallback {
        static constexpr std::size_t capacity = 48;  // FlowCallback's
        using Runner = void (*)(unsigned char* storage, bool ok);
        // Moves the capture from `from` to `to` and destroys it in `from`; destroys it when `to` is null.
        using Manager = void (*)(unsigned char* from, unsigned char* to);
        alignas(std::max_align_t) unsigned char storage[capacity];
        Runner run = nullptr;      // null: no callback
        Manager manage = nullptr;  // null: a trivially copyable and destructible capture (the usual one)

        MessageCallback() = default;
        MessageCallback(MessageCallback&& other) noexcept : run(other.run), manage(other.manage) {
            if (run == nullptr) return;
            if (manage == nullptr) {
                std::memcpy(storage, other.storage, capacity);
            } else {
                manage(other.storage, storage);
            }
            other.run = nullptr;
        }
        MessageCallback(const MessageCallback&) = delete;
        MessageCallback& operator=(const MessageCallback&) = delete;
        MessageCallback& operator=(MessageCallback&&) = delete;
        ~MessageCallback() {
            if (run != nullptr && manage != nullptr) manage(storage, nullptr);
        }
        /// Takes the callback out of the slot for running it: `run` then owns the capture.
        Runner take() { return std::exchange(run, nullptr); }
    };
    template <class Fn>
    static void run_stored(unsigned char* storage, bool ok) {
        Fn* stored = std::launder(reinterpret_cast<Fn*>(storage));
        Fn fn(std::move(*stored));
        stored->~Fn();
        fn(ok);
    }
    template <class Fn>
    static void manage_stored(unsigned char* from, unsigned char* to) {
        Fn* stored = std::launder(reinterpret_cast<Fn*>(from));
        if (to != nullptr) ::new (static_cast<void*>(to)) Fn(std::move(*stored));
        stored->~Fn();
    }
    // Flow and LinkState start on a cache line (64 bytes): the hot fields at their front share
    // one line, and indexing scales by a power of two (-1.8% instructions, -6% L1 data misses
    // in callgrind's model on the shop). A Flow is three lines: the fields every message
    // reads, its route, its callback; what only groups and latency events need is apart
    // (FlowCold).
    struct alignas(64) Flow {
        // Fields read by the rate checks and the allocation first, the rest after.
        double rate = 0.0;  // bytes per second; < 0 while being allocated
        double remaining = 0.0;
        Time last_update;
        Time finish = Time::max();
        std::uint64_t seq = 0;
        std::uint32_t generation = 0;
        std::uint32_t heap_pos = UINT32_MAX;
        std::uint32_t mark = 0;
        std::uint32_t group = UINT32_MAX;  // its processor-sharing group, if any
        std::uint32_t bound_link = UINT32_MAX;  // its private link (send_bounded), if any
        Phase phase = Phase::free;
        bool no_route = false;
        Hops hops;
        MessageCallback callback;
    };
    static_assert(sizeof(Flow) == 192, "a Flow is three cache lines");
    // A message's fields that the usual path does not touch, beside flows_ (same index).
    struct FlowCold {
        double virtual_finish = 0.0;  // in a group: the group's bytes served per member when it is done
        EventId latency_event;  // valid while its latency phase is an event (not a queue's entry)
    };
    // The messages on a link: a vector in 16 bytes (32-bit size and capacity), so that the
    // fields of progressive filling fit on LinkState's first cache line with the rate sum.
    class FlowList {
    public:
        FlowList() = default;
        FlowList(FlowList&& other) noexcept
            : data_(std::exchange(other.data_, nullptr)),
              size_(std::exchange(other.size_, 0)),
              capacity_(std::exchange(other.capacity_, 0)) {}
        FlowList(const FlowList&) = delete;
        FlowList& operator=(const FlowList&) = delete;
        FlowList& operator=(FlowList&&) = delete;
        ~FlowList() { delete[] data_; }
        [[nodiscard]] const std::uint32_t* begin() const { return data_; }
        [[nodiscard]] const std::uint32_t* end() const { return data_ + size_; }
        [[nodiscard]] std::size_t size() const { return size_; }
        [[nodiscard]] bool empty() const { return size_ == 0; }
        [[nodiscard]] std::uint32_t back() const { return data_[size_ - 1]; }
        std::uint32_t& operator[](std::size_t i) { return data_[i]; }
        std::uint32_t operator[](std::size_t i) const { return data_[i]; }
        void push_back(std::uint32_t f) {
            if (size_ == capacity_) [[unlikely]] grow();
            data_[size_++] = f;
        }
        void pop_back() { --size_; }

    private:
        [[gnu::noinline, gnu::cold]] void grow() {
            const std::uint32_t capacity = capacity_ == 0 ? 4 : 2 * capacity_;
            auto* bigger = new std::uint32_t[capacity];
            std::copy(begin(), end(), bigger);
            delete[] data_;
            data_ = bigger;
            capacity_ = capacity;
        }
        std::uint32_t* data_ = nullptr;
        std::uint32_t size_ = 0;
        std::uint32_t capacity_ = 0;
    };
    // The first cache line holds what the usual paths read: the list, the rate sum and capacity,
    // the byte count settle() updates, and progressive filling's scratch (reallocate() reads
    // `mark` of every link it reaches). What groups and statistics read is on the second.
    struct alignas(64) LinkState {
        FlowList flows;  // messages in bandwidth phase crossing it, but grouped ones
        double capacity = 0.0;  // the topology's, kept here: the hot loops read it with rate_sum
        double rate_sum = 0.0;  // of `flows`; a group's members add group_flows * its rate
        double bytes = 0.0;  // carried since stats_start_, up to `last`
        Time last;
        // scratch for progressive filling
        std::uint32_t mark = 0;
        std::uint32_t unfrozen = 0;
        double cap_left = 0.0;
        // The one processor-sharing group whose members cross it, and how many do (read only
        // while a group is live).
        std::uint32_t group = UINT32_MAX;
        std::uint32_t group_flows = 0;
        // Capacity-seconds offered before the last capacity change (since stats_start_),
        // so utilisation stays bytes / capacity offered when a `slow` event changes it.
        double capacity_seconds = 0.0;
        Time capacity_since;
        double group_served = 0.0;  // the group's bytes served per member when `bytes` was last counted
    };
    static_assert(offsetof(LinkState, cap_left) + sizeof(double) <= 64, "the hot fields share one cache line");
    // A message in its latency phase, queued with the others of its latency class.
    // A failed one stays queued, stale, until it reaches the front.
    struct Pending {
        Time entry;  // when its bandwidth phase starts
        std::uint32_t flow;
        std::uint32_t generation;
    };
    // Messages sent over routes of one latency enter their bandwidth phase in the
    // order they were sent, so a first-in first-out queue and one timer on its
    // front replace an event per message (a push and a pop on the event heap).
    struct LatencyQueue {
        boost::circular_buffer<Pending> pending;
        Simulation::TimerId timer = 0;
    };
    /// Latency classes beyond this many use an event per message: each timer
    /// costs a little on every timer move.
    static constexpr std::size_t max_latency_queues = 16;
    struct ShareEntry {
        double share;
        DirectedLinkId link;
    };
    struct GroupMember {
        double virtual_finish;
        std::uint64_t seq;
        std::uint32_t flow;
    };
    // Messages whose only bottleneck is `link`, each at rate capacity / count.
    // Members are in no link's `flows` and, but the one that finishes first, not
    // in the completion heap. `headroom` holds, per other link of the group, the
    // rate its members could get before that link fills up, (capacity -
    // rate_sum) / group_flows, as a min-heap with stale entries (an entry is
    // current when it matches the link's value; every change pushes one).
    struct Group {
        DirectedLinkId link = 0;
        std::uint32_t count = 0;  // members
        std::uint32_t links = 0;  // links its members cross
        double rate = 0.0;
        double served = 0.0;  // bytes served per member from formation to `since`
        Time since;
        std::vector<GroupMember> members;  // min-heap by (virtual finish, seq)
        std::vector<ShareEntry> headroom;
        bool live = false;
    };

    /// A message just sent and its callback's slot (returned in two registers: the caller need
    /// not find the slot again).
    struct Sent {
        FlowId id;
        MessageCallback* callback;
    };
    /// What send_bounded() adds to a message (send_rare's `bound`; null for send()).
    struct Bound {
        double max_rate;  ///< bytes per second, > 0; infinity = none
        bool skip_latency;
    };
    /// send() but the callback: the message's callback is left empty (a free slot's is): send() and
    /// send_bounded() make it in the slot afterwards, rather than moving it through here.
    Sent send_impl(NodeId from, NodeId to, double bytes);
    /// send_impl() of any message: the usual path's tests again, the route made or found through
    /// the hash index, and the rare cases (out of line: the usual send keeps no frame).
    [[gnu::noinline]] Sent send_general(NodeId from, NodeId to, double bytes);
    /// Throws s2sim::Error on an unknown node or a size that is not finite and >= 0.
    void check_send(NodeId from, NodeId to, double bytes) const;
    /// send_impl() of a message with no route, jitter, a bound, or a latency class past
    /// max_latency_queues (out of line: the usual send keeps a lean frame).
    [[gnu::noinline]] Sent send_rare(const CompactRoute* route, double bytes, const Bound* bound);
    /// Sets up the fresh slot `f` (from allocate_flow()) for a message's latency phase; its
    /// route's links, callback and latency are the caller's to set.
    Flow& new_message(std::uint32_t f, double bytes, bool no_route);
    /// Queues a message for the end of its latency phase.
    void queue_for_latency(LatencyQueue& queue, Pending pending);
    /// send_impl() of send_bounded(): checks the bound first; the rest is send_rare()'s.
    Sent send_bounded_impl(NodeId from, NodeId to, double bytes, double max_rate, bool skip_latency);
    /// Makes the callback of message `f` in its slot, which is empty (a free slot's is). A callable
    /// that does not fit (a FlowCallback given, which holds one) waits in large_callbacks_.
    template <class F>
    void set_callback(MessageCallback& slot, std::uint32_t f, F&& on_done) {
        using Fn = std::decay_t<F>;
        if constexpr (sizeof(Fn) <= MessageCallback::capacity && alignof(Fn) <= alignof(std::max_align_t) &&
                      !std::is_same_v<Fn, FlowCallback>) {
            static_assert(std::is_invocable_v<Fn&, bool>, "a message's callback takes a bool (delivered)");
            static_assert(std::is_nothrow_move_constructible_v<Fn>, "capture must be nothrow movable");
            ::new (static_cast<void*>(slot.storage)) Fn(std::forward<F>(on_done));
            slot.run = &run_stored<Fn>;
            if constexpr (std::is_trivially_copyable_v<Fn> && std::is_trivially_destructible_v<Fn>) {
                slot.manage = nullptr;
            } else {
                slot.manage = &manage_stored<Fn>;
            }
        } else {
            set_large_callback(f, FlowCallback(std::forward<F>(on_done)));
        }
    }
    /// set_callback() of a callable that does not fit a slot (out of line: rare).
    void set_large_callback(std::uint32_t f, FlowCallback on_done);
    /// A private link of capacity `rate` (bytes per second) for one bounded message.
    DirectedLinkId allocate_bound_link(double rate);
    std::uint32_t allocate_flow();
    const Flow& checked(FlowId id) const;
    /// Gives links added to the topology since the last call their state.
    void sync_links() {
        if (topology_links_ < topology_.directed_link_count()) add_links();
    }
    void add_links();
    void on_latency_done(std::uint32_t f);
    // A latency phase that was an event (jitter, a bounded send's next round, too many latency classes).
    void on_latency_event(std::uint32_t f) {
        flow_cold_[f].latency_event = EventId{};
        on_latency_done(f);
    }
    /// The queue of a latency class, made on first use; nullptr past max_latency_queues.
    LatencyQueue* latency_queue(std::uint32_t latency_class) {
        if (latency_class < queue_of_class_.size() && queue_of_class_[latency_class] != nullptr) {
            return queue_of_class_[latency_class];
        }
        return find_or_add_latency_queue(latency_class);
    }
    /// latency_queue() of a class without a queue yet, or from queue_of_class_.size() on.
    LatencyQueue* find_or_add_latency_queue(std::uint32_t latency_class);
    /// The timer of latency_queues_[q]: starts the bandwidth phase of its front message.
    void on_queue_front_due(std::uint32_t q);
    /// on_queue_front_due() when messages are left behind `front`: arms the timer for the next.
    [[gnu::noinline]] void rearm_and_enter(LatencyQueue& queue, Pending front);
    /// The end of a queued message's latency phase, unless it failed meanwhile.
    void enter_after_latency(Pending front);
    void on_completion();
    /// Takes a message off its links; with `others_keep_their_rates` it also updates
    /// the links' rate sums, otherwise it marks the links for reallocate().
    void leave_links(std::uint32_t f, bool others_keep_their_rates = false);
    /// leave_links() for one link of message `f` (moving at `rate`), at `now`.
    void leave_link(std::uint32_t f, const Hop& hop, double rate, bool others_keep_their_rates, Time now);
    /// `path_empty` tells whether the message's links carry nobody else.
    [[nodiscard]] double rate_if_nobody_moves(std::uint32_t f, bool& path_empty) const;
    [[nodiscard]] double rate_if_nobody_moves_grouped(std::uint32_t f, bool& path_empty) const;
    /// Delivers a message entering an empty path at `rate` at once when its completion,
    /// `done`, would be the simulation's next event (Simulation::advance_if_next);
    /// false otherwise.
    bool deliver_in_place(std::uint32_t f, double rate, Time done);
    /// Whether message `f`, at `rate`, can leave shared link `l` without changing anyone's rate.
    [[nodiscard]] bool can_leave_alone(const LinkState& l, std::uint32_t f, double rate) const;
    /// Takes a finished plain message, the completion heap's first, off its links and the heap.
    void leave_first(std::uint32_t f);
    /// Relative spare capacity below which a link counts as full (rate sums are
    /// sums of shares, exact to a few ulps).
    static constexpr double saturation_tolerance = 1e-9;
    /// Up to this many links in a reallocation, progressive filling scans for the
    /// smallest share; above it, it keeps a heap.
    static constexpr std::size_t links_scanned_for_the_smallest_share = 24;
    void reallocate();
    void schedule_completion();
    void finish(std::uint32_t f, bool ok);
    /// finish() but the notification: the counts and the message's phase.
    void count_finished(std::uint32_t f, bool ok);
    /// Frees a finished message's slot (its callback moved out first).
    void release(std::uint32_t f);
    /// release() of a message with a private link (send_bounded): gives the link back.
    [[gnu::noinline, gnu::cold]] void release_bound_link(Flow& flow);
    /// finish() then notify() for a single message (see the definition).
    void finish_one(std::uint32_t f, bool ok);
    /// finish_one() while others wait to be notified: finish() and notify().
    [[gnu::noinline, gnu::cold]] void finish_and_notify(std::uint32_t f, bool ok);
    void notify();
    /// notify() for one message when none other is listed: runs its callback (and those it
    /// lists) without the list's loop.
    void notify_alone(std::uint32_t f, bool ok);
    /// Runs the callbacks of the messages in to_notify_ (which they may extend), in order.
    void run_listed_callbacks();
    /// Marks the network as running callbacks for its life; on leaving (an exception from a
    /// callback included) empties to_notify_.
    struct NotifyingScope {
        explicit NotifyingScope(FlowNetwork* network) : self(network) { self->notifying_ = true; }
        NotifyingScope(const NotifyingScope&) = delete;
        NotifyingScope& operator=(const NotifyingScope&) = delete;
        ~NotifyingScope() {
            self->to_notify_.clear();
            self->notifying_ = false;
        }
        FlowNetwork* self;
    };
    /// Counts a link's bytes at its current rate sum up to `now`.
    void settle(LinkState& l, Time now) {
        settle_plain(l, now);
        if (live_groups_ > 0 && l.group != UINT32_MAX) settle_group_bytes(l, now);
    }
    /// settle() for a link that no group's members cross.
    static void settle_plain(LinkState& l, Time now) {
        if (now > l.last) {
            l.bytes += l.rate_sum * (now - l.last).seconds();
            l.last = now;
        }
    }
    void settle_group_bytes(LinkState& l, Time now);
    /// Sum of the rates on a link, group members included.
    [[nodiscard]] double total_rate(const LinkState& l) const {
        return live_groups_ == 0 || l.group == UINT32_MAX ? l.rate_sum
                                                          : l.rate_sum + l.group_flows * groups_[l.group].rate;
    }

    // ---- processor-sharing groups (see the class comment) ----
    [[nodiscard]] double served(const Group& g, Time now) const;
    /// Moves the group's virtual clock to `now` at its current rate.
    void advance(Group& g, Time now);
    [[nodiscard]] double headroom(const LinkState& l) const {
        return (l.capacity - l.rate_sum) / l.group_flows;
    }
    /// Records a change of a link's rate sum, capacity or member count for its group.
    void touch(DirectedLinkId d) {
        if (live_groups_ > 0 && links_[d].group != UINT32_MAX) push_headroom(links_[d].group, d);
    }
    void push_headroom(std::uint32_t g, DirectedLinkId d);
    /// Adds to seeds_ every link of the group (but its bottleneck) whose headroom is at most `limit`.
    void seed_tight_links(std::uint32_t g, double limit);
    /// The completion entry of the group's first member, after a rate or member change.
    void requeue_group(std::uint32_t g, std::uint32_t old_first);
    /// A message entering its bandwidth phase over a group's bottleneck joins it: true then.
    bool enter_group(std::uint32_t f);
    /// Adds a message entering its bandwidth phase over the group's bottleneck.
    void join_group(std::uint32_t f, std::uint32_t g);
    /// Takes a finished member out of its group (it is the group's first).
    void leave_group(std::uint32_t f);
    /// Turns the members back into plain messages at the group's rate and seeds
    /// its bottleneck for reallocate().
    void dissolve(std::uint32_t g);
    /// Makes a group of the messages on `link`, all at rate `share` now.
    void form_group(DirectedLinkId link, double share);
    void unlist(std::uint32_t f, const Hop& hop);
    /// A fresh mark for links and flows (reallocate's component, form_group's links).
    std::uint32_t next_epoch();
    // Indexed min-heap of messages in bandwidth phase by (finish, seq).
    // The heap holds the keys, so that sifting does not visit the flows.
    struct Completion {
        Time finish;
        std::uint64_t seq;
        std::uint32_t flow;
    };
    [[nodiscard]] static bool heap_less(const Completion& a, const Completion& b) {
        return a.finish < b.finish || (a.finish == b.finish && a.seq < b.seq);
    }
    void heap_push(std::uint32_t f);
    void heap_remove(std::uint32_t f);
    void heap_update(std::uint32_t f);
    // Move `c` up (down) from the hole at `i` and store it where it stops; up returns where.
    std::size_t heap_sift_up(std::size_t i, Completion c);
    void heap_sift_down(std::size_t i, Completion c);

    /// The delay variation of one directed link (set_jitter).
    struct Jitter {
        DistributionPtr delay;
        RandomStream rng;
    };
    /// Sum of the jitter drawn for each link of a route (Time::zero() when none has any).
    Time draw_jitter(const Route& route);

    Simulation& sim_;
    Topology& topology_;
    std::vector<Flow> flows_;
    std::vector<FlowCold> flow_cold_;  // beside flows_
    std::vector<FlowCallback> large_callbacks_;  // by message, for set_large_callback(); empty unless used
    std::vector<std::uint32_t> free_;
    std::vector<LinkState> links_;  // the topology's directed links, then private links (bounds)
    std::size_t topology_links_ = 0;  // of links_
    std::vector<DirectedLinkId> free_bound_links_;
    std::vector<Completion> completion_heap_;
    std::vector<LatencyQueue> latency_queues_;      // reserved: never reallocates
    std::vector<LatencyQueue*> queue_of_far_class_;  // queue_of_class_ from its size on (null: none)
    std::size_t stale_pending_ = 0;                  // queued entries of failed messages
    Simulation::TimerId completion_timer_;  // armed for completion_time_
    Time completion_time_;
    Time stats_start_;
    std::uint64_t next_seq_ = 0;
    std::uint32_t epoch_ = 0;
    std::size_t in_flight_ = 0;
    std::uint64_t delivered_ = 0;
    std::uint64_t failed_ = 0;
    std::uint64_t reallocations_ = 0;
    std::uint64_t fast_updates_ = 0;
    std::uint64_t delivered_in_place_ = 0;
    std::size_t min_group_size_ = 32;
    std::uint64_t groups_formed_ = 0;
    std::uint64_t groups_dissolved_ = 0;
    std::vector<Group> groups_;
    std::vector<std::uint32_t> free_groups_;
    std::size_t grouped_flows_ = 0;
    std::size_t live_groups_ = 0;
    // scratch, kept to avoid allocating per event
    std::vector<DirectedLinkId> seeds_;
    std::vector<DirectedLinkId> comp_links_;
    std::vector<std::uint32_t> comp_flows_;
    std::vector<ShareEntry> shares_;
    std::vector<ShareEntry> tight_;
    std::vector<std::uint32_t> dissolving_;
    std::vector<std::uint32_t> grouping_;
    std::vector<std::pair<std::uint32_t, bool>> to_notify_;
    bool notifying_ = false;
    std::vector<std::optional<Jitter>> jitter_;  // per directed link; empty unless set_jitter was called
    bool jittered_ = false;  // set_jitter was called: send() draws jitter (a flag: one test per message)
    /// reallocate() of a component of at most one message, when no group is live; false (nothing
    /// changed) for any other component.
    bool reallocate_at_most_one();
    bool small_component_shortcut_ = true;  // reallocate_at_most_one() is tried (tests compare without it)
    // The queue of each latency class below 32 (null: none yet, or events past max_latency_queues),
    // a fixed array for send(): one load and test, without a vector's size and data. The rare
    // classes past it are in queue_of_far_class_. Last: it keeps the other members' places.
    std::array<LatencyQueue*, 32> queue_of_class_{};
    friend struct FlowNetworkTestAccess;
};

}  // namespace s2sim::models

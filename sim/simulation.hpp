#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/inline_function.hpp"
#include "sim/time.hpp"

namespace s2sim {

/// Handle of a scheduled event, used to cancel it. A default handle is never pending.
struct EventId {
    std::uint32_t slot = UINT32_MAX;
    std::uint32_t generation = 0;
    [[nodiscard]] bool valid() const { return slot != UINT32_MAX; }
};

/// The event loop: a clock, a pending-event set and a pool of handlers.
/// Events run in (time, scheduling order); cancelled events never run.
/// Handlers live in fixed-size inline storage inside a pool that only grows
/// to the largest number of pending events, so scheduling does not allocate.
class Simulation {
public:
    /// Bytes a handler's captures may take.
    static constexpr std::size_t handler_capacity = 48;
    using Handler = InlineFunction<handler_capacity>;

    explicit Simulation(QueueKind kind = QueueKind::quaternary_heap);
    Simulation(const Simulation&) = delete;
    Simulation& operator=(const Simulation&) = delete;
    ~Simulation();

    /// The current simulated time.
    [[nodiscard]] Time now() const { return now_; }

    /// Runs `handler` at absolute time `at` (not before now()).
    template <class F>
    EventId schedule_at(Time at, F&& handler) {
        const std::uint32_t index = allocate_slot();
        Slot& s = slot(index);
        s.emplace(std::forward<F>(handler));  // in place: no copy, no allocation
        enqueue(at < now_ ? now_ : at, index);
        return EventId{index, s.generation};
    }
    /// Runs `handler` after `delay` (a negative delay means now).
    template <class F>
    EventId schedule_in(Time delay, F&& handler) {
        return schedule_at(now_ + delay, std::forward<F>(handler));
    }

    /// Cancels a pending event; returns false when it already ran or was cancelled.
    bool cancel(EventId id);
    /// True while the event has neither run nor been cancelled.
    [[nodiscard]] bool pending(EventId id) const;

    /// Runs events until none is left or stop() is called.
    void run();
    /// Runs every event with time <= `end`, then sets the clock to `end`
    /// (unless stop() was called first).
    void run_until(Time end);
    /// Makes run() / run_until() return after the current event.
    void stop() {
        stopped_ = true;
        run_end_ = stopped_end;  // advance_if_next() refuses from now on
        next_stop_check_ = 0;    // the run loop looks at stopped_ only at its next check
    }
    [[nodiscard]] bool stopped() const { return stopped_; }
    /// Makes run() / run_until() stop soon (within a few thousand events) once
    /// `*flag` becomes true, e.g. from a SIGINT handler or another thread.
    /// `flag` is borrowed; nullptr removes it.
    void set_stop_flag(const std::atomic<bool>* flag) { stop_flag_ = flag; }

    // ---- timers ---------------------------------------------------------------

    /// Handle of a timer.
    using TimerId = std::uint32_t;
    /// Adds a timer: a fixed handler with at most one pending run, whose time
    /// moves for the price of a comparison instead of a queue operation (no
    /// cancel, push or pop). For a component whose next event keeps moving, such
    /// as the network's next completion. Keep timers few: moving one may look at
    /// all of them. The handler's captures must fit in handler_capacity bytes.
    /// A removed timer's id is given out again.
    template <class F>
    TimerId add_timer(F&& handler) {
        auto h = std::make_unique<Handler>();
        h->emplace(std::forward<F>(handler));
        return adopt_timer(std::move(h));
    }
    /// Arms or moves the timer to run at `at` (not before now()). It takes its
    /// place among events as an event scheduled now would: after the ones
    /// already scheduled for the same instant. It counts as a pending event.
    void set_timer(TimerId id, Time at);  // inline, below: FlowNetwork calls it about once per message
    /// Disarms the timer; false when it was not armed.
    bool clear_timer(TimerId id);
    [[nodiscard]] bool timer_armed(TimerId id) const { return timer_keys_[id].order != disarmed_timer.order; }
    /// Disarms the timer and drops its handler for good (its owner is going away).
    void remove_timer(TimerId id);

    // ---- finishing an action in place -------------------------------------------

    /// Called from a running handler: when an event scheduled now for `at` would
    /// be the next one to run (nothing pending or armed at or before `at`, and
    /// `at` within the current run_until(), and stop() not called), moves the clock
    /// to `at`, counts an event and returns true; the caller then does that event's
    /// work in place. Otherwise changes nothing and returns false. Results are those of
    /// scheduling the event: no other event could run in between.
    bool advance_if_next(Time at);

    /// Events that may run at one simulated instant before run() suspects a zero-time loop
    /// (a model that schedules events without time passing): past it, and past 16 per
    /// pending event, run() throws s2sim::Error instead of hanging.
    static constexpr std::uint64_t default_events_per_instant_limit = 10'000'000;
    /// Changes that limit (tests use a small one); at least 1.
    void set_events_per_instant_limit(std::uint64_t n) { events_per_instant_limit_ = n < 1 ? 1 : n; }
    [[nodiscard]] std::uint64_t events_per_instant_limit() const { return events_per_instant_limit_; }

    /// Events executed so far (cancelled ones are not counted).
    [[nodiscard]] std::uint64_t events_processed() const { return processed_; }
    /// Events scheduled and neither run nor cancelled.
    [[nodiscard]] std::size_t pending_count() const;
    /// Pre-sizes the pool and the queue for `n` pending events.
    void reserve(std::size_t n);
    /// Gives the pending events sequence numbers 0, 1, ... in their current order.
    /// Runs by itself once every 2^38 scheduled events, so that sequence numbers
    /// never overflow their bits; the order of events does not change.
    void renumber();
    /// Makes the next sequence number `seq` (at most QueueEntry::max_seq), so that tests can
    /// reach the automatic renumbering without 2^38 events.
    void set_next_seq(std::uint64_t seq) { next_order_ = (seq & QueueEntry::max_seq) << QueueEntry::slot_bits; }

private:
    static constexpr std::size_t chunk_bits = 12;
    static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
    // A slot holds its handler from scheduling until its queue entry is popped. A
    // cancelled event's slot keeps its place (empty handler, generation moved on)
    // until then, so the queue entry needs no generation of its own.
    // One cache line per event: the handler's captures, the one function that runs and
    // destroys them, the generation and the free-list link. An event's handler runs once,
    // so the run loop makes a single indirect call through a pointer in the slot itself
    // (not through a table of operations, one more dependent load, and a test for a
    // destructor afterwards).
    struct alignas(64) Slot {
        alignas(std::max_align_t) unsigned char captures[handler_capacity];
        // Runs the handler (unless `destroy_only`), then destroys it; nullptr when empty.
        void (*run_and_destroy)(void* captures, bool destroy_only) = nullptr;
        std::uint32_t generation = 0;
        std::uint32_t next_free = UINT32_MAX;

        Slot() = default;
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() {
            if (run_and_destroy != nullptr) run_and_destroy(captures, true);
        }
        [[nodiscard]] bool empty() const { return run_and_destroy == nullptr; }
        /// Places `f`. Precondition: empty.
        template <class F>
        void emplace(F&& f) {
            using Fn = std::decay_t<F>;
            static_assert(std::is_invocable_v<Fn&>, "an event handler takes no arguments");
            static_assert(sizeof(Fn) <= handler_capacity, "capture too large for an event: capture less or an index");
            static_assert(alignof(Fn) <= alignof(std::max_align_t), "over-aligned capture");
            ::new (static_cast<void*>(captures)) Fn(std::forward<F>(f));
            run_and_destroy = &run_once<Fn>;
        }
        /// Runs the handler and empties the slot. Precondition: not empty.
        void run() {
            run_and_destroy(captures, false);
            run_and_destroy = nullptr;
        }
        /// Destroys the handler without running it. Precondition: not empty.
        void destroy() {
            run_and_destroy(captures, true);
            run_and_destroy = nullptr;
        }
        template <class Fn>
        static void run_once(void* p, bool destroy_only) {
            Fn& fn = *static_cast<Fn*>(p);
            if (!destroy_only) fn();
            fn.~Fn();
        }
    };
    static_assert(sizeof(Slot) == 64, "an event's slot is one cache line");
    // Chunks keep slot addresses stable while a running handler schedules more events.
    using Chunk = std::array<Slot, chunk_size>;

    void enqueue(Time at, std::uint32_t index) {
        const QueueEntry entry{at, next_order_ | index};
        const bool last_seq = take_seq();
        if (kind_ == QueueKind::binary_heap) {
            binary_.push(entry);
        } else {
            quaternary_.push(entry);
        }
        if (last_seq) renumber();
    }

    /// Calls `f` with the concrete queue: one predictable branch instead of a virtual call per event.
    template <class F>
    decltype(auto) with_queue(F&& f) {
        return kind_ == QueueKind::binary_heap ? f(binary_) : f(quaternary_);
    }
    template <class F>
    decltype(auto) with_queue(F&& f) const {
        return kind_ == QueueKind::binary_heap ? f(binary_) : f(quaternary_);
    }
    Slot& slot(std::uint32_t index) { return (*chunks_[index >> chunk_bits])[index & (chunk_size - 1)]; }
    [[nodiscard]] const Slot& slot(std::uint32_t index) const {
        return (*chunks_[index >> chunk_bits])[index & (chunk_size - 1)];
    }
    // The hot path is inline: allocation and release are a free-list push and pop.
    std::uint32_t allocate_slot() {
        if (free_head_ != UINT32_MAX) {
            const std::uint32_t index = free_head_;
            free_head_ = slot(index).next_free;
            return index;
        }
        if (slots_used_ == chunks_.size() * chunk_size) add_chunk();
        if (slots_used_ > QueueEntry::slot_mask) too_many_pending();
        return slots_used_++;
    }
    // A slot is released with its handler empty (a free slot's handler always is): reset
    // by cancel(), or by the run loop after running it.
    void release_slot(Slot& s, std::uint32_t index) {  // s is slot(index)
        s.next_free = free_head_;
        free_head_ = index;
    }
    // A disarmed timer's key: it sorts after every queue entry (whose orders are smaller).
    static constexpr QueueEntry disarmed_timer = QueueEntry::after_all();
    /// Moves to the next sequence number; true when the one just used was the last
    /// (QueueEntry::max_seq): the caller then renumbers, once its key is in place.
    bool take_seq() {
        return __builtin_add_overflow(next_order_, std::uint64_t{1} << QueueEntry::slot_bits, &next_order_);
    }
    /// add_timer() without the handler's type: gives `handler` a removed timer's id or a new one.
    TimerId adopt_timer(std::unique_ptr<Handler> handler);
    /// Recomputes next_timer_ from the armed timers.
    void find_next_timer();
    /// The earliest key of timer_keys_ (disarmed_timer when none is armed).
    [[nodiscard]] QueueEntry earliest_timer_key() const;
    /// Runs the earliest armed timer (next_timer_).
    void run_timer();
    void add_chunk();
    [[noreturn]] void too_many_pending() const;
    /// Counts an event about to run at `at`: the clock moving resets the count, so the
    /// hot path pays a comparison and a store; only a long stay at one instant is checked.
    void count_instant(Time at) {
        if (at != now_) {
            events_at_now_ = 0;
            instant_limit_ = events_per_instant_limit_;
        } else if (++events_at_now_ > instant_limit_) {
            check_zero_time_loop();
        }
    }
    /// Throws when the events run at now() are far more than the pending events explain.
    void check_zero_time_loop();
    /// Polls the stop flag every 4096 events: often enough to stop at once, rare enough to
    /// cost nothing. A count, not a mask of processed_: advance_if_next() moves it too.
    /// True when the run must stop (stop() sets the next check to now).
    bool must_stop() {
        if (processed_ < next_stop_check_) return false;
        return poll_stop();
    }
    bool poll_stop();
    /// Runs the live events and timers with time <= `end`, in order, until none is left
    /// or stop() is called.
    template <class Queue>
    void run_loop(Time end);
    /// run_loop() over the queue of kind_.
    void run_loop_of_kind(Time end);
    template <class Queue>
    Queue& queue_of() {
        if constexpr (std::is_same_v<Queue, BinaryHeap>) {
            return binary_;
        } else {
            return quaternary_;
        }
    }

    QueueKind kind_;
    BinaryHeap binary_;
    QuaternaryHeap quaternary_;
    std::vector<std::unique_ptr<Chunk>> chunks_;
    // unique_ptr: a running timer's handler stays put if it adds a timer.
    std::vector<std::unique_ptr<Handler>> timer_handlers_;
    // By TimerId, the function and captures of each timer's handler (in timer_handlers_): a
    // timer runs through one indirect call whose target is one load away, not three (the
    // handler's pointer, its operations table, the function).
    struct TimerCall {
        Handler::Invoker run = nullptr;
        void* captures = nullptr;
    };
    std::vector<TimerCall> timer_calls_;
    // By TimerId, apart from the handlers so that finding the earliest scans 16-byte
    // keys: the time and the sequence number above the TimerId, or disarmed_timer. Its size
    // is a multiple of timer_group (disarmed keys past the last timer), so that the scan
    // takes the keys four at a time.
    static constexpr std::size_t timer_group = 4;
    std::vector<QueueEntry> timer_keys_;
    QueueEntry next_timer_ = disarmed_timer;  // the earliest key
    std::uint32_t free_head_ = UINT32_MAX;
    std::uint32_t slots_used_ = 0;
    Time now_;
    // `end` of the current run_until(), Time::max() in run(); stopped_end once stopped, so
    // that advance_if_next() tests one bound for both.
    Time run_end_;
    static constexpr Time stopped_end = Time::from_ns(-1);  // before every time an event may have
    // The next sequence number, already shifted above the slot bits: a key's order is
    // next_order_ | slot, and the sequence running out is the carry out of its increment.
    std::uint64_t next_order_ = 0;
    std::uint64_t processed_ = 0;
    std::uint64_t next_stop_check_ = 0;
    std::uint64_t events_at_now_ = 0;  // events run at now() since the clock last moved
    std::uint64_t instant_limit_ = default_events_per_instant_limit;
    std::uint64_t events_per_instant_limit_ = default_events_per_instant_limit;
    // Cancelled events whose queue entries are still queued: the queue's size less these
    // is the number of pending events (armed timers apart), without a count per event.
    std::size_t cancelled_queued_ = 0;
    bool stopped_ = false;
    const std::atomic<bool>* stop_flag_ = nullptr;
};

inline void Simulation::set_timer(TimerId id, Time at) {
    const QueueEntry key{at < now_ ? now_ : at, next_order_ | id};
    const bool last_seq = take_seq();
    timer_keys_[id] = key;
    if (runs_before(key, next_timer_)) {
        next_timer_ = key;
    } else if (next_timer_.slot() == id) {
        find_next_timer();  // it was the earliest and moved later
    }
    if (last_seq) renumber();
}

inline bool Simulation::advance_if_next(Time at) {
    if (at > run_end_ || at < now_ || next_timer_.time <= at) return false;  // stopped: run_end_ is stopped_end
    if (with_queue([at](const auto& q) { return q.top().time <= at; })) return false;  // empty: Time::max()
    count_instant(at);
    now_ = at;
    ++processed_;
    return true;
}

}  // namespace s2sim

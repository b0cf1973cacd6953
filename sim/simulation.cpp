#include "sim/simulation.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim {

std::unique_ptr<EventQueue> make_event_queue(QueueKind kind) {
    switch (kind) {
        case QueueKind::binary_heap: return std::make_unique<BinaryHeap>();
        case QueueKind::quaternary_heap: return std::make_unique<QuaternaryHeap>();
    }
    return std::make_unique<QuaternaryHeap>();
}

std::string_view name(QueueKind kind) {
    switch (kind) {
        case QueueKind::binary_heap: return "binary_heap";
        case QueueKind::quaternary_heap: return "quaternary_heap";
    }
    return "?";
}

Simulation::Simulation(QueueKind kind) : kind_(kind) {}

Simulation::~Simulation() = default;

void Simulation::reserve(std::size_t n) {
    with_queue([n](auto& q) { q.reserve(n); });
    while (chunks_.size() * chunk_size < n) chunks_.push_back(std::make_unique<Chunk>());
}

void Simulation::add_chunk() { chunks_.push_back(std::make_unique<Chunk>()); }

void Simulation::too_many_pending() const {
    throw Error(fmt::format("simulation: more than {} events pending at once (at {} s)", QueueEntry::slot_mask + 1,
                            now_.seconds()));
}

void Simulation::check_zero_time_loop() {
    // Many events at one instant are fine while the pending events explain them (a million
    // users answered at once); a loop keeps few pending and never moves the clock.
    const std::size_t pending = pending_count();
    const std::uint64_t explained = events_per_instant_limit_ + 16 * static_cast<std::uint64_t>(pending);
    if (events_at_now_ <= explained) {
        instant_limit_ = explained;
        return;
    }
    throw Error(fmt::format("simulation: {} events ran at simulated time {} s without the clock moving ({} pending): "
                            "the model loops without time passing (look for zero think times, zero work, zero-time "
                            "failures or arrivals faster than the clock's nanosecond)",
                            events_at_now_, now_.seconds(), pending));
}

void Simulation::renumber() {
    std::vector<TimerId> armed;  // renumbered in the same sequence as the events
    for (TimerId id = 0; id < timer_keys_.size(); ++id) {
        if (timer_armed(id)) armed.push_back(id);
    }
    std::sort(armed.begin(), armed.end(),
              [this](TimerId a, TimerId b) { return runs_before(timer_keys_[a], timer_keys_[b]); });
    with_queue([this, &armed](auto& q) {
        std::vector<QueueEntry> entries;
        entries.reserve(q.size());
        while (!q.empty()) entries.push_back(q.pop());  // in (time, seq) order
        std::uint64_t seq = 0;
        std::size_t t = 0;
        const auto renumber_timer = [this, &seq](TimerId id) {
            timer_keys_[id] = QueueEntry::make(timer_keys_[id].time, seq++, id);
        };
        for (const QueueEntry& e : entries) {
            for (; t < armed.size() && runs_before(timer_keys_[armed[t]], e); ++t) renumber_timer(armed[t]);
            q.push(QueueEntry::make(e.time, seq++, e.slot()));
        }
        for (; t < armed.size(); ++t) renumber_timer(armed[t]);
        set_next_seq(seq);
    });
    find_next_timer();
}

std::size_t Simulation::pending_count() const {
    std::size_t armed = 0;
    for (TimerId id = 0; id < timer_keys_.size(); ++id) armed += timer_armed(id) ? 1 : 0;
    return with_queue([](const auto& q) { return q.size(); }) - cancelled_queued_ + armed;
}

bool Simulation::clear_timer(TimerId id) {
    if (!timer_armed(id)) return false;
    timer_keys_[id] = disarmed_timer;
    if (next_timer_.slot() == id) find_next_timer();
    return true;
}

Simulation::TimerId Simulation::adopt_timer(std::unique_ptr<Handler> handler) {
    const TimerCall call{handler->invoker(), handler->target()};  // the handler stays put: it is on the heap
    for (TimerId id = 0; id < timer_handlers_.size(); ++id) {
        if (!*timer_handlers_[id]) {  // removed
            timer_handlers_[id] = std::move(handler);
            timer_calls_[id] = call;
            return id;
        }
    }
    timer_handlers_.push_back(std::move(handler));
    timer_calls_.push_back(call);
    // Keys come in groups of timer_group, the last padded with disarmed keys.
    if (timer_keys_.size() < timer_handlers_.size()) timer_keys_.resize(timer_keys_.size() + timer_group, disarmed_timer);
    return static_cast<TimerId>(timer_handlers_.size() - 1);
}

void Simulation::remove_timer(TimerId id) {
    clear_timer(id);
    timer_handlers_[id]->reset();
    timer_calls_[id] = TimerCall{};
}

// Inline in run_timer() (once per timer run) as well as out of line for the rest.
[[gnu::always_inline]] inline QueueEntry Simulation::earliest_timer_key() const {
    // Which timer is earliest is a coin toss: select without branching, four keys at a time
    // by a tree of compares (the padding keys are disarmed: they never win). The keys are
    // selected as values, not as indices read back: no load waits on a compare, and none
    // reads 16 bytes that were just stored 8 at a time (a store-forwarding stall).
    static_assert(timer_group == 4);
    const auto earliest_of_group = [](const QueueEntry* k) {
        return earlier(earlier(k[0], k[1]), earlier(k[2], k[3]));
    };
    // Precondition: some timer exists (timer_keys_ holds a group at least).
    const QueueEntry* k = timer_keys_.data();
    const QueueEntry* const end = k + timer_keys_.size();
    QueueEntry earliest = earliest_of_group(k);
    for (k += timer_group; k != end; k += timer_group) earliest = earlier(earliest, earliest_of_group(k));
    return earliest;
}

void Simulation::find_next_timer() { next_timer_ = timer_keys_.empty() ? disarmed_timer : earliest_timer_key(); }

// Inline in run_loop(), its only caller: one call less per timer run.
inline void Simulation::run_timer() {
    const QueueEntry due = next_timer_;  // a copy: the stores below cannot change it
    const TimerId id = due.slot();
    count_instant(due.time);
    now_ = due.time;
    timer_keys_[id] = disarmed_timer;
    ++processed_;
    next_timer_ = earliest_timer_key();
    const TimerCall call = timer_calls_[id];
    call.run(call.captures);  // may set this timer again
}

bool Simulation::pending(EventId id) const {
    return id.valid() && id.slot < slots_used_ && slot(id.slot).generation == id.generation &&
           !slot(id.slot).empty();
}

bool Simulation::cancel(EventId id) {
    if (!pending(id)) return false;
    // The queue entry stays behind and is skipped when popped (its slot's handler is
    // empty); the slot is freed then, not before, so it cannot be reused meanwhile.
    Slot& s = slot(id.slot);
    ++s.generation;
    s.destroy();
    ++cancelled_queued_;
    return true;
}

// One loop with the step inline, not a call per event: the registers are saved once per
// run, not once per event.
template <class Queue>
void Simulation::run_loop(Time end) {
    // The queue as a member at a fixed offset from `this`, not a reference kept on the stack.
    Queue& queue = queue_of<Queue>();
    while (true) {
        // An empty queue's top runs after every key (and is no earlier than a disarmed timer's).
        if (runs_before(next_timer_, queue.top())) {
            if (next_timer_.time > end) return;
            run_timer();
        } else {
            if (queue.empty()) return;
            const QueueEntry top = queue.top();  // a copy: the stores below cannot change it
            const std::uint32_t index = top.slot();
            Slot& s = slot(index);
            if (s.empty()) {  // cancelled
                queue.pop();
                --cancelled_queued_;
                release_slot(s, index);
                continue;
            }
            if (top.time > end) return;
            count_instant(top.time);
            now_ = top.time;
            queue.pop();
            ++s.generation;  // the handle goes stale: cancelling a running event is a no-op
            ++processed_;
            s.run();  // chunks never move: s is still the slot afterwards
            release_slot(s, index);
        }
        if (must_stop()) return;
    }
}

void Simulation::run_loop_of_kind(Time end) {
    if (kind_ == QueueKind::binary_heap) {
        run_loop<BinaryHeap>(end);
    } else {
        run_loop<QuaternaryHeap>(end);
    }
}

bool Simulation::poll_stop() {
    next_stop_check_ = processed_ + 4096;
    if (stop_flag_ != nullptr && stop_flag_->load(std::memory_order_relaxed)) {
        stopped_ = true;
        run_end_ = stopped_end;
    }
    return stopped_;
}

void Simulation::run() {
    stopped_ = false;
    run_end_ = Time::max();
    run_loop_of_kind(Time::max());
}

void Simulation::run_until(Time end) {
    stopped_ = false;
    run_end_ = end;
    run_loop_of_kind(end);
    if (!stopped_ && now_ < end) now_ = end;
}

}  // namespace s2sim

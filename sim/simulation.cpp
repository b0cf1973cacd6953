#include "sim/simulation.hpp"

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

bool Simulation::pending(EventId id) const {
    return id.valid() && id.slot < slots_used_ && slot(id.slot).generation == id.generation &&
           static_cast<bool>(slot(id.slot).handler);
}

bool Simulation::cancel(EventId id) {
    if (!pending(id)) return false;
    // The queue entry stays behind and is skipped when popped: its generation is stale.
    ++slot(id.slot).generation;
    release_slot(id.slot);
    --live_;
    return true;
}

template <class Queue>
bool Simulation::step(Queue& queue, Time end) {
    while (!queue.empty()) {
        const QueueEntry& top = queue.top();
        if (slot(top.slot).generation != top.generation) {
            queue.pop();  // cancelled
            continue;
        }
        if (top.time > end) return false;
        const QueueEntry entry = queue.pop();
        Slot& s = slot(entry.slot);
        now_ = entry.time;
        ++s.generation;  // the handle goes stale: cancelling a running event is a no-op
        --live_;
        ++processed_;
        s.handler();
        release_slot(entry.slot);
        return true;
    }
    return false;
}

void Simulation::run() {
    stopped_ = false;
    with_queue([this](auto& q) {
        while (!stopped_ && step(q, Time::max())) check_stop_flag();
    });
}

void Simulation::run_until(Time end) {
    stopped_ = false;
    with_queue([this, end](auto& q) {
        while (!stopped_ && step(q, end)) check_stop_flag();
    });
    if (!stopped_ && now_ < end) now_ = end;
}

}  // namespace s2sim

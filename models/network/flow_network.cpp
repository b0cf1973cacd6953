#include "models/network/flow_network.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim::models {

namespace {

constexpr std::uint32_t none = UINT32_MAX;
constexpr double infinity = std::numeric_limits<double>::infinity();

// Beyond this many seconds a completion is treated as "never" so that the
// conversion to nanoseconds cannot overflow (about 30 years).
constexpr double max_finish_s = 1e9;

double seconds_between(Time from, Time to) { return static_cast<double>((to - from).ns()) * 1e-9; }

// When a message with `remaining` bytes (>= 0: checked at send, clamped since) moving at `rate`
// (0: not moving) is done, to the nearest nanosecond; Time::max() for never. The
// nanoseconds are Time::from_seconds()'s for a duration in [0, max_finish_s), without its
// tests for an overflow or a negative duration, which cannot happen here.
Time finish_time(Time now, double remaining, double rate) {
    const double left_s = rate > 0.0 ? remaining / rate : infinity;
    if (!(left_s < max_finish_s)) return Time::max();
    return now + Time::from_ns(static_cast<std::int64_t>(left_s * 1e9 + 0.5));
}

// A link's fair share, cap_left / unfrozen: the usual link carries one message, whose
// share is cap_left exactly, without a division on the critical path.
inline double fair_share(double cap_left, std::uint32_t unfrozen) {
    return unfrozen == 1 ? cap_left : cap_left / unfrozen;
}

// Min-heap order for progressive filling: smallest share first, then lowest
// link id, so equal shares are processed in a reproducible order.
struct ShareAfter {
    template <class E>
    bool operator()(const E& x, const E& y) const {
        return x.share > y.share || (x.share == y.share && x.link > y.link);
    }
};

// Min-heap order of a group's members: first to finish first, then send order.
struct MemberAfter {
    template <class M>
    bool operator()(const M& x, const M& y) const {
        return x.virtual_finish > y.virtual_finish || (x.virtual_finish == y.virtual_finish && x.seq > y.seq);
    }
};

}  // namespace

FlowNetwork::FlowNetwork(Simulation& simulation, Topology& topology)
    : sim_(simulation),
      topology_(topology),
      completion_timer_(simulation.add_timer([this] { on_completion(); })),
      stats_start_(simulation.now()) {
    latency_queues_.reserve(max_latency_queues);  // timers capture indices, handlers may send
    sync_links();
}

FlowNetwork::~FlowNetwork() {
    sim_.remove_timer(completion_timer_);
    for (const LatencyQueue& q : latency_queues_) sim_.remove_timer(q.timer);
    for (std::uint32_t f = 0; f < flows_.size(); ++f) {
        if (flows_[f].phase == Phase::latency && flow_cold_[f].latency_event.valid()) {
            sim_.cancel(flow_cold_[f].latency_event);
        }
    }
}

// Set-up, failures and reports are marked cold: optimised for size, they leave GCC's budget of
// inlining within this file (--param inline-unit-growth) to the per-message paths, where
// heap_remove() and schedule_completion() must stay inline (hence `inline` on them). So do
// the steps of an entry and a departure, each called from one or two places:
// rate_if_nobody_moves(), deliver_in_place(), can_leave_alone(), leave_links(), finish() and
// heap_push() (-3% instructions on the shop: no call, and path_empty stays in a register).
// heap_update() stays out of line (inlined into reallocate() and the groups' code it saved 0.006%
// of the shop's instructions); the sifts inline cost more than they save. finish_one() stays out
// of line too: forced inline into on_latency_done() it cost 0.8% more instructions.
[[gnu::cold]] void FlowNetwork::add_links() {
    const std::size_t n = topology_.directed_link_count();
    const std::size_t old = topology_links_;
    if (links_.size() > old) {
        // Private links follow the topology's: their ids would move.
        throw Error("network: links were added to the topology after rate-bounded messages were sent");
    }
    links_.resize(n);
    topology_links_ = n;
    for (std::size_t i = old; i < n; ++i) {
        links_[i].capacity = topology_.capacity(static_cast<DirectedLinkId>(i));
        links_[i].last = sim_.now();
    }
}

std::uint32_t FlowNetwork::allocate_flow() {
    if (!free_.empty()) {
        const std::uint32_t f = free_.back();
        free_.pop_back();
        return f;
    }
    flows_.emplace_back();
    flow_cold_.emplace_back();
    // free_ holds each slot at most once: with room for all of them, release() never grows it.
    if (free_.capacity() < flows_.size()) free_.reserve(flows_.capacity());
    return static_cast<std::uint32_t>(flows_.size() - 1);
}

[[gnu::cold]] void FlowNetwork::set_large_callback(std::uint32_t f, FlowCallback on_done) {
    if (large_callbacks_.size() < flows_.size()) large_callbacks_.resize(flows_.size());
    large_callbacks_[f] = std::move(on_done);
    // A small capture that runs it: the slot's callback as any other (moved out before the call).
    set_callback(flows_[f].callback, f, [this, f](bool ok) {
        FlowCallback callback = std::move(large_callbacks_[f]);
        callback(ok);
    });
}

DirectedLinkId FlowNetwork::allocate_bound_link(double rate) {
    DirectedLinkId d = 0;
    if (!free_bound_links_.empty()) {
        d = free_bound_links_.back();
        free_bound_links_.pop_back();
    } else {
        d = static_cast<DirectedLinkId>(links_.size());
        links_.emplace_back();
    }
    LinkState& l = links_[d];
    l.capacity = rate;
    l.rate_sum = 0.0;
    l.last = sim_.now();
    l.capacity_since = sim_.now();
    return d;
}

FlowNetwork::Sent FlowNetwork::send_bounded_impl(NodeId from, NodeId to, double bytes, double max_rate, bool skip_latency) {
    if (!(max_rate > 0.0)) {
        throw Error(fmt::format("network: invalid rate bound {} bytes/s (expected > 0)", max_rate));
    }
    check_send(from, to, bytes);
    sync_links();
    const Bound bound{max_rate, skip_latency};
    return send_rare(topology_.find_compact_route(from, to), bytes, &bound);
}

inline void FlowNetwork::check_send(NodeId from, NodeId to, double bytes) const {
    if (from >= topology_.node_count() || to >= topology_.node_count()) {
        throw Error(fmt::format("network: unknown node id in send from {} to {} (the topology has {} nodes)", from,
                                to, topology_.node_count()));
    }
    // +0 up to the largest finite size in one unsigned comparison of the bits; past it are
    // -0 (accepted), negative sizes, infinities and NaNs.
    const auto bits = std::bit_cast<std::uint64_t>(bytes);
    if (bits >= std::bit_cast<std::uint64_t>(std::numeric_limits<double>::infinity()) &&
        !(bytes >= 0.0 && bytes <= std::numeric_limits<double>::max())) [[unlikely]] {
        throw Error(fmt::format("network: invalid message size {} bytes from '{}' to '{}' (expected a finite value >= 0)",
                                bytes, topology_.node_name(from), topology_.node_name(to)));
    }
}

FlowNetwork::Sent FlowNetwork::send_impl(NodeId from, NodeId to, double bytes) {
    // The usual message, every test first and nothing changed before them: known nodes, a size
    // that is finite and >= 0 (a test of its bits; -0 goes the long way), no links to sync, a route
    // in the direct table of at most six links, no jitter, a queue for its latency class with room,
    // and a free slot. Anything else is send_general()'s, as a tail call: the growth of a queue or
    // of the slots, the route's making and the rare cases no longer make this path save registers
    // and keep a stack frame (the timer's arming, inline, still needs five).
    const std::size_t nodes = topology_.node_count();
    if (from >= nodes || to >= nodes ||
        std::bit_cast<std::uint64_t>(bytes) >= std::bit_cast<std::uint64_t>(infinity) ||
        topology_links_ < topology_.directed_link_count()) [[unlikely]] {
        return send_general(from, to, bytes);
    }
    const CompactRoute* route = topology_.find_made_compact_route(from, to);
    if (route == nullptr || jittered_ || route->link_count > Hops::inline_capacity) [[unlikely]] {
        return send_general(from, to, bytes);
    }
    const std::uint32_t latency_class = route->latency_class;
    LatencyQueue* queue = latency_class < queue_of_class_.size() ? queue_of_class_[latency_class] : nullptr;
    if (queue == nullptr || queue->pending.full() || free_.empty()) [[unlikely]] return send_general(from, to, bytes);
    // The queue first: written after the message's slot, its size and ends would be read again.
    const std::uint32_t f = free_.back();
    Flow& flow = flows_[f];
    const FlowId id{f, flow.generation};
    const Time entry = sim_.now() + route->latency;
    queue->pending.push_back(Pending{entry, f, id.generation});
    const bool first = queue->pending.size() == 1;
    free_.pop_back();
    new_message(f, bytes, false);
    flow.hops.assign_links(*route);
    ++in_flight_;
    if (first) sim_.set_timer(queue->timer, entry);
    return Sent{id, &flow.callback};
}

FlowNetwork::Sent FlowNetwork::send_general(NodeId from, NodeId to, double bytes) {
    check_send(from, to, bytes);
    sync_links();
    // One cache line with everything below needs of the route.
    const CompactRoute* route = topology_.find_compact_route(from, to);  // both checked above
    if (route == nullptr || jittered_) [[unlikely]] return send_rare(route, bytes, nullptr);
    // The usual message: send_rare() for a route, without jitter or bound, and a queue for its latency.
    const std::uint32_t latency_class = route->latency_class;
    LatencyQueue* queue = latency_queue(latency_class);
    if (queue == nullptr) [[unlikely]] return send_rare(route, bytes, nullptr);
    const std::uint32_t f = allocate_flow();
    Flow& flow = new_message(f, bytes, false);
    flow.hops.assign_links(*route);
    queue_for_latency(*queue, Pending{sim_.now() + route->latency, f, flow.generation});
    ++in_flight_;
    return Sent{FlowId{f, flow.generation}, &flow.callback};
}

inline FlowNetwork::Flow& FlowNetwork::new_message(std::uint32_t f, double bytes, bool no_route) {
    Flow& flow = flows_[f];
    flow.remaining = bytes;
    flow.rate = 0.0;
    flow.finish = Time::max();
    flow.seq = next_seq_++;
    flow.phase = Phase::latency;
    flow.no_route = no_route;
    return flow;
}

[[gnu::always_inline]] inline void FlowNetwork::queue_for_latency(LatencyQueue& queue, Pending pending) {
    if (queue.pending.full()) {
        // Doubling: amortised O(1), and no allocation once the queue has reached its largest size.
        queue.pending.set_capacity(std::max<std::size_t>(16, 2 * queue.pending.capacity()));
    }
    queue.pending.push_back(pending);
    if (queue.pending.size() == 1) sim_.set_timer(queue.timer, pending.entry);
}

FlowNetwork::Sent FlowNetwork::send_rare(const CompactRoute* route, double bytes, const Bound* bound) {
    const std::uint32_t f = allocate_flow();
    Flow& flow = new_message(f, bytes, route == nullptr);
    Time delay;
    std::uint32_t latency_class = 0;
    if (route != nullptr) {
        flow.hops.assign_links(*route);
        delay = route->latency;
        latency_class = route->latency_class;
        if (jittered_) {
            const Time extra = draw_jitter(*route->route);
            // Messages that may overtake each other cannot share a first-in first-out queue.
            if (extra > Time::zero()) {
                flow_cold_[f].latency_event = sim_.schedule_in(delay + extra, [this, f] { on_latency_event(f); });
                ++in_flight_;
                return Sent{FlowId{f, flow.generation}, &flow.callback};
            }
        }
    } else {
        flow.hops.clear();
        latency_class = topology_.latency_class(Time::zero());
    }
    // A free flow has no bound link (notify() returns it): only a bounded send sets one.
    if (bound != nullptr) {
        if (route != nullptr && !std::isinf(bound->max_rate)) {
            flow.bound_link = allocate_bound_link(bound->max_rate);
            flow.hops.push_back(Hop{flow.bound_link, 0});
        }
        if (bound->skip_latency) {
            flow_cold_[f].latency_event = sim_.schedule_in(Time::zero(), [this, f] { on_latency_event(f); });
            ++in_flight_;
            return Sent{FlowId{f, flow.generation}, &flow.callback};
        }
    }
    if (LatencyQueue* queue = latency_queue(latency_class)) {
        queue_for_latency(*queue, Pending{sim_.now() + delay, f, flow.generation});
    } else {
        flow_cold_[f].latency_event = sim_.schedule_in(delay, [this, f] { on_latency_event(f); });
    }
    ++in_flight_;
    return Sent{FlowId{f, flow.generation}, &flow.callback};
}

[[gnu::cold]] void FlowNetwork::set_jitter(DirectedLinkId d, DistributionPtr jitter, RandomStream rng) {
    if (d >= topology_.directed_link_count()) throw Error(fmt::format("network: unknown directed link {}", d));
    if (jitter_.size() < topology_.directed_link_count()) jitter_.resize(topology_.directed_link_count());
    jittered_ = true;
    if (jitter) {
        jitter_[d] = Jitter{std::move(jitter), std::move(rng)};
    } else {
        jitter_[d].reset();
    }
}

Time FlowNetwork::draw_jitter(const Route& route) {
    double extra = 0;
    for (const DirectedLinkId d : route.links) {
        if (d < jitter_.size() && jitter_[d]) extra += std::max(0.0, jitter_[d]->delay->sample(jitter_[d]->rng));
    }
    return Time::from_seconds(extra);
}

[[gnu::cold]] FlowNetwork::LatencyQueue* FlowNetwork::find_or_add_latency_queue(std::uint32_t latency_class) {
    LatencyQueue** slot = nullptr;
    if (latency_class < queue_of_class_.size()) {
        slot = &queue_of_class_[latency_class];
    } else {
        const std::size_t i = latency_class - queue_of_class_.size();
        if (i >= queue_of_far_class_.size()) queue_of_far_class_.resize(i + 1, nullptr);
        slot = &queue_of_far_class_[i];
    }
    if (*slot != nullptr) return *slot;
    if (latency_queues_.size() == max_latency_queues) return nullptr;
    const auto q = static_cast<std::uint32_t>(latency_queues_.size());
    LatencyQueue& queue = latency_queues_.emplace_back();  // reserved: the pointer stays valid
    queue.timer = sim_.add_timer([this, q] { on_queue_front_due(q); });
    *slot = &queue;
    return &queue;
}

void FlowNetwork::on_queue_front_due(std::uint32_t q) {
    // One message per run, as one event each would be; the timer moves to the next front.
    LatencyQueue& queue = latency_queues_[q];
    const Pending front = queue.pending.front();
    queue.pending.pop_front();
    // The usual queue is empty now: the timer's arming (whose calls would make this function
    // save registers) is out of line, as a tail call.
    if (!queue.pending.empty()) return rearm_and_enter(queue, front);
    enter_after_latency(front);
}

void FlowNetwork::rearm_and_enter(LatencyQueue& queue, Pending front) {
    sim_.set_timer(queue.timer, queue.pending.front().entry);
    enter_after_latency(front);
}

inline void FlowNetwork::enter_after_latency(Pending front) {
    const Flow& flow = flows_[front.flow];
    if (stale_pending_ > 0 && (flow.generation != front.generation || flow.phase != Phase::latency)) {
        --stale_pending_;  // failed by fail_link while queued
        return;
    }
    on_latency_done(front.flow);
}

void FlowNetwork::on_latency_done(std::uint32_t f) {
    Flow& flow = flows_[f];
    // Nothing to move: a message without a route (it has no links) fails now; an empty message,
    // or one from a node to itself, is delivered now. One test on the usual path.
    if (flow.hops.empty() || flow.remaining <= 0.0) [[unlikely]] {
        if (flow.no_route) {
            finish_one(f, false);
            return;
        }
        finish_one(f, true);
        return;
    }
    const Time now = sim_.now();
    if (live_groups_ > 0) {
        flow.phase = Phase::bandwidth;
        flow.last_update = now;
        if (enter_group(f)) return;
    }
    bool path_empty = false;
    const double alone_rate = rate_if_nobody_moves(f, path_empty);
    const Time alone_finish = finish_time(now, flow.remaining, alone_rate);
    if (path_empty && deliver_in_place(f, alone_rate, alone_finish)) return;
    // Not before: nothing reads them for a message delivered in place (its slot is freed).
    flow.phase = Phase::bandwidth;
    flow.last_update = now;
    // Three loops rather than tests per link (GCC keeps them inside).
    if (path_empty) {
        // Nobody on its links (alone_rate is then > 0): each link's list is empty, its rate sum
        // exactly 0 (see deliver_in_place()) and no group's, so settling it adds nothing, its rate
        // sum becomes alone_rate itself and no headroom changes.
        for (Hop& hop : flow.hops) {
            LinkState& l = links_[hop.link];
            hop.slot = 0;
            l.flows.push_back(f);
            l.last = now;
            l.rate_sum = alone_rate;
        }
    } else if (alone_rate > 0.0) {
        // settle() and touch() with the group test once (the loop's stores would reload it per link).
        const bool grouped = live_groups_ > 0;
        for (Hop& hop : flow.hops) {
            LinkState& l = links_[hop.link];
            hop.slot = static_cast<std::uint32_t>(l.flows.size());
            l.flows.push_back(f);
            settle_plain(l, now);
            if (grouped && l.group != none) settle_group_bytes(l, now);
            l.rate_sum += alone_rate;
            if (grouped && l.group != none) push_headroom(l.group, hop.link);
        }
    } else {
        seeds_.clear();
        for (Hop& hop : flow.hops) {
            LinkState& l = links_[hop.link];
            hop.slot = static_cast<std::uint32_t>(l.flows.size());
            l.flows.push_back(f);
            seeds_.push_back(hop.link);
        }
    }
    if (alone_rate > 0.0) {
        ++fast_updates_;
        flow.rate = alone_rate;
        flow.finish = alone_finish;
        heap_push(f);
    } else {
        heap_push(f);
        reallocate();
    }
    schedule_completion();
}

// Over a group's bottleneck a message joins the group (other groups on its path
// dissolve); over a group's other links it is one more message beside the group.
bool FlowNetwork::enter_group(std::uint32_t f) {
    const Flow& flow = flows_[f];
    std::uint32_t joins = none;
    for (const Hop& hop : flow.hops) {
        const LinkState& l = links_[hop.link];
        if (l.group != none && groups_[l.group].link == hop.link) joins = l.group;
    }
    if (joins == none) return false;
    seeds_.clear();
    for (const Hop& hop : flow.hops) {
        const std::uint32_t g = links_[hop.link].group;
        if (g != none && g != joins) dissolve(g);
    }
    join_group(f, joins);
    if (seeds_.empty()) {
        ++fast_updates_;
    } else {
        reallocate();
    }
    schedule_completion();
    return true;
}

// Exact shortcut of progressive filling for a message entering its bandwidth
// phase. Let r be the least spare capacity along its path. If r > 0 and every
// message already on a link whose spare capacity is r has a rate <= r, then the
// old allocation plus the new message at rate r is max-min fair: the new message
// is bottlenecked where its path fills up (no one there gets more), and no link
// that bottlenecks another message is on its path (those have no spare
// capacity). Returns r, or 0 when the full computation is needed.
inline double FlowNetwork::rate_if_nobody_moves(std::uint32_t f, bool& path_empty) const {
    if (live_groups_ > 0) {
        // Through a local: the caller's flag, whose address would escape into the call, then
        // stays in a register on the usual path.
        bool empty = false;
        const double r = rate_if_nobody_moves_grouped(f, empty);
        path_empty = empty;
        return r;
    }
    const Flow& flow = flows_[f];
    double r = infinity;
    // The links' list sizes or-ed: not 0 when some link of the path already carries messages
    // (one `or` per link, not a test, a set and an `or`).
    std::uint32_t listed = 0;
    for (const Hop& hop : flow.hops) {
        const LinkState& l = links_[hop.link];
        const double spare = l.capacity - l.rate_sum;
        // Full, or of infinite capacity: `isinf(capacity) || spare <= tolerance * capacity`
        // in one test (an infinite capacity gives an infinite or NaN spare, neither above
        // an infinite tolerance).
        if (!(spare > saturation_tolerance * l.capacity)) return 0.0;
        // std::min(r, spare) but for the operands' order, which lets minsd write r in place:
        // equal only when both are the same positive number (spare > 0 here, never NaN).
        r = std::min(spare, r);
        listed |= static_cast<std::uint32_t>(l.flows.size());
    }
    path_empty = listed == 0;
    if (listed == 0) return r;  // the usual case: nobody else to check
    for (const Hop& hop : flow.hops) {
        const LinkState& l = links_[hop.link];
        if (l.capacity - l.rate_sum > r * (1 + saturation_tolerance)) continue;
        for (std::uint32_t g : l.flows) {
            if (flows_[g].rate > r * (1 + saturation_tolerance)) return 0.0;
        }
    }
    return r;
}

// The same, counting the members of groups on the path at their group's rate.
double FlowNetwork::rate_if_nobody_moves_grouped(std::uint32_t f, bool& path_empty) const {
    const Flow& flow = flows_[f];
    double r = infinity;
    bool shared = false;  // some link of the path already carries messages
    for (const Hop& hop : flow.hops) {
        const LinkState& l = links_[hop.link];
        const double spare = l.capacity - total_rate(l);
        if (!(spare > saturation_tolerance * l.capacity)) return 0.0;  // as in rate_if_nobody_moves()
        r = std::min(r, spare);
        shared |= !l.flows.empty() || l.group != none;
    }
    path_empty = !shared;
    if (!shared) return r;
    for (const Hop& hop : flow.hops) {
        const LinkState& l = links_[hop.link];
        if (l.capacity - total_rate(l) > r * (1 + saturation_tolerance)) continue;
        if (l.group != none && groups_[l.group].rate > r * (1 + saturation_tolerance)) return 0.0;
        for (std::uint32_t g : l.flows) {
            if (flows_[g].rate > r * (1 + saturation_tolerance)) return 0.0;
        }
    }
    return r;
}

// A message alone on its whole path, whose completion would be the very next
// event of the simulation, is delivered at once: nobody can join its links in
// between, so the links' byte counts, the clock and the event count end exactly
// as through the completion timer, without the list, heap and timer updates.
inline bool FlowNetwork::deliver_in_place(std::uint32_t f, double rate, Time done) {
    Flow& flow = flows_[f];
    const Time entry = sim_.now();
    if (done == Time::max() || !sim_.advance_if_next(done)) return false;
    fast_updates_ += 2;  // an entry and a departure that move nobody
    ++delivered_in_place_;
    // The same byte counts as on_latency_done() and leave_links() at `done`: an empty
    // link's rate sum is exactly 0 (the last message to leave sets it so), so settling
    // it at `entry` adds nothing, and settling it at `done` adds 0 + rate = rate times
    // the same duration on every link: computed once per message, not per link.
    // Added on every link, 0 too (rather than a test per link): a byte count is never -0 (it
    // starts at +0 and sums products), so adding +0 leaves it as it is.
    const double carried = done > entry ? rate * (done - entry).seconds() : 0.0;
    for (const Hop& hop : flow.hops) {
        LinkState& l = links_[hop.link];  // on nobody's path: no group's either
        l.bytes += carried;
        l.last = done;  // l.last <= entry: links are settled up to now at the latest
    }
    // The message's rate, finish and bytes left are not written: its slot is freed below, and
    // nothing reads them before a send sets them again.
    // The completion event would have armed the timer again for the next
    // completion, which gives it a fresh place among events at that instant.
    if (sim_.timer_armed(completion_timer_)) sim_.set_timer(completion_timer_, completion_time_);
    finish_one(f, true);
    return true;
}

// Exact shortcut for a message leaving: when no other message on a link it shares
// is bottlenecked there (the link has spare capacity, or every other message on it
// is slower than this one, so bottlenecked elsewhere), nobody's rate changes.
inline bool FlowNetwork::can_leave_alone(const LinkState& l, std::uint32_t f, double rate) const {
    const double capacity = l.capacity;
    if (std::isinf(capacity) || capacity - total_rate(l) > saturation_tolerance * capacity) return true;
    if (live_groups_ > 0 && l.group != none && groups_[l.group].rate >= rate * (1 - saturation_tolerance)) {
        return false;
    }
    for (std::uint32_t g : l.flows) {
        if (g != f && flows_[g].rate >= rate * (1 - saturation_tolerance)) return false;
    }
    return true;
}

// A plain message leaves as the completion heap's first, in one pass over its links
// in the usual case. The links it has to itself (and no group) it leaves at once:
// with or without a reallocation their byte counts end the same (settled now at the
// old rate sum) and their rate sums exactly 0, and nobody else is on them, so they
// need not seed one. The shared links are checked first, then left as leave_links()
// does, in route order.
inline void FlowNetwork::leave_first(std::uint32_t f) {
    Flow& flow = flows_[f];
    const Time now = sim_.now();
    // Once one departure needs the full computation, the rates of the rest are
    // stale until it runs: they all take the full path.
    bool alone = seeds_.empty();
    bool shared = false;
    const bool no_group = live_groups_ == 0;  // then no link's `group`, on its second cache line, is read
    for (const Hop& hop : flow.hops) {
        LinkState& l = links_[hop.link];
        if (l.flows.size() == 1 && (no_group || l.group == none)) {  // only this message: the usual case
            settle_plain(l, now);
            l.rate_sum = 0.0;
            l.flows.pop_back();  // f
            continue;
        }
        shared = true;
        if (alone && !can_leave_alone(l, f, flow.rate)) alone = false;
    }
    // A loop for each value of `alone`: leave_link() then tests it once, not twice per link.
    if (shared && alone) {
        for (const Hop& hop : flow.hops) {
            if (links_[hop.link].flows.empty()) continue;  // left above
            leave_link(f, hop, flow.rate, true, now);
        }
    } else if (shared) {
        for (const Hop& hop : flow.hops) {
            if (links_[hop.link].flows.empty()) continue;
            leave_link(f, hop, flow.rate, false, now);
        }
    }
    if (alone) ++fast_updates_;
    // heap_remove() of the first entry: sifting up from the root does nothing.
    flow.heap_pos = none;
    const Completion last = completion_heap_.back();
    completion_heap_.pop_back();
    if (last.flow != f) heap_sift_down(0, last);
}

inline void FlowNetwork::leave_link(std::uint32_t f, const Hop& hop, double rate, bool others_keep_their_rates,
                                     Time now) {
    LinkState& l = links_[hop.link];
    if (others_keep_their_rates) {
        settle(l, now);  // count this message's last bytes at the old rate sum
        l.rate_sum = l.flows.size() == 1 ? 0.0 : l.rate_sum - rate;
    } else {
        // The rate sum still includes this message, so its last bytes are
        // counted when reallocate() settles the link.
        seeds_.push_back(hop.link);
    }
    unlist(f, hop);
    if (others_keep_their_rates) touch(hop.link);
}

inline void FlowNetwork::leave_links(std::uint32_t f, bool others_keep_their_rates) {
    Flow& flow = flows_[f];
    const Time now = sim_.now();
    for (const Hop& hop : flow.hops) leave_link(f, hop, flow.rate, others_keep_their_rates, now);
    heap_remove(f);
}

// Inlined (leave_link() and form_group() are its callers): left to itself, GCC calls it from on_completion().
[[gnu::always_inline]] inline void FlowNetwork::unlist(std::uint32_t f, const Hop& hop) {
    auto& list = links_[hop.link].flows;
    const std::uint32_t moved = list.back();
    list[hop.slot] = moved;
    list.pop_back();
    if (moved != f) {
        for (Hop& other : flows_[moved].hops) {
            if (other.link == hop.link) {
                other.slot = hop.slot;
                break;
            }
        }
    }
}

void FlowNetwork::on_completion() {
    const Time now = sim_.now();
    seeds_.clear();
    const std::size_t first_done = to_notify_.size();
    bool grouped_done = false;
    while (!completion_heap_.empty() && completion_heap_.front().finish <= now) {
        const std::uint32_t f = completion_heap_.front().flow;
        if (flows_[f].group != none) {
            leave_group(f);
            grouped_done = true;
        } else {
            leave_first(f);
        }
        finish(f, true);  // its bytes left are not zeroed: nothing reads them before its slot is reused
    }
    if (grouped_done) {
        // A group's members come out by virtual finish; those of one instant are reported in send order.
        std::stable_sort(to_notify_.begin() + static_cast<std::ptrdiff_t>(first_done), to_notify_.end(),
                         [this](const auto& x, const auto& y) { return flows_[x.first].seq < flows_[y.first].seq; });
    }
    if (!seeds_.empty()) reallocate();  // most departures move nobody: no call
    schedule_completion();
    if (to_notify_.size() == 1 && !notifying_) {
        // One message done (the usual case): its callback runs as notify() would run it, without
        // the loop.
        const std::uint32_t f = to_notify_.front().first;
        const bool ok = to_notify_.front().second;
        to_notify_.clear();
        notify_alone(f, ok);
        return;
    }
    notify();
}

// Inlined (on_completion() and finish_one() are its callers): GCC's budget left it out of line
// once release() lost its growth code.
[[gnu::always_inline]] inline void FlowNetwork::notify_alone(std::uint32_t f, bool ok) {
    MessageCallback& callback = flows_[f].callback;
    const MessageCallback::Runner run = callback.take();
    release(f);  // the capture stays in the free slot until `run` moves it out, before any send
    if (run == nullptr) return;
    const NotifyingScope scope(this);
    run(callback.storage, ok);
    // The callback may have finished others (fail_link): theirs run now, in order, as in notify().
    // Rarely: the test spares the usual message a call (run_listed_callbacks stays out of line).
    if (!to_notify_.empty()) [[unlikely]] run_listed_callbacks();
}

// reallocate() of a component with at most one message, without groups (four in ten on the
// shop: seed links whose messages all left, or one message that sped up or entered a path of
// infinite capacity); false, having changed nothing, for any other. The same values as the
// progressive filling: each link is settled at its old rate sum, an empty one's rate sum is 0,
// and the message, moved forward to now at its old rate, takes its first bottleneck's share,
// which with one message is the smallest capacity on its path (cap_left = capacity and
// unfrozen = 1, so fair_share() is cap_left itself), as each of its links' rate sums (0 + share
// is share: share > 0). Settling a link twice at one instant adds nothing. The scratch fields
// (cap_left, unfrozen, marks) are not written: reallocate() sets them before it reads them.
// A lone message forms no group unless min_group_size() is 1: then the full path runs.
inline bool FlowNetwork::reallocate_at_most_one() {
    std::uint32_t only = none;
    for (const DirectedLinkId d : seeds_) {
        const FlowList& list = links_[d].flows;
        if (list.empty()) continue;
        if (list.size() != 1 || (only != none && list[0] != only)) return false;
        only = list[0];
    }
    if (!small_component_shortcut_) [[unlikely]] return false;
    double share = infinity;
    if (only != none) {
        if (min_group_size_ <= 1) return false;
        for (const Hop& hop : flows_[only].hops) {
            const LinkState& l = links_[hop.link];
            if (l.flows.size() != 1) return false;  // it is on this link: a second message shares it
            share = std::min(share, l.capacity);
        }
    }
    ++reallocations_;
    const Time now = sim_.now();
    for (const DirectedLinkId d : seeds_) {
        LinkState& l = links_[d];
        settle_plain(l, now);
        l.rate_sum = 0.0;
    }
    seeds_.clear();
    if (only == none) return true;
    Flow& flow = flows_[only];
    flow.remaining = std::max(0.0, flow.remaining - flow.rate * seconds_between(flow.last_update, now));
    flow.last_update = now;
    flow.rate = share;
    for (const Hop& hop : flow.hops) {
        LinkState& l = links_[hop.link];
        settle_plain(l, now);
        l.rate_sum = share;
    }
    const Time finish = finish_time(now, flow.remaining, share);
    if (finish != flow.finish) {
        flow.finish = finish;
        heap_update(only);
    }
    return true;
}

// Progressive filling over the connected component of the links in seeds_:
// all messages sharing a link with a seed link, transitively, and their links.
// Each message and link is set up as the search reaches it (one pass, not three):
// its steps are independent of each other, so their arithmetic is that of
// separate passes.
void FlowNetwork::reallocate() {
    if (seeds_.empty()) return;
    if (live_groups_ == 0 && reallocate_at_most_one()) return;
    ++reallocations_;
    const Time now = sim_.now();
    const std::uint32_t epoch = next_epoch();
    // The scratch arrays hold as many entries as the component can have, so that
    // appending needs no capacity test; the counts below say how many are in use.
    if (comp_links_.size() < links_.size()) {
        comp_links_.resize(links_.size());
        shares_.resize(links_.size());
    }
    if (comp_flows_.size() < flows_.size()) comp_flows_.resize(flows_.size());
    DirectedLinkId* const comp_links = comp_links_.data();
    std::uint32_t* const comp_flows = comp_flows_.data();
    ShareEntry* const shares = shares_.data();
    std::size_t link_count = 0;
    std::size_t flow_count = 0;
    std::size_t share_count = 0;  // links with messages to allocate, in component order
    const bool grouped = live_groups_ > 0;
    // The smallest share (then the lowest link id) as the links join: the first
    // bottleneck, found without a scan of its own.
    ShareEntry first{infinity, none};
    // A link joins the component: its bytes are counted at its old rate sum
    // before any rate changes, and it is set up for the filling.
    const auto add_link = [&](DirectedLinkId d) {
        LinkState& l = links_[d];
        l.mark = epoch;
        comp_links[link_count++] = d;
        if (grouped) {
            settle(l, now);
        } else {
            settle_plain(l, now);
        }
        l.rate_sum = 0.0;
        // A group's members keep their rate: the others share what it leaves.
        l.cap_left = !grouped || l.group == none ? l.capacity
                                                 : std::max(0.0, l.capacity - l.group_flows * groups_[l.group].rate);
        l.unfrozen = static_cast<std::uint32_t>(l.flows.size());
        if (l.unfrozen > 0) {
            const double share = fair_share(l.cap_left, l.unfrozen);
            shares[share_count++] = ShareEntry{share, d};
            // `first` starts at {infinity, none}: the first share (never NaN) always replaces it.
            if (share < first.share || (share == first.share && d < first.link)) {
                first = ShareEntry{share, d};
            }
        }
    };
    for (DirectedLinkId d : seeds_) {
        if (links_[d].mark != epoch) add_link(d);
    }
    for (std::size_t i = 0; i < link_count; ++i) {
        for (std::uint32_t f : links_[comp_links[i]].flows) {
            Flow& flow = flows_[f];
            if (flow.mark == epoch) continue;
            flow.mark = epoch;
            comp_flows[flow_count++] = f;
            // Move it forward at its old rate up to now.
            flow.remaining = std::max(0.0, flow.remaining - flow.rate * seconds_between(flow.last_update, now));
            flow.last_update = now;
            flow.rate = -1.0;  // not yet allocated
            for (const Hop& hop : flow.hops) {
                if (links_[hop.link].mark != epoch) add_link(hop.link);
            }
        }
    }

    // Water-filling: the link with the smallest fair share (then the lowest id)
    // fixes the rate of every unallocated message crossing it; those messages
    // then use up that share on their other links.
    // The link that fixes the most messages at once, all of its own, in a group's making.
    DirectedLinkId group_link = none;
    std::size_t group_size = min_group_size_ - 1;
    double group_share = 0.0;
    // Every message on a component's link is in the component, so the links
    // still to allocate run out exactly when the messages do.
    std::size_t unfixed = flow_count;
    const auto fix_rates_at = [&](DirectedLinkId link, double share) {
        LinkState& bottleneck = links_[link];
        const std::size_t fixed = bottleneck.unfrozen;  // all of its messages, when nobody on it was fixed before
        if (fixed > group_size && fixed == bottleneck.flows.size() && bottleneck.group == none && !std::isinf(share)) {
            group_link = link;
            group_size = fixed;
            group_share = share;
        }
        // The bottleneck's own cap_left is set to 0 after the loop (nothing reads it before),
        // so its messages use up the share on every link of theirs, the bottleneck included:
        // one test less per link.
        const bool finite = !std::isinf(share);
        for (std::uint32_t f : bottleneck.flows) {
            Flow& flow = flows_[f];
            if (flow.rate >= 0.0) continue;
            flow.rate = share;
            --unfixed;
            for (const Hop& hop : flow.hops) {
                LinkState& l = links_[hop.link];
                l.rate_sum += share;
                --l.unfrozen;
                if (finite) l.cap_left = std::max(0.0, l.cap_left - share);
            }
        }
        bottleneck.cap_left = 0.0;
    };
    if (share_count <= links_scanned_for_the_smallest_share) {
        // A few links (the usual case): scanning them for the smallest current
        // share costs less than keeping a heap, and chooses the same link. The
        // first scan's is `first` (nothing has changed since the links joined).
        if (first.link != none) fix_rates_at(first.link, first.share);
        while (unfixed > 0) {
            std::size_t kept = 0;
            ShareEntry best{infinity, none};
            for (std::size_t i = 0; i < share_count; ++i) {
                const DirectedLinkId d = shares[i].link;
                const LinkState& l = links_[d];
                if (l.unfrozen == 0) continue;  // done: drop it
                shares[kept++].link = d;
                const double share = fair_share(l.cap_left, l.unfrozen);
                if (share < best.share || (share == best.share && d < best.link)) {  // as `first`
                    best = ShareEntry{share, d};
                }
            }
            share_count = kept;
            if (best.link == none) break;
            fix_rates_at(best.link, best.share);
        }
    } else {
        // A link's share cap_left / unfrozen never decreases meanwhile (removing
        // s <= share from cap_left and one message from unfrozen leaves
        // (C - s) / (n - 1) >= C / n), so each link keeps a single heap entry
        // whose key is a lower bound: when popped with a stale key it is pushed
        // back with its current share instead of being processed.
        std::make_heap(shares, shares + share_count, ShareAfter{});
        while (share_count > 0) {
            std::pop_heap(shares, shares + share_count, ShareAfter{});
            const ShareEntry top = shares[--share_count];
            const LinkState& bottleneck = links_[top.link];
            if (bottleneck.unfrozen == 0) continue;
            const double share = fair_share(bottleneck.cap_left, bottleneck.unfrozen);
            if (share > top.share) {
                shares[share_count++] = ShareEntry{share, top.link};
                std::push_heap(shares, shares + share_count, ShareAfter{});
                continue;
            }
            fix_rates_at(top.link, share);
        }
    }

    // The allocation is max-min fair if every group's members still have their
    // bottleneck (they do: it is theirs alone), its links are not overfull, and
    // wherever a link of a group is full, the others on it get at least as much
    // as the members, so that it is their bottleneck and not one of the members.
    // Otherwise the group dissolves and its members are allocated with the rest.
    if (live_groups_ > 0) {
        dissolving_.clear();
        for (std::size_t i = 0; i < link_count; ++i) {
            const LinkState& l = links_[comp_links[i]];
            if (l.group == none) continue;
            const Group& group = groups_[l.group];
            const double tolerance = saturation_tolerance * l.capacity;
            bool valid = l.capacity - l.group_flows * group.rate >= -tolerance;
            if (valid && !l.flows.empty() && l.cap_left <= tolerance) {
                for (std::uint32_t f : l.flows) {
                    if (flows_[f].rate < group.rate * (1 - saturation_tolerance)) valid = false;
                }
            }
            if (!valid) dissolving_.push_back(l.group);
        }
        if (!dissolving_.empty()) {
            for (std::uint32_t g : dissolving_) {
                if (groups_[g].live) dissolve(g);  // seeds its bottleneck
            }
            seeds_.insert(seeds_.end(), comp_links, comp_links + link_count);
            reallocate();
            return;
        }
    }

    for (std::size_t i = 0; i < flow_count; ++i) {
        const std::uint32_t f = comp_flows[i];
        Flow& flow = flows_[f];
        // An unchanged finish keeps its place in the heap: no update needed.
        const Time finish = finish_time(now, flow.remaining, flow.rate);
        if (finish == flow.finish) continue;
        flow.finish = finish;
        heap_update(f);
    }
    if (live_groups_ > 0) {
        for (std::size_t i = 0; i < link_count; ++i) touch(comp_links[i]);
    }
    seeds_.clear();
    if (group_link != none) form_group(group_link, group_share);
}

std::uint32_t FlowNetwork::next_epoch() {
    ++epoch_;
    if (epoch_ == 0) {  // wrapped: clear the marks so none looks current
        for (auto& f : flows_) f.mark = 0;
        for (auto& l : links_) l.mark = 0;
        epoch_ = 1;
    }
    return epoch_;
}

inline void FlowNetwork::schedule_completion() {
    const Time next = completion_heap_.empty() ? Time::max() : completion_heap_.front().finish;
    if (next == Time::max()) {
        sim_.clear_timer(completion_timer_);
        return;
    }
    // Moving the timer is cheap, so it always matches the next completion; an
    // unchanged time keeps its place among events at that instant.
    if (sim_.timer_armed(completion_timer_) && completion_time_ == next) return;
    completion_time_ = next;
    sim_.set_timer(completion_timer_, next);
}

inline void FlowNetwork::finish(std::uint32_t f, bool ok) {
    count_finished(f, ok);
    to_notify_.emplace_back(f, ok);
}

inline void FlowNetwork::count_finished(std::uint32_t f, bool ok) {
    Flow& flow = flows_[f];
    flow.phase = Phase::done;  // its rate is left: nothing reads it before a send zeroes it
    --in_flight_;
    if (ok) {
        ++delivered_;
    } else {
        ++failed_;
    }
}

inline void FlowNetwork::release(std::uint32_t f) {
    Flow& flow = flows_[f];
    if (flow.bound_link != none) [[unlikely]] release_bound_link(flow);
    flow.phase = Phase::free;
    ++flow.generation;
    // Room for every slot (allocate_flow()): without the growth code, the callers keep fewer
    // values on the stack.
    if (free_.size() == free_.capacity()) __builtin_unreachable();
    free_.push_back(f);
}

void FlowNetwork::release_bound_link(Flow& flow) {
    free_bound_links_.push_back(flow.bound_link);  // the message has left it
    flow.bound_link = none;
}

// finish() and notify() of one message, when no other waits to be notified (every entry):
// its callback runs at once, without the list, as notify() would run it.
inline void FlowNetwork::finish_one(std::uint32_t f, bool ok) {
    if (notifying_ || !to_notify_.empty()) [[unlikely]] return finish_and_notify(f, ok);
    count_finished(f, ok);
    notify_alone(f, ok);
}

void FlowNetwork::finish_and_notify(std::uint32_t f, bool ok) {
    finish(f, ok);
    notify();
}

// Runs the callbacks of finished messages once the network state is
// consistent; callbacks may send or fail links (re-entrantly), which appends
// to the list that the outermost call keeps draining.
void FlowNetwork::notify() {
    if (notifying_) return;
    const NotifyingScope scope(this);
    run_listed_callbacks();
}

inline void FlowNetwork::run_listed_callbacks() {
    for (std::size_t i = 0; i < to_notify_.size(); ++i) {
        // Field by field: one 8-byte load of the pair, stored as 4 bytes and 1 a moment ago,
        // would wait for the stores to reach the cache (a third of this function's time).
        const std::uint32_t f = to_notify_[i].first;
        const bool ok = to_notify_[i].second;
        MessageCallback& callback = flows_[f].callback;
        const MessageCallback::Runner run = callback.take();
        release(f);
        if (run != nullptr) run(callback.storage, ok);
    }
}

[[gnu::cold]] void FlowNetwork::fail_link(LinkId link) {
    topology_.set_link_up(link, false);
    const DirectedLinkId forward = Topology::directed_link(link, Direction::a_to_b);
    const DirectedLinkId backward = Topology::directed_link(link, Direction::b_to_a);
    const std::size_t first = to_notify_.size();
    seeds_.clear();
    for (const DirectedLinkId d : {forward, backward}) {
        if (d < links_.size() && links_[d].group != none) dissolve(links_[d].group);
    }
    for (std::uint32_t f = 0; f < flows_.size(); ++f) {
        Flow& flow = flows_[f];
        if (flow.phase != Phase::latency && flow.phase != Phase::bandwidth) continue;
        const bool crosses = std::any_of(flow.hops.begin(), flow.hops.end(),
                                         [&](const Hop& hop) { return hop.link == forward || hop.link == backward; });
        if (!crosses) continue;
        if (flow.phase == Phase::latency) {
            if (flow_cold_[f].latency_event.valid()) {
                sim_.cancel(flow_cold_[f].latency_event);
                flow_cold_[f].latency_event = EventId{};
            } else {
                ++stale_pending_;  // still in its latency queue
            }
        } else {
            leave_links(f);
        }
        finish(f, false);
    }
    std::sort(to_notify_.begin() + static_cast<std::ptrdiff_t>(first), to_notify_.end(),
              [this](const auto& x, const auto& y) { return flows_[x.first].seq < flows_[y.first].seq; });
    reallocate();
    schedule_completion();
    notify();
}

void FlowNetwork::restore_link(LinkId link) { topology_.set_link_up(link, true); }

[[gnu::cold]] void FlowNetwork::set_link_capacity(LinkId link, double a_to_b, double b_to_a) {
    sync_links();
    const Time now = sim_.now();
    seeds_.clear();
    for (const Direction dir : {Direction::a_to_b, Direction::b_to_a}) {
        const DirectedLinkId d = Topology::directed_link(link, dir);
        if (links_[d].group != none) dissolve(links_[d].group);
    }
    for (const Direction dir : {Direction::a_to_b, Direction::b_to_a}) {
        const DirectedLinkId d = Topology::directed_link(link, dir);
        LinkState& l = links_[d];
        settle(l, now);
        const Time since = std::max(l.capacity_since, stats_start_);
        l.capacity_seconds += topology_.capacity(d) * seconds_between(since, now);
        l.capacity_since = now;
        topology_.set_capacity(d, dir == Direction::a_to_b ? a_to_b : b_to_a);
        l.capacity = topology_.capacity(d);
        if (!l.flows.empty()) seeds_.push_back(d);
    }
    reallocate();
    schedule_completion();
}

const FlowNetwork::Flow& FlowNetwork::checked(FlowId id) const {
    if (!in_flight(id)) {
        throw Error(fmt::format("network: message {}.{} is no longer in flight", id.index, id.generation));
    }
    return flows_[id.index];
}

bool FlowNetwork::in_flight(FlowId id) const {
    if (id.index >= flows_.size()) return false;
    const Flow& f = flows_[id.index];
    return f.generation == id.generation && (f.phase == Phase::latency || f.phase == Phase::bandwidth);
}

double FlowNetwork::rate(FlowId id) const {
    const Flow& f = checked(id);
    if (f.group != none) return groups_[f.group].rate;
    return f.phase == Phase::bandwidth ? f.rate : 0.0;
}

double FlowNetwork::remaining_bytes(FlowId id) const {
    const Flow& f = checked(id);
    if (f.phase != Phase::bandwidth) return f.remaining;
    if (f.group != none) {
        return std::max(0.0, flow_cold_[id.index].virtual_finish - served(groups_[f.group], sim_.now()));
    }
    return std::max(0.0, f.remaining - f.rate * seconds_between(f.last_update, sim_.now()));
}

double FlowNetwork::link_rate(DirectedLinkId d) const { return d < links_.size() ? total_rate(links_[d]) : 0.0; }

std::size_t FlowNetwork::link_flow_count(DirectedLinkId d) const {
    return d < links_.size() ? links_[d].flows.size() + links_[d].group_flows : 0;
}

[[gnu::cold]] LinkStats FlowNetwork::link_stats(DirectedLinkId d) const {
    if (d >= topology_.directed_link_count()) {
        throw Error(fmt::format("network: unknown directed link {} (the topology has {})", d,
                                topology_.directed_link_count()));
    }
    LinkStats s;
    if (d >= links_.size()) return s;
    const LinkState& l = links_[d];
    const Time now = sim_.now();
    s.bytes = l.bytes + (now > l.last ? l.rate_sum * seconds_between(l.last, now) : 0.0);
    if (l.group != none) s.bytes += l.group_flows * (served(groups_[l.group], now) - l.group_served);
    const double capacity = topology_.capacity(d);
    const Time since = std::max(l.capacity_since, stats_start_);
    const double offered = l.capacity_seconds + capacity * seconds_between(since, now);
    s.capacity_bytes = offered;
    if (offered > 0.0 && !std::isinf(offered)) s.utilization = std::min(1.0, s.bytes / offered);
    return s;
}

[[gnu::cold]] void FlowNetwork::reset_stats() {
    const Time now = sim_.now();
    sync_links();
    for (auto& l : links_) {
        settle(l, now);
        l.bytes = 0.0;
        l.last = now;
        l.capacity_seconds = 0.0;
        l.capacity_since = now;
    }
    stats_start_ = now;
}

// ---- processor-sharing groups ------------------------------------------------

double FlowNetwork::served(const Group& g, Time now) const { return g.served + g.rate * seconds_between(g.since, now); }

void FlowNetwork::advance(Group& g, Time now) {
    g.served = served(g, now);
    g.since = now;
}

void FlowNetwork::settle_group_bytes(LinkState& l, Time now) {
    const double v = served(groups_[l.group], now);
    l.bytes += l.group_flows * (v - l.group_served);
    l.group_served = v;
}

void FlowNetwork::push_headroom(std::uint32_t g, DirectedLinkId d) {
    Group& group = groups_[g];
    if (d == group.link) return;
    auto& heap = group.headroom;
    heap.push_back(ShareEntry{headroom(links_[d]), d});
    std::push_heap(heap.begin(), heap.end(), ShareAfter{});
    if (heap.size() > 64 + 4 * static_cast<std::size_t>(group.links)) {
        // Drop stale entries and duplicates: the heap stays within a few entries per link.
        std::erase_if(heap, [&](const ShareEntry& e) {
            const LinkState& l = links_[e.link];
            return l.group != g || headroom(l) != e.share;
        });
        std::sort(heap.begin(), heap.end(),
                  [](const ShareEntry& x, const ShareEntry& y) { return x.link < y.link; });
        heap.erase(std::unique(heap.begin(), heap.end(),
                               [](const ShareEntry& x, const ShareEntry& y) { return x.link == y.link; }),
                   heap.end());
        std::make_heap(heap.begin(), heap.end(), ShareAfter{});
    }
}

void FlowNetwork::seed_tight_links(std::uint32_t g, double limit) {
    auto& heap = groups_[g].headroom;
    tight_.clear();
    while (!heap.empty() && heap.front().share <= limit) {
        std::pop_heap(heap.begin(), heap.end(), ShareAfter{});
        const ShareEntry e = heap.back();
        heap.pop_back();
        const LinkState& l = links_[e.link];
        if (l.group != g || headroom(l) != e.share) continue;  // stale
        tight_.push_back(e);
        seeds_.push_back(e.link);
    }
    for (const ShareEntry& e : tight_) {
        heap.push_back(e);
        std::push_heap(heap.begin(), heap.end(), ShareAfter{});
    }
}

void FlowNetwork::requeue_group(std::uint32_t g, std::uint32_t old_first) {
    const Group& group = groups_[g];
    const std::uint32_t first = group.members.front().flow;
    Flow& flow = flows_[first];
    flow.finish = finish_time(sim_.now(), std::max(0.0, flow_cold_[first].virtual_finish - group.served), group.rate);
    if (first == old_first) {
        heap_update(first);
        return;
    }
    if (old_first != none) heap_remove(old_first);
    heap_push(first);
}

void FlowNetwork::join_group(std::uint32_t f, std::uint32_t g) {
    const Time now = sim_.now();
    Group& group = groups_[g];
    advance(group, now);
    const double old_rate = group.rate;
    const std::uint32_t old_first = group.members.front().flow;
    Flow& flow = flows_[f];
    for (const Hop& hop : flow.hops) {
        LinkState& l = links_[hop.link];
        settle(l, now);
        if (l.group == none) {
            l.group = g;
            l.group_flows = 0;
            l.group_served = group.served;
            ++group.links;
        }
        ++l.group_flows;
    }
    ++group.count;
    ++grouped_flows_;
    group.rate = links_[group.link].capacity / group.count;
    flow.group = g;
    flow.rate = group.rate;
    flow_cold_[f].virtual_finish = group.served + flow.remaining;
    flow.heap_pos = none;
    group.members.push_back(GroupMember{flow_cold_[f].virtual_finish, flow.seq, f});
    std::push_heap(group.members.begin(), group.members.end(), MemberAfter{});
    for (const Hop& hop : flow.hops) push_headroom(g, hop.link);
    // The members slow down: links they filled together with others are full no more.
    seed_tight_links(g, old_rate * (1 + saturation_tolerance));
    requeue_group(g, old_first);
}

void FlowNetwork::leave_group(std::uint32_t f) {
    const Time now = sim_.now();
    Flow& flow = flows_[f];
    const std::uint32_t g = flow.group;
    Group& group = groups_[g];
    advance(group, now);
    std::pop_heap(group.members.begin(), group.members.end(), MemberAfter{});
    group.members.pop_back();  // f: the first to finish
    heap_remove(f);
    const std::size_t seeded = seeds_.size();
    for (const Hop& hop : flow.hops) {
        LinkState& l = links_[hop.link];
        // Others that filled a link with it may take its share, as when a plain message leaves.
        if (!l.flows.empty() && l.capacity - total_rate(l) <= saturation_tolerance * l.capacity) {
            seeds_.push_back(hop.link);
        }
        settle(l, now);
        if (--l.group_flows == 0) {
            l.group = none;
            --group.links;
        } else {
            push_headroom(g, hop.link);
        }
    }
    flow.group = none;
    --grouped_flows_;
    if (--group.count == 0) {
        group.live = false;
        group.headroom.clear();
        --live_groups_;
        free_groups_.push_back(g);
        if (seeds_.size() == seeded) ++fast_updates_;
        return;
    }
    group.rate = links_[group.link].capacity / group.count;
    // The members speed up: links they would fill are seeds for reallocate().
    seed_tight_links(g, group.rate * (1 + saturation_tolerance));
    if (seeds_.size() == seeded) ++fast_updates_;
    requeue_group(g, none);
}

void FlowNetwork::dissolve(std::uint32_t g) {
    const Time now = sim_.now();
    Group& group = groups_[g];
    advance(group, now);
    ++groups_dissolved_;
    for (const GroupMember& m : group.members) {
        Flow& flow = flows_[m.flow];
        for (Hop& hop : flow.hops) {
            LinkState& l = links_[hop.link];
            if (l.group == g) {
                settle(l, now);
                l.rate_sum += l.group_flows * group.rate;
                l.group = none;
                l.group_flows = 0;
            }
            hop.slot = static_cast<std::uint32_t>(l.flows.size());
            l.flows.push_back(m.flow);
        }
        flow.group = none;
        flow.rate = group.rate;
        flow.remaining = std::max(0.0, flow_cold_[m.flow].virtual_finish - group.served);
        flow.last_update = now;
        flow.finish = finish_time(now, flow.remaining, flow.rate);
        if (flow.heap_pos == none) {
            heap_push(m.flow);
        } else {
            heap_update(m.flow);
        }
    }
    grouped_flows_ -= group.count;
    --live_groups_;
    seeds_.push_back(group.link);
    group.live = false;
    group.members.clear();
    group.headroom.clear();
    group.count = 0;
    group.links = 0;
    free_groups_.push_back(g);
}

void FlowNetwork::form_group(DirectedLinkId link, double share) {
    // A link belongs to one group at most.
    for (std::uint32_t f : links_[link].flows) {
        for (const Hop& hop : flows_[f].hops) {
            if (links_[hop.link].group != none) return;
        }
    }
    const Time now = sim_.now();
    std::uint32_t g = 0;
    if (!free_groups_.empty()) {
        g = free_groups_.back();
        free_groups_.pop_back();
    } else {
        g = static_cast<std::uint32_t>(groups_.size());
        groups_.emplace_back();
    }
    Group& group = groups_[g];
    group.link = link;
    group.rate = share;
    group.served = 0.0;
    group.since = now;
    group.live = true;
    group.count = 0;
    group.links = 0;
    group.members.clear();
    group.headroom.clear();
    ++groups_formed_;
    ++live_groups_;
    grouping_.assign(links_[link].flows.begin(), links_[link].flows.end());
    for (std::uint32_t f : grouping_) {
        Flow& flow = flows_[f];
        heap_remove(f);
        for (const Hop& hop : flow.hops) {
            LinkState& l = links_[hop.link];
            unlist(f, hop);
            if (l.group != g) {
                settle(l, now);
                l.group = g;
                l.group_flows = 0;
                l.group_served = 0.0;
                ++group.links;
            }
            ++l.group_flows;
        }
        flow.group = g;
        flow_cold_[f].virtual_finish = flow.remaining;  // reallocate() moved it to now
        group.members.push_back(GroupMember{flow_cold_[f].virtual_finish, flow.seq, f});
        ++group.count;
    }
    grouped_flows_ += group.count;
    std::make_heap(group.members.begin(), group.members.end(), MemberAfter{});
    // The rate sums now count the other messages only.
    const std::uint32_t mark = next_epoch();
    for (std::uint32_t f : grouping_) {
        for (const Hop& hop : flows_[f].hops) {
            LinkState& l = links_[hop.link];
            if (l.mark == mark) continue;
            l.mark = mark;
            l.rate_sum = 0.0;
            for (std::uint32_t o : l.flows) l.rate_sum += flows_[o].rate;
            push_headroom(g, hop.link);
        }
    }
    requeue_group(g, none);
}

// ---- completion heap --------------------------------------------------------

// The sifts take the moving entry as a value, not from the array: reading back an entry just
// stored piecewise stalls the load on store forwarding (a fifth of the shop's heap time).
inline void FlowNetwork::heap_push(std::uint32_t f) {
    const Flow& flow = flows_[f];
    const Completion c{flow.finish, flow.seq, f};
    completion_heap_.push_back(c);
    heap_sift_up(completion_heap_.size() - 1, c);
}

inline void FlowNetwork::heap_remove(std::uint32_t f) {
    const std::size_t i = flows_[f].heap_pos;
    flows_[f].heap_pos = none;
    const Completion last = completion_heap_.back();
    completion_heap_.pop_back();
    if (last.flow == f) return;
    heap_sift_down(heap_sift_up(i, last), last);
}

void FlowNetwork::heap_update(std::uint32_t f) {
    const Flow& flow = flows_[f];
    const Completion c{flow.finish, flow.seq, f};
    const std::size_t i = flow.heap_pos;
    // A later key can only move down, an earlier one only up: the other sift
    // would stop at once, so one of them gives the same heap as both.
    if (heap_less(completion_heap_[i], c)) {
        heap_sift_down(i, c);
    } else {
        heap_sift_up(i, c);
    }
}

std::size_t FlowNetwork::heap_sift_up(std::size_t i, const Completion c) {
    while (i > 0) {
        const std::size_t parent = (i - 1) / 2;
        if (!heap_less(c, completion_heap_[parent])) break;
        completion_heap_[i] = completion_heap_[parent];
        flows_[completion_heap_[i].flow].heap_pos = static_cast<std::uint32_t>(i);
        i = parent;
    }
    completion_heap_[i] = c;
    flows_[c.flow].heap_pos = static_cast<std::uint32_t>(i);
    return i;
}

void FlowNetwork::heap_sift_down(std::size_t i, const Completion c) {
    const std::size_t n = completion_heap_.size();
    while (true) {
        std::size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && heap_less(completion_heap_[child + 1], completion_heap_[child])) ++child;
        if (!heap_less(completion_heap_[child], c)) break;
        completion_heap_[i] = completion_heap_[child];
        flows_[completion_heap_[i].flow].heap_pos = static_cast<std::uint32_t>(i);
        i = child;
    }
    completion_heap_[i] = c;
    flows_[c.flow].heap_pos = static_cast<std::uint32_t>(i);
}

}  // namespace s2sim::models

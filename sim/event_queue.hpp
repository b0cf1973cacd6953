#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "sim/time.hpp"

namespace s2sim {

/// One pending event as the queue sees it: when (never negative: the simulation's
/// clock starts at zero and events are scheduled at or after it), and `order`,
/// which packs the insertion sequence (high bits: ties run in scheduling order)
/// above the slot of the simulation's event pool that holds its handler (low
/// `slot_bits` bits).
/// 16 bytes, so a 4-ary heap's children share one cache line: the sift loops are
/// the kernel's hottest code.
struct QueueEntry {
    static constexpr unsigned slot_bits = 26;  ///< up to 67 million pending events
    static constexpr std::uint64_t slot_mask = (std::uint64_t{1} << slot_bits) - 1;
    static constexpr std::uint64_t max_seq = (std::uint64_t{1} << (64 - slot_bits)) - 1;

    Time time;
    std::uint64_t order = 0;

    [[nodiscard]] static QueueEntry make(Time time, std::uint64_t seq, std::uint32_t slot) {
        return QueueEntry{time, (seq << slot_bits) | slot};
    }
    /// A key that runs after every entry (whose orders are smaller): the top of an empty
    /// heap, and the simulation's disarmed timers.
    [[nodiscard]] static constexpr QueueEntry after_all() { return QueueEntry{Time::max(), ~std::uint64_t{0}}; }
    [[nodiscard]] std::uint64_t seq() const { return order >> slot_bits; }
    [[nodiscard]] std::uint32_t slot() const { return static_cast<std::uint32_t>(order & slot_mask); }
};

/// 1 when `a` must run before `b` (earlier time, then earlier insertion), else 0,
/// computed without a branch: the (time, order) pair compared as one unsigned 128-bit
/// number (times are not negative, so they sort as unsigned values).
[[nodiscard]] inline std::size_t runs_before_flag(const QueueEntry& a, const QueueEntry& b) {
    __extension__ using Key = unsigned __int128;  // GCC and Clang
    const auto key = [](const QueueEntry& e) {
        return (static_cast<Key>(static_cast<std::uint64_t>(e.time.ns())) << 64U) | e.order;
    };
    return static_cast<std::size_t>(key(a) < key(b));
}

/// True when `a` must run before `b`: earlier time, then earlier insertion.
[[nodiscard]] inline bool runs_before(const QueueEntry& a, const QueueEntry& b) { return runs_before_flag(a, b) != 0; }

/// `a` or `b`, whichever runs first, selected without a branch (which one it is is a
/// coin toss): the smaller of the two 128-bit keys, which GCC selects by conditional moves.
[[nodiscard]] inline QueueEntry earlier(const QueueEntry& a, const QueueEntry& b) {
    __extension__ using Key = unsigned __int128;
    const Key ka = (static_cast<Key>(static_cast<std::uint64_t>(a.time.ns())) << 64U) | a.order;
    const Key kb = (static_cast<Key>(static_cast<std::uint64_t>(b.time.ns())) << 64U) | b.order;
    const Key k = kb < ka ? kb : ka;
    return QueueEntry{Time::from_ns(static_cast<std::int64_t>(static_cast<std::uint64_t>(k >> 64U))),
                      static_cast<std::uint64_t>(k)};
}

/// The pending-event set. Implementations differ in speed only, never in order:
/// (time, seq) keys are unique, so every implementation pops the same sequence.
class EventQueue {
public:
    virtual ~EventQueue() = default;
    virtual void push(const QueueEntry& entry) = 0;
    /// Removes and returns the earliest entry. Precondition: not empty.
    virtual QueueEntry pop() = 0;
    /// The earliest entry; QueueEntry::after_all() when empty.
    [[nodiscard]] virtual const QueueEntry& top() const = 0;
    [[nodiscard]] virtual bool empty() const = 0;
    [[nodiscard]] virtual std::size_t size() const = 0;
    virtual void reserve(std::size_t n) = 0;
};

/// An implicit d-ary min-heap on a vector: no allocation once the vector has
/// grown to the largest number of pending events.
template <unsigned Arity>
class DaryHeap final : public EventQueue {
    static_assert(Arity >= 2);

public:
    DaryHeap() { set_capacity(1); }
    DaryHeap(const DaryHeap&) = delete;
    DaryHeap& operator=(const DaryHeap&) = delete;

    void push(const QueueEntry& entry) override {
        if (size_ == capacity_) grow();
        QueueEntry* const h = h_;
        std::size_t i = size_++;
        while (i > 0) {
            const std::size_t parent = (i - 1) / Arity;
            if (!runs_before(entry, h[parent])) break;
            h[i] = h[parent];
            i = parent;
        }
        h[i] = entry;
    }

    QueueEntry pop() override {
        QueueEntry* const h = h_;
        const QueueEntry first = h[0];
        const std::size_t n = --size_;
        const QueueEntry last = h[n];
        h[n] = QueueEntry::after_all();  // a sentinel again (when n is 0, what top() shows while empty)
        if (n == 0) return first;
        // The sentinels past the end stand for missing children: every node compares all
        // Arity children, without testing which exist. Addresses rather than indices: no
        // scaling of an index into an address at every step.
        QueueEntry* hole = h;
        const std::uintptr_t end = address(h + n);
        // A node's first child: h + Arity * (node - h) + 1 entries, in bytes Arity * node - bias.
        const std::uintptr_t bias = (Arity - 1) * address(h) - sizeof(QueueEntry);
        for (std::uintptr_t child0 = address(h + 1); child0 < end;) {
            QueueEntry* const best = earliest_of_all_children(child0);
            if (!runs_before(*best, last)) break;
            *hole = *best;
            hole = best;
            child0 = Arity * address(best) - bias;
        }
        *hole = last;
        return first;
    }

    /// The earliest entry; QueueEntry::after_all() when empty, so that a caller comparing
    /// another key with the top needs no test of emptiness.
    [[nodiscard]] const QueueEntry& top() const override { return h_[0]; }
    [[nodiscard]] bool empty() const override { return size_ == 0; }
    [[nodiscard]] std::size_t size() const override { return size_; }
    void reserve(std::size_t n) override {
        if (n > capacity_) set_capacity(n);
    }

private:
    /// Out of line, so that the push keeps no reallocation code on its path.
    [[gnu::noinline]] void grow() { set_capacity(std::max<std::size_t>(64, 2 * capacity_)); }

    /// Moves the entries to new storage for `n` (more than size_, at least 1) entries and the
    /// sentinels after them, placed so that entry 1 starts a cache line: then the Arity
    /// children of every node (entries Arity*i+1 .. Arity*i+Arity) share one line for Arity 4,
    /// and a pair for Arity 2, instead of straddling two lines most of the time.
    void set_capacity(std::size_t n) {
        constexpr std::size_t line = 64;
        constexpr std::size_t spare = line / sizeof(QueueEntry);  // entries of padding at most
        std::vector<QueueEntry> storage(n + Arity + spare, QueueEntry::after_all());
        const auto address = reinterpret_cast<std::uintptr_t>(storage.data());
        // The offset (in entries) that puts entry 1 at a multiple of `line` (0 when the
        // allocator's alignment does not allow it: correct, only slower).
        std::size_t offset = 0;
        if (address % sizeof(QueueEntry) == 0) {
            offset = ((line - (address + sizeof(QueueEntry)) % line) % line) / sizeof(QueueEntry);
        }
        QueueEntry* const h = storage.data() + offset;
        if (h_ != nullptr) std::copy(h_, h_ + std::max<std::size_t>(size_, 1), h);
        storage_ = std::move(storage);  // a vector's move keeps its elements where they are
        h_ = h;
        capacity_ = n;
    }

    static std::uintptr_t address(const QueueEntry* p) { return reinterpret_cast<std::uintptr_t>(p); }
    static const QueueEntry& at(std::uintptr_t a) { return *reinterpret_cast<const QueueEntry*>(a); }
    /// The entry at `a` or the one at `b`, whichever runs first. Which one it is is a coin
    /// toss: selected by masking, not by branching, so that mispredictions do not dominate
    /// the pop.
    static std::uintptr_t earlier_of(std::uintptr_t a, std::uintptr_t b) {
        return a ^ ((a ^ b) & (std::uintptr_t{0} - runs_before_flag(at(b), at(a))));
    }
    /// The earliest of the Arity children from the address `child0` (a node's first): for 2
    /// and 4, a tree of compares (the children of a 4-ary heap share a cache line), not a
    /// loop; the earlier of a pair is the first's address plus the entry's size masked by
    /// their compare.
    static QueueEntry* earliest_of_all_children(std::uintptr_t child0) {
        constexpr std::uintptr_t size = sizeof(QueueEntry);
        const auto earlier_of_pair = [](std::uintptr_t first) {
            return first + ((std::uintptr_t{0} - runs_before_flag(at(first + size), at(first))) & size);
        };
        std::uintptr_t best = child0;
        if constexpr (Arity == 2) {
            best = earlier_of_pair(child0);
        } else if constexpr (Arity == 4) {
            best = earlier_of(earlier_of_pair(child0), earlier_of_pair(child0 + 2 * size));
        } else {
            for (std::uintptr_t other = child0 + size; other < child0 + Arity * size; other += size) {
                best = earlier_of(best, other);
            }
        }
        return reinterpret_cast<QueueEntry*>(best);
    }

    // The entries are h_[0, size_), h_ pointing into storage_; capacity_ entries from h_ are
    // usable (at least 1), and every one from h_[size_] to h_[capacity_ + Arity) holds
    // QueueEntry::after_all(): h_[0] while empty, and the children a node lacks, so that pop()
    // compares all Arity children of a node without testing which exist.
    std::vector<QueueEntry> storage_;
    QueueEntry* h_ = nullptr;
    std::size_t capacity_ = 0;
    std::size_t size_ = 0;
};

using BinaryHeap = DaryHeap<2>;
using QuaternaryHeap = DaryHeap<4>;

/// The pending-event set implementations a Simulation can use.
enum class QueueKind { binary_heap, quaternary_heap };

/// Makes the queue of the given kind.
[[nodiscard]] std::unique_ptr<EventQueue> make_event_queue(QueueKind kind);

/// The TOML / command-line name of a queue kind.
[[nodiscard]] std::string_view name(QueueKind kind);

}  // namespace s2sim

#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

/// A segment tree over a balancer's backends (internal to models/balancers).
namespace s2sim::models::balancing {

/// Keeps one load key per backend (0..n-1) and answers, in O(log n), the questions
/// least_connections and join_shortest_queue ask of a full scan: the lowest key,
/// how many backends have it, the first of them at or after a position, and the
/// k-th of them in index order. A backend left out (unhealthy) has key `absent`.
/// Each node holds the minimum of its range and how many leaves have it.
class MinIndex {
public:
    /// The key of a backend that may not be picked.
    static constexpr std::uint32_t absent = std::numeric_limits<std::uint32_t>::max();
    /// Returned by the searches when no backend has the key.
    static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

    /// `count` backends, all with key 0.
    explicit MinIndex(std::size_t count) {
        while (leaves_ < count) leaves_ *= 2;
        nodes_.assign(2 * leaves_, Node{absent, 0});
        for (std::size_t i = 0; i < count; ++i) nodes_[leaves_ + i] = Node{0, 1};
        for (std::size_t node = leaves_ - 1; node >= 1; --node) (void)pull(node);
    }

    /// Backend `i`'s key (`absent` when left out).
    [[nodiscard]] std::uint32_t key(std::size_t i) const { return nodes_[leaves_ + i].min; }

    /// Sets backend `i`'s key: `absent` leaves it out; loads at or above `absent` are
    /// clamped just below it (no model gets near 4e9 requests in flight).
    void set(std::size_t i, std::uint64_t key) {
        store(i, key >= absent ? absent - 1 : static_cast<std::uint32_t>(key));
    }
    /// Leaves backend `i` out of every search.
    void remove(std::size_t i) { store(i, absent); }

    /// The lowest key; `absent` when every backend is left out.
    [[nodiscard]] std::uint32_t min() const { return nodes_[1].min; }
    /// How many backends have the lowest key.
    [[nodiscard]] std::uint32_t ties() const { return nodes_[1].ties; }

    /// The first backend at or after `start` whose key is min(), or `none`.
    [[nodiscard]] std::size_t first_min_from(std::size_t start) const {
        const std::uint32_t m = nodes_[1].min;
        if (m == absent || start >= leaves_) return none;
        std::size_t node = leaves_ + start;
        for (;;) {
            if (nodes_[node].min == m) return descend_to_first(node, m);
            // Climb while `node` is a right child, then step to the range just after it.
            while ((node & 1U) != 0) node /= 2;
            if (node == 0) return none;
            ++node;
        }
    }

    /// The `k`-th (from 0, in index order) backend whose key is min(); k < ties().
    [[nodiscard]] std::size_t nth_min(std::uint32_t k) const {
        const std::uint32_t m = nodes_[1].min;
        std::size_t node = 1;
        while (node < leaves_) {
            const std::size_t left = 2 * node;
            if (nodes_[left].min == m) {
                if (k < nodes_[left].ties) {
                    node = left;
                    continue;
                }
                k -= nodes_[left].ties;
            }
            node = left + 1;
        }
        return node - leaves_;
    }

private:
    struct Node {
        std::uint32_t min;   // lowest key of the node's range
        std::uint32_t ties;  // leaves of the range with that key
    };

    void store(std::size_t i, std::uint32_t key) {
        std::size_t node = leaves_ + i;
        nodes_[node].min = key;
        // Loads move by one, so most changes stop a level or two up, where the
        // node's minimum and tie count come out as they were.
        for (node /= 2; node >= 1 && pull(node); node /= 2) {
        }
    }
    // Recomputes `node` from its children; false when it did not change.
    bool pull(std::size_t node) {
        const Node& a = nodes_[2 * node];
        const Node& b = nodes_[2 * node + 1];
        const Node next = a.min < b.min ? a : b.min < a.min ? b : Node{a.min, a.ties + b.ties};
        Node& here = nodes_[node];
        if (here.min == next.min && here.ties == next.ties) return false;
        here = next;
        return true;
    }
    [[nodiscard]] std::size_t descend_to_first(std::size_t node, std::uint32_t m) const {
        while (node < leaves_) {
            node *= 2;
            if (nodes_[node].min != m) ++node;
        }
        return node - leaves_;
    }

    std::size_t leaves_ = 1;   // a power of two >= the backend count
    std::vector<Node> nodes_;  // node 1 is the root; node k's children are 2k and 2k + 1
};

}  // namespace s2sim::models::balancing

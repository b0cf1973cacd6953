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
        min_.assign(2 * leaves_, absent);
        ties_.assign(2 * leaves_, 0);
        for (std::size_t i = 0; i < count; ++i) {
            min_[leaves_ + i] = 0;
            ties_[leaves_ + i] = 1;
        }
        for (std::size_t node = leaves_ - 1; node >= 1; --node) pull(node);
    }

    /// Backend `i`'s key (`absent` when left out).
    [[nodiscard]] std::uint32_t key(std::size_t i) const { return min_[leaves_ + i]; }

    /// Sets backend `i`'s key: `absent` leaves it out; loads at or above `absent` are
    /// clamped just below it (no model gets near 4e9 requests in flight).
    void set(std::size_t i, std::uint64_t key) {
        std::size_t node = leaves_ + i;
        min_[node] = key >= absent ? absent - 1 : static_cast<std::uint32_t>(key);
        for (node /= 2; node >= 1; node /= 2) pull(node);
    }
    /// Leaves backend `i` out of every search.
    void remove(std::size_t i) {
        std::size_t node = leaves_ + i;
        min_[node] = absent;
        for (node /= 2; node >= 1; node /= 2) pull(node);
    }

    /// The lowest key; `absent` when every backend is left out.
    [[nodiscard]] std::uint32_t min() const { return min_[1]; }
    /// How many backends have the lowest key.
    [[nodiscard]] std::uint32_t ties() const { return ties_[1]; }

    /// The first backend at or after `start` whose key is min(), or `none`.
    [[nodiscard]] std::size_t first_min_from(std::size_t start) const {
        const std::uint32_t m = min_[1];
        if (m == absent || start >= leaves_) return none;
        std::size_t node = leaves_ + start;
        for (;;) {
            if (min_[node] == m) return descend_to_first(node, m);
            // Climb while `node` is a right child, then step to the range just after it.
            while ((node & 1U) != 0) node /= 2;
            if (node == 0) return none;
            ++node;
        }
    }

    /// The `k`-th (from 0, in index order) backend whose key is min(); k < ties().
    [[nodiscard]] std::size_t nth_min(std::uint32_t k) const {
        const std::uint32_t m = min_[1];
        std::size_t node = 1;
        while (node < leaves_) {
            const std::size_t left = 2 * node;
            if (min_[left] == m) {
                if (k < ties_[left]) {
                    node = left;
                    continue;
                }
                k -= ties_[left];
            }
            node = left + 1;
        }
        return node - leaves_;
    }

private:
    void pull(std::size_t node) {
        const std::size_t l = 2 * node;
        const std::uint32_t a = min_[l];
        const std::uint32_t b = min_[l + 1];
        if (a < b) {
            min_[node] = a;
            ties_[node] = ties_[l];
        } else if (b < a) {
            min_[node] = b;
            ties_[node] = ties_[l + 1];
        } else {
            min_[node] = a;
            ties_[node] = ties_[l] + ties_[l + 1];
        }
    }
    [[nodiscard]] std::size_t descend_to_first(std::size_t node, std::uint32_t m) const {
        while (node < leaves_) {
            node *= 2;
            if (min_[node] != m) ++node;
        }
        return node - leaves_;
    }

    std::size_t leaves_ = 1;           // a power of two >= the backend count
    std::vector<std::uint32_t> min_;   // node -> lowest key of its range (1 = root)
    std::vector<std::uint32_t> ties_;  // node -> leaves of its range with that key
};

}  // namespace s2sim::models::balancing

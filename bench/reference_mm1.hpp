#pragma once
// The reference every speed figure is read against: an M/M/1 queue (lambda = 0.9,
// mu = 1) as a hand-written std::priority_queue loop, with no kernel at all. Machines
// differ and a shared machine's speed drifts, so benchmarks print their rate next to
// this loop's rate measured at the same moment.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "sim/random.hpp"

namespace s2sim::bench {

/// Events per second of the hand-written loop over `customers` customers (2 events each).
inline double reference_events_per_s(std::uint64_t customers) {
    struct Ev {
        double t;
        std::uint64_t seq;
        bool arrival;
        bool operator>(const Ev& o) const { return t > o.t || (t == o.t && seq > o.seq); }
    };
    std::priority_queue<Ev, std::vector<Ev>, std::greater<>> q;
    RandomStream arrivals{1, "arrivals"}, service{1, "service"};
    std::uint64_t seq = 0, left = customers, in_system = 0, events = 0;
    const auto start = std::chrono::steady_clock::now();
    q.push({0.0, seq++, true});
    while (!q.empty()) {
        const Ev e = q.top();
        q.pop();
        ++events;
        if (e.arrival) {
            if (++in_system == 1) q.push({e.t - std::log(service.uniform01()), seq++, false});
            if (--left > 0) q.push({e.t - std::log(arrivals.uniform01()) / 0.9, seq++, true});
        } else if (--in_system > 0) {
            q.push({e.t - std::log(service.uniform01()), seq++, false});
        }
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return static_cast<double>(events) / wall;
}

}  // namespace s2sim::bench

// Kernel benchmark: an M/M/1 queue (lambda = 0.9, mu = 1) over 2,000,000 customers,
// written straight on s2sim::Simulation, once per event-queue implementation, and
// the same model as a hand-written std::priority_queue loop for reference
// (bench/reference_mm1.hpp).
// Usage: bench_kernel [customers]. Prints events per second.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <queue>
#include <vector>

#include "bench/reference_mm1.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"

namespace {
using s2sim::Simulation;
using s2sim::Time;

struct MM1 {
    Simulation sim;
    s2sim::RandomStream arrivals{1, "arrivals"};
    s2sim::RandomStream service{1, "service"};
    std::uint64_t customers_left;
    std::uint64_t in_system = 0;
    double response_sum = 0;
    std::vector<Time> waiting;  // arrival times, a ring buffer
    std::size_t head = 0;

    MM1(s2sim::QueueKind kind, std::uint64_t customers) : sim(kind), customers_left(customers) {
        waiting.resize(1 << 20);
    }
    static Time exp_sample(s2sim::RandomStream& rng, double rate) {
        return Time::from_seconds(-std::log(rng.uniform01()) / rate);
    }
    void arrive() {
        waiting[(head + in_system) & (waiting.size() - 1)] = sim.now();
        if (++in_system == 1) sim.schedule_in(exp_sample(service, 1.0), [this] { depart(); });
        if (--customers_left > 0) sim.schedule_in(exp_sample(arrivals, 0.9), [this] { arrive(); });
    }
    void depart() {
        response_sum += (sim.now() - waiting[head]).seconds();
        head = (head + 1) & (waiting.size() - 1);
        if (--in_system > 0) sim.schedule_in(exp_sample(service, 1.0), [this] { depart(); });
    }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run_kernel(s2sim::QueueKind kind, std::uint64_t customers, double reference) {
    MM1 model(kind, customers);
    const auto start = std::chrono::steady_clock::now();
    model.sim.schedule_in(Time::zero(), [&model] { model.arrive(); });
    model.sim.run();
    const double wall = seconds_since(start);
    const auto events = model.sim.events_processed();
    const double rate = static_cast<double>(events) / wall;
    std::printf("kernel %-16s %10llu events in %.3f s: %6.2f M events/s, %.2f of the hand-written loop "
                "(mean response %.3f, theory 10)\n",
                std::string(s2sim::name(kind)).c_str(), static_cast<unsigned long long>(events), wall, rate / 1e6,
                rate / reference, model.response_sum / static_cast<double>(customers));
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t customers = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
    const double reference = s2sim::bench::reference_events_per_s(customers);
    std::printf("hand-written std::priority_queue loop: %6.2f M events/s\n", reference / 1e6);
    run_kernel(s2sim::QueueKind::binary_heap, customers, reference);
    run_kernel(s2sim::QueueKind::quaternary_heap, customers, reference);
    return 0;
}

// The kernel's guard against zero-time loops: events that keep scheduling each other at
// the same instant end in an error, not a hang; many events at one instant that the
// pending events explain, or a clock that moves, never trip it.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "sim/error.hpp"
#include "sim/simulation.hpp"

namespace {
using s2sim::QueueKind;
using s2sim::Simulation;
using s2sim::Time;

/// An event that schedules itself again after `delay`, for ever.
struct Loop {
    Simulation& sim;
    Time delay;
    void operator()() const { sim.schedule_in(delay, Loop{sim, delay}); }
};
}  // namespace

TEST_CASE("simulation: a zero-time loop stops with an error after a bounded number of events", "[sim][errors]") {
    for (const QueueKind kind : {QueueKind::binary_heap, QueueKind::quaternary_heap}) {
        Simulation sim(kind);
        CHECK(sim.events_per_instant_limit() == Simulation::default_events_per_instant_limit);
        sim.set_events_per_instant_limit(1000);
        sim.schedule_at(Time::from_ns(5'000), Loop{sim, Time::from_ns(0)});
        try {
            sim.run_until(Time::from_seconds(1));
            FAIL("expected an error");
        } catch (const s2sim::Error& e) {
            CHECK_THAT(e.what(), Catch::Matchers::Contains("events ran at simulated time 5e-06 s without the clock "
                                                           "moving (1 pending)"));
        }
        // Bounded: the limit and not a single event more.
        // The limit, plus 16 for the one pending event, plus the first event (which moved the clock).
        CHECK(sim.events_processed() == 1000 + 16 + 1);
        CHECK(sim.now() == Time::from_ns(5'000));
    }
}

TEST_CASE("simulation: a timer that keeps firing at one instant is a zero-time loop too", "[sim][errors]") {
    Simulation sim;
    sim.set_events_per_instant_limit(1000);
    Simulation::TimerId id = 0;
    id = sim.add_timer([&sim, &id] { sim.set_timer(id, sim.now()); });
    sim.set_timer(id, Time::from_ns(1));
    CHECK_THROWS_AS(sim.run(), s2sim::Error);
    CHECK(sim.events_processed() == 1000 + 16 + 1);
}

TEST_CASE("simulation: a loop whose clock moves, however little, is not a zero-time loop", "[sim]") {
    Simulation sim;
    sim.set_events_per_instant_limit(1000);
    sim.schedule_at(Time::from_ns(0), Loop{sim, Time::from_ns(1)});
    // 5,000 events, each 1 ns after the last: more than the limit, none at one instant twice.
    sim.run_until(Time::from_ns(5'000));
    CHECK(sim.events_processed() == 5'001);
}

TEST_CASE("simulation: many events at one instant pass when the pending events explain them", "[sim]") {
    // 2,000 users answered at the same instant, each running a chain of 12 events: 24,000
    // events at one instant, far more than the limit, but within 16 per pending event.
    Simulation sim;
    sim.set_events_per_instant_limit(1000);
    constexpr int users = 2'000;
    std::uint64_t ran = 0;
    struct Chain {
        Simulation& sim;
        std::uint64_t& ran;
        int left;
        void operator()() const {
            ++ran;
            if (left > 1) sim.schedule_in(Time::from_ns(0), Chain{sim, ran, left - 1});
        }
    };
    for (int u = 0; u < users; ++u) sim.schedule_at(Time::from_ns(7), Chain{sim, ran, 12});
    sim.run();
    CHECK(ran == 12ULL * users);
}

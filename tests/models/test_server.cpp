#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "models/server.hpp"
#include "sim/simulation.hpp"

using s2sim::Simulation;
using s2sim::Time;
using s2sim::models::Discipline;
using s2sim::models::JobListener;
using s2sim::models::Server;
using s2sim::models::ServerConfig;

namespace {
struct Told final : JobListener {
    Simulation* sim = nullptr;
    std::vector<std::uint64_t> finished;
    std::vector<Time> at;
    std::vector<std::uint64_t> dropped;
    void job_finished(Server&, std::uint64_t token) override {
        finished.push_back(token);
        at.push_back(sim->now());
    }
    void job_dropped(Server&, std::uint64_t token) override { dropped.push_back(token); }
};
}  // namespace

TEST_CASE("server: an FCFS job ends at Time::from_seconds of its work, whatever the work", "[models][server]") {
    // submit() rounds a service time with one test of its bits for [0, 2^62) ns and leaves the
    // rest to Time::from_seconds(): both sides of that test, and its edges, give the same time.
    const double values[] = {0.0, -0.0, 1e-10, 4e-10, 5e-10, 1.5e-9, 2.5e-9, 0.1, 1.0 / 3.0, 7.25,
                             4.611686018427387e9, 4.6116860184273879e9, -1e-10, -6e-10, -2.0, 1e12,
                             std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()};
    for (const double work : values) {
        INFO("work " << work);
        Simulation sim;
        Told told;
        told.sim = &sim;
        Server server(sim, ServerConfig{"s", 1, 1.0, Discipline::fcfs, std::nullopt}, told);
        sim.schedule_at(Time::from_ns(1000), [&] { REQUIRE(server.submit(work, 7)); });
        sim.run_until(Time::from_seconds(1e9));
        const Time expected = Time::from_ns(1000) + std::max(Time::zero(), Time::from_seconds(work));
        if (expected > Time::from_seconds(1e9)) {
            CHECK(told.finished.empty());
        } else {
            REQUIRE(told.finished == std::vector<std::uint64_t>{7});
            CHECK(told.at[0] == expected);
        }
    }
}

TEST_CASE("server: an idle core's last token is not a job (cancel, set_speed, fail)", "[models][server]") {
    // A core keeps the fields of its last job after it ends; the idle stack alone says it is
    // idle. Each step below would act on core 0's finished job 1 if it went by those fields.
    Simulation sim;
    Told told;
    told.sim = &sim;
    Server server(sim, ServerConfig{"s", 2, 1.0, Discipline::fcfs, std::nullopt}, told);
    REQUIRE(server.submit(1.0, 1));  // core 0, ends at 1 s
    REQUIRE(server.submit(3.0, 2));  // core 1, ends at 3 s at speed 1
    sim.schedule_at(Time::from_seconds(1.5), [&] {
        REQUIRE(told.finished == std::vector<std::uint64_t>{1});
        CHECK_FALSE(server.cancel(1));  // ended: nothing to withdraw, no core freed twice
        CHECK(server.jobs() == 1);
        server.set_speed(2.0);  // job 2: 1.5 core-seconds left, 0.75 s at speed 2
        REQUIRE(server.submit(2.0, 3));  // the idle core 0: 1 s at speed 2
        CHECK(server.jobs() == 2);
    });
    sim.schedule_at(Time::from_seconds(2.0), [&] {
        CHECK(told.finished == std::vector<std::uint64_t>{1});
        server.fail();
        CHECK(told.dropped == std::vector<std::uint64_t>{3, 2});  // core 0, then core 1
        CHECK(server.jobs() == 0);
        server.recover();
        REQUIRE(server.submit(1.0, 4));
        REQUIRE(server.submit(1.0, 5));
        CHECK_FALSE(server.cancel(3));  // dropped with its core
        CHECK(server.jobs() == 2);
    });
    sim.run_until(Time::from_seconds(10));
    CHECK(told.finished == std::vector<std::uint64_t>{1, 4, 5});
    CHECK(told.at[1] == Time::from_seconds(2.5));
    CHECK(told.at[2] == Time::from_seconds(2.5));

    // set_speed() before the fail rescheduled job 2 alone: a second finish for job 1 (an idle
    // core taken for busy) would have been heard above. Now the same with a cancel in service.
    sim.schedule_at(Time::from_seconds(11), [&] {
        REQUIRE(server.submit(1.0, 6));
        REQUIRE(server.submit(1.0, 7));
        REQUIRE(server.submit(1.0, 8));  // waits
        CHECK(server.cancel(7));         // in service: job 8 takes its core
        CHECK(server.jobs() == 2);
    });
    sim.run_until(Time::from_seconds(20));
    CHECK(told.finished == std::vector<std::uint64_t>{1, 4, 5, 6, 8});
    CHECK(told.at[4] == Time::from_seconds(11.5));  // speed 2: 0.5 s
}

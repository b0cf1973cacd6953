// The metastability report (models/metastability.hpp) on the reference case: an M/M/1 backend
// (work exp(1 ms): 1,000/s of capacity), callers that time out after 100 ms and retry once
// (the timed-out work is still done), and a 2 s spike to 1,500/s at 60 s.
#include <cmath>

#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "tests/models/fixtures.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

constexpr double ms = 1e-3;

RunResults spike(double base_rate) {
    CallModel c;
    c.timeout_s = 100 * ms;
    c.retries = 1;
    ScheduleArrivals schedule{{0, 60, 62}, {base_rate, 1500, base_rate}, false, false};
    SystemModel m = testing::a_calls_b(c, make_exponential(1 * ms), schedule, 300, 1, 1);
    m.seed = 5;
    m.window_s = 10;
    m.metastability = MetastabilityModel{};
    return testing::run(std::move(m));
}

const RecordedRow& row(const RunResults& r, const std::string& table, const std::string& name) {
    for (const RecordedTable& t : r.tables) {
        if (t.name != table) continue;
        for (const RecordedRow& row : t.rows) {
            if (row.name == name) return row;
        }
    }
    FAIL("no row " << table << "/" << name);
    throw;
}

}  // namespace

TEST_CASE("metastability: at 600/s retries keep the backend saturated after the spike: flagged",
          "[models][metastability]") {
    const RunResults r = spike(600);
    REQUIRE(r.stopped_early.empty());
    REQUIRE(r.log.size() == 1);
    const RecordedEntry& e = r.log[0];
    CHECK(e.table == "metastability");
    CHECK(e.row == "b");
    CHECK(e.what == "metastable");
    CHECK(e.at_s == Approx(92));  // judged from 30 s after the spike ended
    CHECK(e.text == "metastable: service b has stayed overloaded 238 s after the spike ended; retries amplify load 2.0x");
    // The windows after the spike: 600 first attempts/s, 1,200 attempts/s, no goodput.
    const RecordedRow& b = row(r, "metastability", "b");
    const std::vector<double>& first = b.series[0];
    const std::vector<double>& attempts = b.series[1];
    const std::vector<double>& goodput = b.series[2];
    const std::vector<double>& capacity = b.series[4];
    REQUIRE(first.size() == 30);
    for (std::size_t w = 10; w < 30; ++w) {
        CHECK(first[w] / 10 == Approx(600).epsilon(0.1));
        CHECK(attempts[w] / first[w] == Approx(2.0).epsilon(0.02));
        CHECK(goodput[w] == 0);
        CHECK(capacity[w] == Approx(1000));
    }
    // Before the spike the backend kept up: every first attempt answered, no retry.
    CHECK(goodput[3] >= first[3] - 2);  // but those in flight at the window's end
    CHECK(attempts[3] == first[3]);
    // The front service does no work: no capacity, never flagged.
    CHECK(std::isnan(row(r, "metastability", "a").series[4][3]));
}

TEST_CASE("metastability: at 450/s the backlog drains and goodput returns: not flagged", "[models][metastability]") {
    const RunResults r = spike(450);
    CHECK(r.log.empty());
    const RecordedRow& b = row(r, "metastability", "b");
    // The spike and the drain: goodput falls, then returns within a minute of the spike's end.
    CHECK(b.series[2][6] < 0.5 * b.series[0][6]);
    for (std::size_t w = 13; w < 30; ++w) CHECK(b.series[2][w] == Approx(b.series[0][w]).epsilon(0.01));
}

// The recorder (models/recorder.hpp): totals, per-window series, the warm-up forgotten.
#include <cmath>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "models/recorder.hpp"
#include "sim/error.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

Time at(double seconds) { return Time::from_seconds(seconds); }

std::vector<FigureSpec> figures() {
    return {{"opened", "connections", FigureKind::counter, "connections opened"},
            {"handshake_s", "s", FigureKind::latency, "handshake time"},
            {"open", "connections", FigureKind::level, "connections open"},
            {"ratio", "fraction", FigureKind::value, "a ratio"}};
}

}  // namespace

TEST_CASE("recorder: totals forget the warm-up and windows split them", "[models][recorder]") {
    Recorder rec;
    const auto t = rec.add_table("connections", "service", figures(), true);
    const auto db = rec.add_row(t, "db");
    const auto opened = rec.counter(t, db, 0);
    const auto handshake = rec.latency(t, db, 1);
    const auto open = rec.level(t, db, 2);
    const auto ratio = rec.value(t, db, 3);

    opened.add(5);  // warm-up: forgotten
    handshake.record(1.0);
    open.set(at(0), 4);
    rec.start_measuring(at(1));
    // Window [1, 3): 2 opened, handshakes 10 ms and 30 ms, 4 open until 2 s then 2.
    opened.add(2);
    handshake.record(0.010);
    handshake.record(0.030);
    open.set(at(2), 2);
    ratio.set(0.25);
    rec.close_window(at(1), at(3));
    // Window [3, 4): 1 opened, no handshake, 2 open.
    opened.add();
    ratio.set(0.5);
    rec.close_window(at(3), at(4));
    const auto late = rec.add_row(t, "cache");  // a row added after two windows
    rec.counter(t, late, 0).add(7);
    rec.close_window(at(4), at(5));

    const std::vector<RecordedTable> tables = rec.collect(at(5), true);
    REQUIRE(tables.size() == 1);
    const RecordedTable& table = tables[0];
    REQUIRE(table.rows.size() == 2);
    const RecordedRow& row = table.rows[0];
    CHECK(row.figures[0].count == 3);
    CHECK(row.figures[1].latency.count() == 2);
    CHECK(row.figures[1].latency.mean() == Approx(0.020));
    // 4 for 1 s then 2 for 3 s, over the 4 s measured.
    CHECK(row.figures[2].value == Approx((4.0 * 1 + 2.0 * 3) / 4));
    CHECK(row.figures[2].max == 4);
    CHECK(row.figures[3].value == 0.5);
    // Series: opened, handshake_p50_s, handshake_p99_s, open, ratio.
    REQUIRE(table.series.size() == 5);
    CHECK(table.series[1].name == "handshake_p50_s");
    CHECK(table.series[2].name == "handshake_p99_s");
    CHECK(row.series[0] == std::vector<double>{2, 1, 0});
    CHECK(row.series[2][0] == Approx(0.030).epsilon(1e-3));
    CHECK(std::isnan(row.series[2][1]));
    CHECK(row.series[3][0] == Approx(3.0));  // (4 x 1 s + 2 x 1 s) / 2 s
    CHECK(row.series[3][1] == Approx(2.0));
    CHECK(row.series[4] == std::vector<double>{0.25, 0.5, 0.5});
    const RecordedRow& cache = table.rows[1];
    CHECK(std::isnan(cache.series[0][0]));
    CHECK(std::isnan(cache.series[0][1]));
    CHECK(cache.series[0][2] == 7);
    CHECK(cache.figures[0].count == 7);
}

TEST_CASE("recorder: declarations are checked", "[models][recorder]") {
    Recorder rec;
    const auto t = rec.add_table("pools", "service", figures());
    rec.add_row(t, "db");
    CHECK_THROWS_AS(rec.add_row(t, "db"), Error);
    CHECK_THROWS_AS(rec.add_table("pools", "service", {}), Error);
    CHECK_THROWS_AS(rec.add_table("requests", "x", {}), Error);
    CHECK_THROWS_AS(rec.add_table("recorded", "x", {}), Error);
    CHECK_THROWS_AS(rec.add_table("ok", "x", {{"ci95", "s", FigureKind::value, ""}}), Error);
    CHECK_THROWS_AS(rec.add_table("dup", "x", {{"a", "s", FigureKind::value, ""}, {"a", "s", FigureKind::value, ""}}),
                    Error);
    CHECK_THROWS_AS(rec.counter(t, 0, 1), Error);  // a latency, not a counter
    CHECK_THROWS_AS(rec.counter(t, 1, 0), Error);  // no such row
    CHECK(rec.find_table("pools") == t);
    CHECK(rec.find_table("nope") == Recorder::none);
    rec.log(at(2.5), "pools", "db", "scale_out", "db: 2 -> 3 servers", {{"from", 2}, {"to", 3}});
    const auto log = rec.take_log();
    REQUIRE(log.size() == 1);
    CHECK(log[0].at_s == 2.5);
    CHECK(log[0].values[1].second == 3);
}

TEST_CASE("recorder: handles stay valid when more tables are declared", "[models][recorder]") {
    Recorder rec;
    const auto first = rec.add_table("first", "service", figures(), true);
    const auto counter = rec.counter(first, rec.add_row(first, "db"), 0);
    // Enough tables to make a vector of tables reallocate several times.
    for (int i = 0; i < 40; ++i) {
        const auto t = rec.add_table(fmt::format("t{}", i), "service", figures(), true);
        rec.counter(t, rec.add_row(t, "db"), 0).add(1);
    }
    rec.start_measuring(at(0));
    counter.add(3);
    const std::vector<RecordedTable> tables = rec.collect(at(1), true);
    CHECK(tables[0].rows[0].figures[0].count == 3);
}

// The Recorder's tables through every reporter: pooling over replications, the JSON, the
// CSV files, the terminal, compare and sweep (scenario/recorded_tables.cpp).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "models/recorder.hpp"
#include "models/system.hpp"
#include "scenario/builder.hpp"
#include "scenario/experiment.hpp"
#include "scenario/loader.hpp"
#include "scenario/report.hpp"
#include "sim/error.hpp"
#include "tests/scenario/test_files.hpp"
#include "sim/stats/log_histogram.hpp"

namespace {

using namespace s2sim;
namespace sc = s2sim::scenario;

std::string read(const std::filesystem::path& p) { return testing::read_text(p); }
std::string temp_folder(const std::string& name) { return testing::fresh_temp_folder("recorded-" + name); }

/// What one hand-made replication records in table "connections" (row "db", and "cache"
/// when `cache` > 0), over 2 measured seconds in one 2 s window.
struct Replication {
    std::uint64_t opened;
    std::vector<double> handshakes_s;
    double open_before, open_after;  ///< the level for [0, 1 s) and [1 s, 2 s)
    double ratio;                    ///< NaN: never set meaningfully
    std::uint64_t cache = 0;
};

models::RunResults run_of(const Replication& x, std::uint64_t seed) {
    models::Recorder rec;
    const auto t = rec.add_table("connections", "service",
                                 {{"opened", "connections", models::FigureKind::counter, ""},
                                  {"handshake_s", "s", models::FigureKind::latency, ""},
                                  {"open", "connections", models::FigureKind::level, ""},
                                  {"ratio", "fraction", models::FigureKind::value, ""}},
                                 true);
    const auto db = rec.add_row(t, "db");
    rec.start_measuring(Time::zero());
    rec.counter(t, db, 0).add(x.opened);
    for (const double h : x.handshakes_s) rec.latency(t, db, 1).record(h);
    rec.level(t, db, 2).set(Time::zero(), x.open_before);
    rec.level(t, db, 2).set(Time::from_seconds(1), x.open_after);
    rec.value(t, db, 3).set(x.ratio);
    if (x.cache > 0) rec.counter(t, rec.add_row(t, "cache"), 0).add(x.cache);
    rec.close_window(Time::zero(), Time::from_seconds(2));
    rec.log(Time::from_seconds(0.5), "connections", "db", "note", "db: opened " + std::to_string(x.opened));
    models::RunResults r;
    r.scenario = "hand-made";
    r.seed = seed;
    r.simulated_s = 2;
    r.timeseries.window_s = 2;
    r.timeseries.start_s = {0};
    r.timeseries.length_s = {2};
    r.tables = rec.collect(Time::from_seconds(2), true);
    r.log = rec.take_log();
    return r;
}

/// Three replications: opened 3, 5, 10; handshakes {10, 20} ms, {30} ms, none; open
/// 4 then 0 (mean 2, max 4), 2 (mean 2), 5 (mean 5); ratio 0.25, 0.5, NaN; "cache" only in the second.
std::vector<models::RunResults> three_runs() {
    const double nan = std::nan("");
    return {run_of({3, {0.010, 0.020}, 4, 0, 0.25}, 1), run_of({5, {0.030}, 2, 2, 0.5, 7}, 2),
            run_of({10, {}, 5, 5, nan}, 3)};
}

/// The 95% Student-t half-width of values, computed here from its definition.
double half_width(const std::vector<double>& v, double t_quantile) {
    double mean = 0;
    for (const double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    double ss = 0;
    for (const double x : v) ss += (x - mean) * (x - mean);
    return t_quantile * std::sqrt(ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
}
constexpr double t2 = 4.302652729749464;   // t(0.975, 2 degrees of freedom)
constexpr double t1 = 12.706204736174698;  // t(0.975, 1)

}  // namespace

TEST_CASE("recorded tables: replications pool by kind", "[scenario][recorder]") {
    const sc::ExperimentResults e = sc::pool(three_runs());
    REQUIRE(e.tables.size() == 1);
    const sc::PooledTable& t = e.tables[0];
    CHECK(t.name == "connections");
    REQUIRE(t.rows.size() == 2);
    CHECK(t.rows[0].name == "db");
    CHECK(t.rows[1].name == "cache");
    const sc::PooledRow& db = t.rows[0];

    // counter: the total, and a mean per replication with its CI
    CHECK(db.figures[0].total == 18);
    CHECK(db.figures[0].per_replication.value == Approx(6));
    CHECK(db.figures[0].per_replication.ci95 == Approx(half_width({3, 5, 10}, t2)));
    // a row seen in one replication counted nothing in the others
    CHECK(t.rows[1].figures[0].total == 7);
    CHECK(t.rows[1].figures[0].per_replication.value == Approx(7.0 / 3));

    // latency: the merged histogram (mean of the 3 samples); the CI over the 2 replications
    // that have samples (means 15 ms and 30 ms)
    const sc::LatencyFigures& h = db.figures[1].latency;
    CHECK(h.histogram.count() == 3);
    CHECK(h.mean.value == Approx(0.020));
    CHECK(h.mean.ci95 == Approx(half_width({0.015, 0.030}, t1)));
    CHECK(h.max.value == Approx(0.030).epsilon(1e-3));
    // p50 of each replication: 10 ms and 30 ms (the smaller of two for the first)
    CHECK(h.percentiles[0].ci95 >= half_width({0.010, 0.030}, t1) * (1 - 1e-3));

    // level: mean of the time averages (2, 2, 5) with its CI; the largest value held
    CHECK(db.figures[2].mean.value == Approx(3));
    CHECK(db.figures[2].mean.ci95 == Approx(half_width({2, 2, 5}, t2)));
    CHECK(db.figures[2].max == 5);

    // value: mean over the replications where it is defined (0.25, 0.5)
    CHECK(db.figures[3].mean.value == Approx(0.375));
    CHECK(db.figures[3].mean.ci95 == Approx(half_width({0.25, 0.5}, t1)));
}

TEST_CASE("recorded tables: a percentile's CI is at least the histogram's resolution", "[scenario][recorder]") {
    // Every replication records the same latency: no spread, but the percentile is only
    // known to its bucket.
    std::vector<models::RunResults> runs;
    for (std::uint64_t i = 0; i < 3; ++i) runs.push_back(run_of({1, {0.5}, 1, 1, 0.5}, i + 1));
    const sc::ExperimentResults pooled = sc::pool(runs);  // kept: h refers into it
    const sc::LatencyFigures& h = pooled.tables[0].rows[0].figures[1].latency;
    CHECK(h.percentiles[3].ci95 >= 0.5 * stats::LogHistogram::max_relative_error * (1 - 1e-9));
    CHECK(h.mean.ci95 == 0);  // the mean is exact
}

TEST_CASE("recorded tables: the experiment JSON, CSV and table carry them", "[scenario][recorder]") {
    const std::vector<models::RunResults> runs = three_runs();
    const sc::ExperimentResults e = sc::pool(runs);
    const nlohmann::json j = sc::to_json(e);
    const nlohmann::json& db = j["connections"]["db"];
    CHECK(db["opened"] == 18);
    CHECK(db["per_replication"]["opened"].get<double>() == Approx(6));
    CHECK(db["ci95"]["opened"].get<double>() == Approx(half_width({3, 5, 10}, t2)));
    CHECK(db["handshake_s"]["mean"].get<double>() == Approx(0.020));
    CHECK(db["ci95"]["handshake_s"]["mean"].get<double>() == Approx(half_width({0.015, 0.030}, t1)));
    CHECK(db["open"]["mean"].get<double>() == Approx(3));
    CHECK(db["open"]["max"] == 5.0);
    CHECK(db["ratio"].get<double>() == Approx(0.375));
    CHECK(j["units"]["connections"]["opened"] == "connections");
    CHECK(j["recorded"]["connections"]["row_key"] == "service");
    CHECK(j["recorded"]["connections"]["kinds"]["open"] == "level");
    CHECK(j["units"]["timeseries"]["connections"]["handshake_p99_s"] == "s");
    // per replication: its series and its log
    CHECK(j["runs"][1]["timeseries"]["connections"]["cache"]["opened"] == nlohmann::json::array({7}));
    CHECK(j["runs"][2]["log"][0]["text"] == "db: opened 10");

    const std::string folder = temp_folder("experiment");
    sc::write_csv(e, folder);
    const std::string csv = read(std::filesystem::path(folder) / "connections.csv");
    const std::string header = csv.substr(0, csv.find('\n'));
    CHECK(header.rfind("service,replications,opened,opened_per_replication,opened_per_replication_ci95,"
                       "handshake_mean_s,handshake_mean_s_ci95,handshake_p50_s,",
                       0) == 0);
    CHECK(header.find(",handshake_max_s,handshake_max_s_ci95,open,open_ci95,open_max,ratio,ratio_ci95") !=
          std::string::npos);
    CHECK(csv.find("\ndb,3,18,6,") != std::string::npos);
    CHECK(csv.find("\ncache,3,7,") != std::string::npos);
    const std::string series =
        read(std::filesystem::path(folder) / "replication-2" / "timeseries_connections.csv");
    CHECK(series.rfind("service,start_s,length_s,opened,handshake_p50_s,handshake_p99_s,open,ratio\n", 0) == 0);
    CHECK(series.find("\ncache,0,2,7,,,") != std::string::npos);
    std::filesystem::remove_all(folder);

    const std::string table = sc::format_table(e);
    CHECK(table.find("connections (service)") != std::string::npos);
    CHECK(table.find("handshake mean ms") != std::string::npos);
    CHECK(table.find("20.000 ±") != std::string::npos);  // the pooled handshake mean
    CHECK(table.find("log of replication 1 (1 entry)") != std::string::npos);
}

TEST_CASE("recorded tables: one run has the same figures without intervals", "[scenario][recorder]") {
    const models::RunResults run = three_runs()[0];
    const nlohmann::json j = sc::to_json(sc::pool({run}));
    CHECK(j == sc::to_json(run));  // one writer: a 1-replication experiment is the run
    CHECK(j["connections"]["db"]["opened"] == 3);
    CHECK_FALSE(j["connections"]["db"].contains("ci95"));
    CHECK(j["log"][0]["what"] == "note");

    const std::string folder = temp_folder("run");
    sc::write_csv(run, folder);
    const std::string csv = read(std::filesystem::path(folder) / "connections.csv");
    CHECK(csv.rfind("service,opened,handshake_mean_s,handshake_p50_s,", 0) == 0);
    CHECK(csv.find(",open,open_max,ratio\ndb,3,0.015,") != std::string::npos);
    CHECK(std::filesystem::exists(std::filesystem::path(folder) / "timeseries_connections.csv"));
    std::filesystem::remove_all(folder);

    const std::string table = sc::format_table(run);
    CHECK(table.find("connections (service)") != std::string::npos);
    CHECK(table.find("0.500 s  connections: db: opened 3") != std::string::npos);
}

TEST_CASE("recorded tables: the log is capped on the terminal, whole in the JSON", "[scenario][recorder]") {
    std::vector<models::RecordedEntry> log;
    for (int i = 0; i < 25; ++i) log.push_back({static_cast<double>(i), "t", "r", "w", "entry", {}});
    const std::string text = sc::format_log(log);
    CHECK(text.find("log (25 entries)") != std::string::npos);
    CHECK(text.find("and 15 more") != std::string::npos);
    nlohmann::json j;
    sc::add_log_json(j, log);
    CHECK(j["log"].size() == 25);
}

TEST_CASE("recorded tables: a figure may not take a results key's name", "[scenario][recorder]") {
    // The recorder refuses it when the table is declared...
    models::Recorder rec;
    CHECK_THROWS_AS(rec.add_table("bad", "x", {{"ci95", "things", models::FigureKind::counter, ""}}), Error);
    // ... and the reporters refuse a table made elsewhere (decoded from a Dask worker, by hand).
    models::RecordedTable t;
    t.name = "bad";
    t.row_key = "x";
    t.figures = {{"ci95", "things", models::FigureKind::counter, ""}};
    t.rows = {models::RecordedRow{"a", {models::RecordedFigure{}}, {}}};
    models::RunResults r;
    r.tables = {t};
    CHECK_THROWS_AS(sc::to_json(r), Error);
}

TEST_CASE("recorded tables: compare pairs their figures by replication", "[scenario][compare][recorder]") {
    // Design b opens 2 more connections than a in every replication: a significant +2.
    std::vector<models::RunResults> a = three_runs(), b;
    const std::vector<Replication> more = {{5, {0.010, 0.020}, 4, 0, 0.25}, {7, {0.030}, 2, 2, 0.5, 7},
                                           {12, {}, 5, 5, std::nan("")}};
    for (std::size_t i = 0; i < more.size(); ++i) b.push_back(run_of(more[i], i + 1));
    sc::CompareResults c;
    c.names = {"a", "b"};
    c.designs = {sc::pool(a), sc::pool(b)};
    sc::add_recorded_rows(c);
    const auto row = [&](const std::string& name, const std::string& figure) -> const sc::CompareRow& {
        for (const auto& r : c.rows) {
            if (r.kind == "connections" && r.name == name && r.figure == figure) return r;
        }
        FAIL("no row " << name << " " << figure);
        return c.rows.front();
    };
    const sc::CompareRow& opened = row("db", "opened");
    CHECK(opened.unit == "connections");
    CHECK(opened.values[1].value == Approx(8));
    CHECK(opened.differences[1].value == Approx(2));
    CHECK(opened.differences[1].ci95 == 0);
    CHECK(opened.differences[1].significant);  // the same +2 in every pair
    const sc::CompareRow& handshake = row("db", "handshake_p99");
    CHECK(handshake.unit == "s");
    CHECK(handshake.differences[1].value == 0);
    CHECK_FALSE(handshake.differences[1].significant);
    row("db", "handshake_mean");
    row("db", "open");
    row("db", "ratio");
    row("cache", "opened");

    const std::string table = sc::format_table(c, {"connections"});
    CHECK(table.find("connections:") != std::string::npos);
    CHECK(table.find("handshake_p99 ms") != std::string::npos);
    CHECK(table.find("requests:") == std::string::npos);
    CHECK_THROWS_AS(sc::format_table(c, {"nonsense"}), Error);
    const nlohmann::json j = sc::to_json(c);
    bool found = false;
    for (const auto& r : j["rows"]) found = found || (r["kind"] == "connections" && r["unit"] == "s");
    CHECK(found);
    const std::string folder = temp_folder("compare");
    sc::write_csv(c, folder);
    CHECK(read(std::filesystem::path(folder) / "compare.csv").find("\nconnections,connections,db,opened,b,8,") !=
          std::string::npos);
    std::filesystem::remove_all(folder);
}

TEST_CASE("recorded tables: sweep reports them per point", "[scenario][sweep][recorder]") {
    sc::SweepResults s;
    s.params = {{"k", {"1", "2"}, false}};
    s.points = {{{"1"}, sc::pool(three_runs())}, {{"2"}, sc::pool({three_runs()[0]})}};
    const std::string table = sc::format_table(s, {"connections"});
    CHECK(table.find("opened /rep") != std::string::npos);
    CHECK(table.find("handshake_p99 ms") != std::string::npos);
    CHECK(table.find("6.00 ±") != std::string::npos);  // 6 per replication at the first point
    const std::string folder = temp_folder("sweep");
    sc::write_csv(s, folder);
    const std::string csv = read(std::filesystem::path(folder) / "sweep_connections.csv");
    CHECK(csv.rfind("k,service,replications,opened,opened_per_replication,opened_per_replication_ci95,", 0) == 0);
    CHECK(csv.find("\n1,db,3,18,6,") != std::string::npos);
    CHECK(csv.find("\n2,db,1,3,3,,") != std::string::npos);
    std::filesystem::remove_all(folder);
    CHECK(sc::to_json(s)["points"][0]["results"]["connections"]["db"]["opened"] == 18);
}

TEST_CASE("recorded tables: a table a System publishes reaches every report of its run", "[scenario][recorder]") {
    // A test-only table on a real System: a level set before the run (levels keep their
    // value across the warm-up) and a value; the System closes its windows.
    const std::string text = R"toml(
[scenario]
duration = "10s"
warmup = "1s"
window = "2s"
[[server]]
name = "s"
[service.svc]
servers = ["s"]
[service.svc.op.get]
work = "const(1ms)"
[[workload]]
name = "w"
to = "svc"
arrival = "constant(10/s)"
)toml";
    const auto spec = sc::parse(text, "published.toml");
    models::System system(sc::build(spec, 1));
    models::Recorder& rec = system.recorder();
    const auto t = rec.add_table("pool", "service",
                                 {{"instances", "instances", models::FigureKind::level, ""},
                                  {"target", "fraction", models::FigureKind::value, ""}},
                                 true);
    const auto row = rec.add_row(t, "svc");
    rec.level(t, row, 0).set(Time::zero(), 3);
    rec.value(t, row, 1).set(0.7);
    const models::RunResults r = system.run();
    REQUIRE(r.tables.size() == 1);
    const std::size_t windows = r.timeseries.windows();
    REQUIRE(windows == 5);

    const nlohmann::json j = sc::to_json(r);
    CHECK(j["pool"]["svc"]["instances"]["mean"].get<double>() == Approx(3));
    CHECK(j["pool"]["svc"]["target"].get<double>() == Approx(0.7));
    CHECK(j["timeseries"]["pool"]["svc"]["instances"].size() == windows);
    CHECK(j["timeseries"]["pool"]["svc"]["instances"][4].get<double>() == Approx(3));
    CHECK(sc::format_table(r).find("pool (service)") != std::string::npos);
    const std::string folder = temp_folder("system");
    sc::write_csv(r, folder);
    const std::string series = read(std::filesystem::path(folder) / "timeseries_pool.csv");
    CHECK(std::count(series.begin(), series.end(), '\n') == static_cast<long>(windows + 1));
    CHECK(read(std::filesystem::path(folder) / "pool.csv") == "service,instances,instances_max,target\nsvc,3,3,0.7\n");
    std::filesystem::remove_all(folder);
}

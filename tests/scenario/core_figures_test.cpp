// Figures components add to the core tables (models::core_table_row_key) through the
// Recorder: written into the core table's own JSON rows, CSV columns, terminal section,
// per-window series, compare rows and sweep CSV. The figure that uses it: `up` of servers
// and link directions when something can fail them (models/system/faults.cpp).
#include <algorithm>
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

namespace {

using namespace s2sim;
namespace sc = s2sim::scenario;

std::string read(const std::filesystem::path& p) { return testing::read_text(p); }
std::string temp_folder(const std::string& name) { return testing::fresh_temp_folder("core-figures-" + name); }

/// Measured span [1 s, 11 s) in 2 s windows. With `events`: server s down over [3 s, 3 s +
/// down), so up for 1 - down/10 of the span; link c--s down over [6 s, 7 s), 0.9.
std::string scenario_text(const std::string& server_down, bool events = true) {
    std::string text = R"toml(
[scenario]
duration = "10s"
warmup = "1s"
window = "2s"
[[server]]
name = "s"
[[client]]
name = "c"
[[link]]
between = ["c", "s"]
bandwidth = "1Gbps"
[service.svc]
servers = ["s"]
[service.svc.op.get]
work = "const(1ms)"
[[workload]]
name = "w"
from = "c"
to = "svc"
arrival = "constant(10/s)"
)toml";
    if (events) {
        text += "[[event]]\nat = \"3s\"\naction = \"fail\"\ntarget = \"s\"\nfor = \"" + server_down + "\"\n";
        text += "[[event]]\nat = \"6s\"\naction = \"fail\"\ntarget = \"c--s\"\nfor = \"1s\"\n";
    }
    return text;
}

models::RunResults run(const std::string& text) {
    models::System system(sc::build(sc::parse(text, "up.toml"), 1));
    return system.run();
}

/// The line of `csv` that starts with `prefix` ("" when none).
std::string line_of(const std::string& csv, const std::string& prefix) {
    std::istringstream in(csv);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(prefix, 0) == 0) return line;
    }
    return "";
}

}  // namespace

TEST_CASE("core figures: servers and links carry up, the fraction of the time they were up", "[scenario][recorder]") {
    const models::RunResults r = run(scenario_text("2s"));
    const nlohmann::json j = sc::to_json(r);
    // Server s: down 2 s of the 10 measured; each direction of c--s: down 1 s.
    CHECK(j["servers"]["s"]["up"]["mean"].get<double>() == Approx(0.8).margin(1e-12));
    CHECK(j["links"]["c->s"]["up"]["mean"].get<double>() == Approx(0.9).margin(1e-12));
    CHECK(j["links"]["s->c"]["up"]["mean"].get<double>() == Approx(0.9).margin(1e-12));
    // The core's own figures stay where they were, units and kinds beside them.
    CHECK(j["servers"]["s"].contains("utilization"));
    CHECK(j["units"]["servers"]["up"] == "fraction");
    CHECK(j["units"]["servers"]["utilization"] == "fraction");
    CHECK(j["recorded"]["servers"]["kinds"]["up"] == "level");
    // Per window [1,3) [3,5) [5,7) [7,9) [9,11): the server is down in the second, the
    // link in half the third.
    const auto& server_up = j["timeseries"]["servers"]["s"]["up"];
    REQUIRE(server_up.size() == 5);
    CHECK(server_up[0].get<double>() == Approx(1));
    CHECK(server_up[1].get<double>() == Approx(0).margin(1e-12));
    CHECK(server_up[2].get<double>() == Approx(1));
    CHECK(j["timeseries"]["links"]["c->s"]["up"][2].get<double>() == Approx(0.5));
    CHECK(j["timeseries"]["servers"]["s"].contains("utilization"));

    const std::string folder = temp_folder("run");
    sc::write_csv(r, folder);
    const std::string servers = read(std::filesystem::path(folder) / "servers.csv");
    CHECK(servers.rfind("server,utilization,mean_queue,max_queue,completed,rejected,up,up_max\n", 0) == 0);
    CHECK(line_of(servers, "s,").ends_with(",0.8,1"));
    const std::string links = read(std::filesystem::path(folder) / "links.csv");
    CHECK(links.rfind("link,utilization,bytes,up,up_max\n", 0) == 0);
    CHECK(line_of(links, "c->s,").ends_with(",0.9,1"));
    const std::string series = read(std::filesystem::path(folder) / "timeseries_servers.csv");
    CHECK(series.rfind("server,start_s,length_s,utilization,mean_queue,up\n", 0) == 0);
    CHECK(line_of(series, "s,3,2,").ends_with(",0"));
    std::filesystem::remove_all(folder);

    // The terminal: a column of the servers' section, not a section of its own.
    const std::string table = sc::format_table(r);
    CHECK(line_of(table, "server ").find("up %") != std::string::npos);
    CHECK(line_of(table, "s ").find("80.00") != std::string::npos);
    CHECK(table.find("more figures") == std::string::npos);
}

TEST_CASE("core figures: nothing is added when nothing can fail", "[scenario][recorder]") {
    const models::RunResults r = run(scenario_text("", false));
    CHECK(r.tables.empty());
    const nlohmann::json j = sc::to_json(r);
    CHECK_FALSE(j["servers"]["s"].contains("up"));
    CHECK_FALSE(j.contains("recorded"));
}

TEST_CASE("core figures: replications pool them with intervals", "[scenario][recorder]") {
    std::vector<models::RunResults> runs;
    for (const char* down : {"2s", "4s"}) runs.push_back(run(scenario_text(down)));
    const sc::ExperimentResults e = sc::pool(runs);
    const nlohmann::json j = sc::to_json(e);
    // Up 0.8 and 0.6: mean 0.7, half-width t(0.975, 1) * s / sqrt(2) with s = 0.1 * sqrt(2).
    CHECK(j["servers"]["s"]["up"]["mean"].get<double>() == Approx(0.7));
    CHECK(j["servers"]["s"]["ci95"]["up"].get<double>() == Approx(12.706204736174698 * 0.1));
    CHECK(j["servers"]["s"]["ci95"].contains("utilization"));  // merged, not replaced
    const std::string folder = temp_folder("pooled");
    sc::write_csv(e, folder);
    const std::string servers = read(std::filesystem::path(folder) / "servers.csv");
    CHECK(servers.rfind("server,replications,utilization,utilization_ci95,mean_queue,mean_queue_ci95,max_queue,"
                        "completed,rejected,up,up_ci95,up_max\n",
                        0) == 0);
    CHECK(line_of(servers, "s,").find(",0.7,1.27062") != std::string::npos);
    std::filesystem::remove_all(folder);
}

TEST_CASE("core figures: compare pairs them and sweep appends their columns", "[scenario][compare][sweep][recorder]") {
    sc::ExperimentOptions options;
    options.replications = 2;
    options.jobs = 1;
    const sc::CompareResults c = sc::compare(
        {{"short", sc::parse(scenario_text("2s"), "a.toml")}, {"long", sc::parse(scenario_text("4s"), "b.toml")}}, options);
    const auto up = std::find_if(c.rows.begin(), c.rows.end(),
                                 [](const sc::CompareRow& row) { return row.figure == "up" && row.name == "s"; });
    REQUIRE(up != c.rows.end());
    CHECK(up->kind == "server");
    CHECK(up->values[0].value == Approx(0.8));
    CHECK(up->values[1].value == Approx(0.6));
    CHECK(up->differences[1].value == Approx(-0.2));
    CHECK(sc::format_table(c, {"servers"}).find("up %") != std::string::npos);
    CHECK(sc::format_table(c, {"requests"}).find("up %") == std::string::npos);

    const sc::SweepResults s = sc::sweep_text(scenario_text("2s"), "up.toml", {{"event.0.for", {"2s", "4s"}, false}},
                                              options);
    const std::string folder = temp_folder("sweep");
    sc::write_csv(s, folder);
    const std::string servers = read(std::filesystem::path(folder) / "sweep_servers.csv");
    CHECK(servers.rfind("event.0.for,server,replications,utilization,utilization_ci95,mean_queue,mean_queue_ci95,up,"
                        "up_ci95,up_max\n",
                        0) == 0);
    CHECK(line_of(servers, "2s,s,").find(",0.8,0,1") != std::string::npos);
    CHECK(line_of(servers, "4s,s,").find(",0.6,0,1") != std::string::npos);
    std::filesystem::remove_all(folder);
}

TEST_CASE("core figures: a figure added to a core table may not shadow its own", "[scenario][recorder]") {
    models::Recorder rec;
    const auto level = [](const char* name) {
        return std::vector<models::FigureSpec>{{name, "fraction", models::FigureKind::level, ""}};
    };
    CHECK_NOTHROW(rec.add_table("servers", "server", level("up")));
    // The core's own figures, and columns of the same names.
    CHECK_THROWS_WITH(models::Recorder().add_table("servers", "server", level("utilization")),
                      Catch::Contains("would clash with its 'utilization'"));
    CHECK_THROWS_WITH(models::Recorder().add_table("requests", "request", level("p99_s")), Catch::Contains("clash"));
    CHECK_THROWS_WITH(
        models::Recorder().add_table("requests", "request", {{"error_s", "s", models::FigureKind::latency, ""}}),
        Catch::Contains("would clash with its 'error_mean_s'"));
    // Rows are named as the core table's.
    CHECK_THROWS_WITH(models::Recorder().add_table("links", "service", level("up")),
                      Catch::Contains("must have its row key 'link'"));
    // Replication pairs take no added figures (yet): still a results key.
    CHECK_THROWS_WITH(models::Recorder().add_table("replication", "replication", level("up")),
                      Catch::Contains("is a results key"));
}

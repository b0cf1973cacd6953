// Per-window series, from TOML to results: what each window of a link direction says.
#include <algorithm>
#include <numeric>

#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "scenario/builder.hpp"
#include "scenario/loader.hpp"
#include "scenario/report.hpp"

TEST_CASE("timeseries: a link saturated for part of the run shows it in its windows", "[scenario][timeseries]") {
    // 20 requests of 100 KB a second for 5 s over an 8 Mbps (1 MB/s) link: twice what it
    // carries, so it stays busy until the 100 requests are through at 10 s, then idles.
    // Averaged over the 20 s run it reads 50%; its windows must read ~100% then 0.
    const std::string text = R"toml(
[scenario]
duration = "20s"
window = "1s"
[[server]]
name = "s"
[[client]]
name = "c"
[[link]]
between = ["c", "s"]
bandwidth = "8Mbps"
[service.svc]
servers = ["s"]
[service.svc.op.get]
work = "const(0s)"
request = "100KB"
response = "0B"
[[workload]]
name = "w"
from = "c"
to = "svc"
arrival = { process = "constant", rate = [["0s", "20/s"], ["5s", "0/s"]] }
)toml";
    const auto spec = s2sim::scenario::parse(text, "saturated.toml");
    s2sim::models::System system(s2sim::scenario::build(spec, 1));
    const auto results = system.run();
    const auto& ts = results.timeseries;
    REQUIRE(ts.windows() == 20);
    const auto link = std::find_if(results.links.begin(), results.links.end(),
                                   [](const auto& l) { return l.name == "c->s"; });
    REQUIRE(link != results.links.end());
    CHECK(link->utilization == Approx(0.5).margin(0.01));
    const auto series = std::find_if(ts.links.begin(), ts.links.end(), [](const auto& l) { return l.name == "c->s"; });
    REQUIRE(series != ts.links.end());
    REQUIRE(series->utilization.size() == 20);
    REQUIRE(series->bytes.size() == 20);
    // The first request leaves at 0.05 s (one gap after the start): window 0 is 95% busy.
    CHECK(series->utilization[0] == Approx(0.95).margin(1e-6));
    for (std::size_t i = 1; i < 10; ++i) {
        INFO("window " << i);
        CHECK(series->utilization[i] == Approx(1.0).margin(1e-6));
        CHECK(series->bytes[i] == Approx(1e6).epsilon(1e-6));  // 1 MB/s for 1 s
    }
    for (std::size_t i = 11; i < 20; ++i) {
        INFO("window " << i);
        CHECK(series->utilization[i] == Approx(0.0).margin(1e-9));
        CHECK(series->bytes[i] == Approx(0.0).margin(1e-6));
    }
    // The windows add up to the total.
    CHECK(std::accumulate(series->bytes.begin(), series->bytes.end(), 0.0) == Approx(link->bytes).epsilon(1e-9));
    // The reverse direction carried the empty responses only.
    const auto back = std::find_if(ts.links.begin(), ts.links.end(), [](const auto& l) { return l.name == "s->c"; });
    REQUIRE(back != ts.links.end());
    CHECK(*std::max_element(back->utilization.begin(), back->utilization.end()) < 1e-9);
    // JSON and CSV carry them.
    const nlohmann::json j = s2sim::scenario::to_json(results);
    REQUIRE(j["timeseries"]["links"].contains("c->s"));
    CHECK(j["timeseries"]["links"]["c->s"]["utilization"].size() == 20);
    CHECK(j["timeseries"]["links"]["c->s"]["bytes"][3].get<double>() == Approx(1e6).epsilon(1e-6));
}

TEST_CASE("timeseries: random failures are marked among the events, after the scheduled ones",
          "[scenario][timeseries]") {
    // Up 3 s, down 1 s, over and over: failures at 3, 7, 11, 15, 19 s, recoveries at 4, 8,
    // 12, 16 s (the one at 20 s is the end of the run); and one scheduled slowdown.
    const std::string text = R"toml(
[scenario]
duration = "19.5s"
window = "1s"
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
[[event]]
at = "10s"
action = "slow"
target = "s"
factor = 2
[[failure]]
target = "s"
mtbf = "const(3s)"
mttr = "const(1s)"
)toml";
    const auto spec = s2sim::scenario::parse(text, "random_failures.toml");
    s2sim::models::System system(s2sim::scenario::build(spec, 1));
    const auto results = system.run();
    const nlohmann::json j = s2sim::scenario::to_json(results);
    const nlohmann::json& events = j["timeseries"]["events"];
    REQUIRE(events.size() == 10);
    CHECK(events[0]["action"] == "slow");
    CHECK_FALSE(events[0].contains("random"));
    const double expected_at[] = {3, 4, 7, 8, 11, 12, 15, 16, 19};
    for (std::size_t i = 1; i < events.size(); ++i) {
        INFO("event " << i);
        CHECK(events[i]["at_s"].get<double>() == Approx(expected_at[i - 1]));
        CHECK(events[i]["action"] == (i % 2 == 1 ? "fail" : "recover"));
        CHECK(events[i]["target"] == "s");
        CHECK(events[i]["random"] == true);
    }
    // The same in the log, for the table and Python's Results.log.
    REQUIRE(results.log.size() == 9);
    CHECK(results.log[0].text == "random failure of server 's'");
    // While the server is down its requests fail: the windows say when.
    const auto& errors = results.timeseries.requests.front().errors;
    CHECK(errors[3] > 0);
    CHECK(errors[5] == 0);
}

// What the HTML report reads besides the figures (scenario/model_json) and the DOT of
// `s2sim graph` (scenario/model_dot), from an inline scenario.
#include "scenario/model_json.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "scenario/loader.hpp"
#include "scenario/model_dot.hpp"

namespace {

const char* const two_sites = R"toml(
[scenario]
duration = "5s"

[network]
propagation_speed = "200000km/s"

[[server]]
name = "web"
count = 2
site = "north"

[[server]]
name = "db"
site = "south"

[[server]]
name = "replica"
site = "south"

[[server]]
name = "log"

[[switch]]
name = "core"

[[client]]
name = "users"
site = "north"

[[link]]
between = ["users", "core"]
bandwidth = "1Gbps"
latency = "2ms"

[[link]]
between = ["web", "core"]
bandwidth = "10Gbps"

[[link]]
between = ["db", "core"]
bandwidth = "10Gbps"
distance = "1000km"
latency = "1ms"

[[link]]
between = ["replica", "core"]
bandwidth = "10Gbps"

[[link]]
between = ["log", "core"]
bandwidth = "1Gbps"

[service.front]
servers = ["web"]

[service.front.op.page]
work = "exp(2ms)"
calls = ["data.read", ["data.read", { op = "data.write", probability = 0.25, timeout = "50ms", retries = 2 }]]
async = ["logs.append"]

[service.data]
servers = ["db"]
balancer = "random"

[service.data.op.read]
work = "exp(1ms)"

[service.data.op.write]
work = "exp(1ms)"
replicate = { to = "replica", mode = "async" }

[service.logs]
servers = ["log"]

[service.logs.op.append]
work = "exp(0.1ms)"

[[workload]]
name = "visitors"
from = "users"
to = "front"
arrival = "poisson(50/s)"
mix = { page = 1.0 }

[[event]]
at = "2s"
action = "fail"
target = "db"
for = "1s"
)toml";

}  // namespace

TEST_CASE("model json: sites, nodes and links with their one-way latency", "[scenario][report]") {
    const auto spec = s2sim::scenario::parse(two_sites, "two_sites.toml");
    const auto m = s2sim::scenario::model_json(spec);
    CHECK(m["sites"] == nlohmann::json({"north", "south"}));  // file order
    REQUIRE(m["nodes"].size() == 7);
    CHECK(m["nodes"][0]["name"] == "web-1");
    CHECK(m["nodes"][0]["group"] == "web");
    CHECK(m["nodes"][4]["name"] == "log");
    CHECK(m["nodes"][4]["site"].is_null());
    CHECK(m["nodes"][5]["kind"] == "switch");
    CHECK(m["nodes"][6]["kind"] == "client");
    // one link per member of a group; latency = fixed + distance / propagation speed
    REQUIRE(m["links"].size() == 6);
    CHECK(m["links"][1]["a"] == "web-1");
    CHECK(m["links"][2]["a"] == "web-2");
    CHECK(m["links"][1]["entry"] == m["links"][2]["entry"]);
    CHECK(m["links"][0]["bandwidth_ab_bytes_per_s"].get<double>() == Approx(1.25e8));
    CHECK(m["links"][3]["latency_s"].get<double>() == Approx(0.001 + 1e6 / 2e8));
    CHECK(m["events"][0]["at_s"] == 2.0);
    CHECK(m["events"][0]["for_s"] == 1.0);
    CHECK(m["events"][0]["target"] == "db");
}

TEST_CASE("model json: an op's steps, parallel and async calls, replication and the workload mix",
          "[scenario][report]") {
    const auto spec = s2sim::scenario::parse(two_sites, "two_sites.toml");
    const auto m = s2sim::scenario::model_json(spec);
    const auto& page = m["services"][0]["ops"][0];
    REQUIRE(page["steps"].size() == 2);
    CHECK(page["steps"][0].size() == 1);
    REQUIRE(page["steps"][1].size() == 2);  // the parallel group
    const auto& write = page["steps"][1][1];
    CHECK(write["target"] == "data.write");
    CHECK(write["probability"] == 0.25);
    CHECK(write["timeout_s"].get<double>() == Approx(0.05));
    CHECK(write["retries"] == 2);
    CHECK(page["async"][0]["target"] == "logs.append");
    CHECK(m["services"][1]["balancer"] == "random");
    CHECK(m["services"][1]["ops"][1]["replicate"]["to"] == nlohmann::json({"replica"}));
    CHECK(m["services"][1]["ops"][1]["replicate"]["mode"] == "async");
    CHECK(m["workloads"][0]["from"] == "users");
    CHECK(m["workloads"][0]["mix"][0]["op"] == "page");
    CHECK(m["workloads"][0]["arrival"] == "poisson(50/s)");
}

TEST_CASE("model dot: a cluster per site, the call graph with step labels", "[scenario][report]") {
    const auto spec = s2sim::scenario::parse(two_sites, "two_sites.toml");
    const std::string topology = s2sim::scenario::topology_dot(spec);
    CHECK(topology.rfind("graph topology {", 0) == 0);
    CHECK_THAT(topology, Catch::Matchers::Contains("subgraph \"cluster_north\""));
    CHECK_THAT(topology, Catch::Matchers::Contains("subgraph \"cluster_south\""));
    CHECK_THAT(topology, Catch::Matchers::Contains("\"db\" -- \"core\" [label=\"10 Gbps, 6 ms\"]"));
    // a node without a site stays outside every cluster: declared before the first one
    CHECK(topology.find("\"log\" [shape=box]") < topology.find("subgraph"));
    const std::string calls = s2sim::scenario::calls_dot(spec);
    CHECK(calls.rfind("digraph calls {", 0) == 0);
    CHECK_THAT(calls, Catch::Matchers::Contains("\"front.page\" -> \"data.read\" [label=\"1\"]"));
    CHECK_THAT(calls, Catch::Matchers::Contains("\"front.page\" -> \"data.read\" [label=\"2a\"]"));
    CHECK_THAT(calls, Catch::Matchers::Contains(
                          "\"front.page\" -> \"data.write\" [label=\"2b p=0.25 timeout 50 ms retries 2\", style=dotted]"));
    CHECK_THAT(calls, Catch::Matchers::Contains("\"front.page\" -> \"logs.append\" [label=\"async\", style=dashed]"));
    CHECK_THAT(calls, Catch::Matchers::Contains("\"data.write\" -> \"replica replica\" [label=\"replicate async\""));
    CHECK_THAT(calls, Catch::Matchers::Contains("\"workload visitors\" -> \"front.page\" [label=\"100%\"]"));
}

TEST_CASE("model json: the command line quotes what a shell would split", "[scenario][report]") {
    const char* argv[] = {"/usr/bin/s2sim", "run", "a b.toml", "--set", "x=\"it's\"", "--seed", "7"};
    CHECK(s2sim::scenario::command_line(7, argv) == "s2sim run 'a b.toml' --set 'x=\"it'\\''s\"' --seed 7");
}

TEST_CASE("model json: latency_cdf keeps each class's quantiles on the grid", "[scenario][report]") {
    const auto& grid = s2sim::scenario::latency_cdf_grid();
    CHECK(std::is_sorted(grid.begin(), grid.end()));
    CHECK(grid.front() == 0.0005);
    CHECK(grid.back() == 0.9999);
    s2sim::models::RunResults r;
    r.requests.emplace_back();
    r.requests.back().name = "a/b";
    for (int i = 1; i <= 1000; ++i) r.requests.back().latency.record(i * 1e-3);
    r.requests.emplace_back();
    r.requests.back().name = "empty/x";
    const auto j = s2sim::scenario::latency_cdf_json(r);
    REQUIRE(j["requests"]["a/b"].size() == grid.size());
    const auto& q = j["requests"]["a/b"];
    const auto at = [&](double p) { return q[static_cast<std::size_t>(std::find(grid.begin(), grid.end(), p) - grid.begin())].get<double>(); };
    CHECK(at(0.5) == Approx(0.5).epsilon(2e-3));  // within the histogram's resolution
    CHECK(at(0.99) == Approx(0.99).epsilon(2e-3));
    CHECK(j["requests"]["empty/x"][0].is_null());
}

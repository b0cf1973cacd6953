// Elasticity keys (docs/elasticity.md): loading, the spare servers of an autoscaled
// service, and the two bundled scenarios' figures that matter.
#include <string>

#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "scenario/builder.hpp"
#include "scenario/loader.hpp"

namespace {
namespace sc = s2sim::scenario;
using namespace s2sim::models;

std::string scenario_file(const std::string& name) { return std::string(S2SIM_SOURCE_DIR) + "/scenarios/" + name; }

RunResults run(const sc::Spec& spec) {
    System system(sc::build(spec, spec.run.seed));
    return system.run();
}

const RecordedFigure& figure(const RunResults& r, const std::string& table, const std::string& row,
                             const std::string& name) {
    for (const RecordedTable& t : r.tables) {
        if (t.name != table) continue;
        for (const RecordedRow& rw : t.rows) {
            if (rw.name != row) continue;
            for (std::size_t f = 0; f < t.figures.size(); ++f) {
                if (t.figures[f].name == name) return rw.figures[f];
            }
        }
    }
    FAIL("no figure " << table << " " << row << " " << name);
    throw;
}

const std::string kNetworked = R"toml(
[scenario]
duration = "10s"
[[server]]
name = "web"
count = 2
cores = 4
site = "eu"
[[switch]]
name = "tor"
[[client]]
name = "internet"
[[link]]
between = ["web", "tor"]
bandwidth = "10Gbps"
latency = "5us"
[[link]]
between = ["internet", "tor"]
bandwidth = "1Gbps"
latency = "10ms"
[service.front]
servers = ["web"]
autoscale = { metric = "latency_p99", target = "50ms", min = 1, max = 4, boot = "0s" }
outlier = { consecutive_errors = 3, success_rate = 0.8 }
queue_deadline = "200ms"
concurrency_limit = 16
[service.front.op.get]
work = "exp(1ms)"
[[workload]]
name = "w"
from = "internet"
to = "front"
arrival = "poisson(10/s)"
)toml";

}  // namespace

TEST_CASE("elastic: the keys load with their units and the documented defaults", "[scenario][elastic]") {
    const sc::Spec spec = sc::parse(kNetworked, "net.toml");
    const sc::ElasticSpec& e = spec.services[0].elastic;
    REQUIRE(e.autoscale);
    CHECK(e.autoscale->metric == "latency_p99");
    CHECK(e.autoscale->target == Approx(0.050));
    CHECK(e.autoscale->min == 1);
    CHECK(e.autoscale->max == 4);
    CHECK(e.autoscale->interval == 15);
    CHECK(e.autoscale->tolerance == 0.1);
    CHECK(e.autoscale->boot == 0);
    CHECK(e.autoscale->stabilization == 300);
    CHECK(e.autoscale->up_servers == 4);
    CHECK(e.autoscale->up_percent == 100);
    CHECK(e.autoscale->down_percent == 100);
    CHECK(e.autoscale->rate_period == 15);
    REQUIRE(e.outlier);
    CHECK(e.outlier->consecutive_errors == 3);
    CHECK(e.outlier->ejection == 30);
    CHECK(e.outlier->max_ejection == 0.1);
    CHECK(e.outlier->max_ejection_time == 300);
    CHECK(e.outlier->interval == 10);
    CHECK(e.outlier->success_rate == 0.8);
    CHECK(e.outlier->min_requests == 50);
    CHECK(e.queue_deadline == Approx(0.2));
    CHECK(e.concurrency_limit == 16);
}

TEST_CASE("elastic: an autoscaled service's spare servers copy its first, linked like it", "[scenario][elastic]") {
    const sc::Spec spec = sc::parse(kNetworked, "net.toml");
    const SystemModel m = sc::build(spec, 1);
    const ServiceModel& front = m.services[0];
    REQUIRE(front.servers.size() == 4);
    REQUIRE(front.elastic.autoscale);
    CHECK(front.elastic.autoscale->initial == 2);
    CHECK(front.elastic.autoscale->metric == ScaleMetric::latency_p99);
    CHECK(front.balancer.sites.size() == 4);
    const HostModel& spare = m.hosts[front.servers[3]];
    CHECK(spare.server.name == "web-4");
    CHECK(spare.server.cores == 4);
    CHECK(spare.site == m.hosts[front.servers[0]].site);
    REQUIRE(spare.node);
    Topology& topology = *m.topology;
    const auto link = topology.find_link(*spare.node, topology.node("tor"));
    REQUIRE(link);
    CHECK(topology.latency(*link) == Approx(5e-6));
    CHECK(topology.capacity(Topology::directed_link(*link, Direction::a_to_b)) == Approx(10e9 / 8));
    CHECK(topology.has_route(topology.node("internet"), *spare.node));
}

TEST_CASE("elastic: flash_sale_autoscale adds recs servers during the sale and keeps p99 low",
          "[scenario][elastic][slow]") {
    const RunResults with = run(sc::load_file(scenario_file("flash_sale_autoscale.toml")));
    const RunResults without =
        run(sc::load_file(scenario_file("flash_sale_autoscale.toml"), {"service.recs.autoscale.max=2"}));
    // 1,050 recs calls/s of 4 ms on 2 two-core servers is 105% of their capacity: the
    // autoscaler asks for more, they join 30 s later, and page p99 comes back down while
    // it climbs for the whole sale without them.
    CHECK(figure(with, "autoscale", "recs", "scale_outs").count >= 1);
    CHECK(figure(with, "autoscale", "recs", "scale_ins").count >= 1);
    CHECK(figure(with, "autoscale", "recs", "servers").max >= 4);
    CHECK(figure(without, "autoscale", "recs", "servers").max == 2);
    // The cost: 2 servers x 360 s without, more with.
    CHECK(figure(without, "autoscale", "recs", "server_s").value == Approx(720));
    CHECK(figure(with, "autoscale", "recs", "server_s").value > 720);
    const auto p99 = [](const RunResults& r) { return r.requests[0].latency.quantile(0.99); };  // shoppers/home
    REQUIRE(with.requests[0].name == "shoppers/home");
    CHECK(p99(with) < 0.5 * p99(without));
    // Mid-sale (window [150, 155) s): back to tens of ms with, seconds without.
    const std::size_t w = 29;
    REQUIRE(with.timeseries.start_s[w] == 150);
    CHECK(with.timeseries.requests[0].p99_s[w] < 0.2);
    CHECK(without.timeseries.requests[0].p99_s[w] > 2);
}

TEST_CASE("elastic: bad_server ejects the slow server and cuts the errors and the p99", "[scenario][elastic]") {
    const RunResults with = run(sc::load_file(scenario_file("bad_server.toml")));
    const RunResults without =
        run(sc::load_file(scenario_file("bad_server.toml"), {"service.api.outlier.consecutive_errors=1000000"}));
    CHECK(figure(with, "outlier_servers", "api/api-3", "ejections").count >= 3);
    CHECK(figure(with, "outlier_servers", "api/api-1", "ejections").count == 0);
    CHECK(figure(without, "outlier", "api", "ejections").count == 0);
    // Without ejection a tenth of the first attempts time out and a tenth of their retries
    // hit api-3 again: about 1% of 2,000/s fails after the disk goes bad at 60 s.
    CHECK(without.requests[0].errors > 3000);
    CHECK(with.requests[0].errors < without.requests[0].errors / 50);
    CHECK(with.requests[0].latency.quantile(0.99) < 0.05);
    CHECK(without.requests[0].latency.quantile(0.99) > 0.1);
}

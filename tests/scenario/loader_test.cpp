#include "scenario/loader.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

using s2sim::scenario::Spec;
namespace sc = s2sim::scenario;

namespace {

const std::string kData = std::string(S2SIM_SOURCE_DIR) + "/tests/scenario/data";

/// A minimal valid scenario, to which tests append sections.
const std::string kBase = R"toml([scenario]
duration = "60s"

[[server]]
name = "web"
count = 2

[service.front]
servers = ["web"]
op.home = { work = "exp(1ms)" }
)toml";

int service_index(const Spec& spec, const std::string& name) {
    const int i = spec.find_service(name);
    REQUIRE(i >= 0);
    return i;
}

}  // namespace

TEST_CASE("scenario: the docs/scenario.md example loads with every value resolved", "[scenario]") {
    const Spec spec = sc::load_file(kData + "/shop.toml");
    CHECK(spec.run.name == "shop");
    CHECK(spec.run.duration == 120.0);
    CHECK(spec.run.warmup == 10.0);
    CHECK_FALSE(spec.run.warmup_auto);
    CHECK(spec.run.seed == 1);
    CHECK(spec.run.replications == 1);
    CHECK(spec.run.window == 1.0);  // duration / 100 = 1.2 s, rounded down to 1, 2 or 5 x 10^k
    CHECK(spec.run.max_in_flight == 1'000'000);
    CHECK(spec.network.propagation_speed == Approx(2e8));

    // Groups: web (4) + app (3) + db (2) + db-replica (1) = 10 servers in 4 groups.
    REQUIRE(spec.groups.size() == 4);
    REQUIRE(spec.servers.size() == 10);
    CHECK(spec.servers[0].name == "web-1");
    CHECK(spec.servers[3].name == "web-4");
    CHECK(spec.servers[3].cores == 8);
    CHECK(spec.servers[3].queue == 512);
    CHECK(spec.servers[3].site == "eu-west");
    CHECK(spec.servers[4].name == "app-1");
    CHECK(spec.servers[4].discipline == sc::Discipline::ps);
    CHECK(spec.servers[4].threads == 200);
    CHECK_FALSE(spec.servers[4].queue.has_value());
    CHECK(spec.servers[9].name == "db-replica");
    CHECK(spec.groups[3].members == std::vector<int>{9});
    CHECK(spec.groups[1].members == std::vector<int>{4, 5, 6});
    CHECK(spec.servers[7].group == 2);

    // Links: 4 + 3 + 2 + 1 + 1 expanded from 5 [[link]] tables.
    CHECK(spec.link_entries == 5);
    REQUIRE(spec.links.size() == 11);
    const auto& l0 = spec.links[0];
    CHECK(spec.node_name(l0.a) == "web-1");
    CHECK(spec.node_name(l0.b) == "tor-eu");
    CHECK(l0.b.kind == sc::NodeKind::switch_);
    CHECK(l0.bandwidth_ab == Approx(10e9 / 8));
    CHECK(l0.distance == Approx(200));
    CHECK(l0.latency == Approx(5e-6));
    const auto& last = spec.links.back();
    CHECK(last.a.kind == sc::NodeKind::client);
    CHECK(last.bandwidth_ab == Approx(1e9 / 8));
    CHECK(last.bandwidth_ba == Approx(500e6));
    CHECK(last.entry == 4);

    // Services keep file order.
    REQUIRE(spec.services.size() == 10);
    CHECK(spec.services[0].name == "frontend");
    CHECK(spec.services[1].name == "catalog");
    CHECK(spec.services.back().name == "db");
    const auto& front = spec.services[0];
    CHECK(front.servers == std::vector<int>{0, 1, 2, 3});
    CHECK(front.balancer.policy == "round_robin");
    CHECK(front.health_check == 2.0);
    REQUIRE(front.ops.size() == 3);
    const auto& home = front.ops[0];
    CHECK(home.name == "home");
    CHECK(home.work.text == "exp(2ms)");
    CHECK(home.work.dist->mean() == Approx(0.002));
    CHECK(home.request.dist->mean() == Approx(1000));
    CHECK(home.response.dist->mean() == Approx(40000));
    REQUIRE(home.calls.size() == 3);
    CHECK(home.calls[0].calls.size() == 1);
    CHECK(home.calls[0].calls[0].target == "catalog.list");
    CHECK(home.calls[0].calls[0].service == service_index(spec, "catalog"));
    REQUIRE(home.calls[1].calls.size() == 2);
    CHECK(home.calls[1].calls[0].target == "recs.top");
    CHECK(home.calls[1].calls[1].target == "cart.peek");
    CHECK(home.calls[2].calls[0].target == "ads.pick");
    REQUIRE(home.async_calls.size() == 1);
    CHECK(home.async_calls[0].target == "analytics.track");
    CHECK(front.ops[1].work_after.has_value());
    CHECK(front.ops[2].response.dist->mean() == Approx(1000));  // default 1KB

    const auto& catalog = spec.services[1];
    CHECK(catalog.balancer.policy == "power_of_two");
    CHECK(catalog.balancer.choices == 3);
    CHECK(catalog.servers == std::vector<int>{4, 5});
    CHECK(spec.services[2].balancer.decay == 5.0);
    CHECK(spec.services[3].balancer.vnodes == 50);
    const auto& ads = spec.services[4];
    CHECK(ads.balancer.weights == std::vector<double>{3, 1, 1});
    CHECK(spec.services[5].ops[0].request.dist->mean() == Approx(2000));

    const auto& checkout = spec.services[6];
    CHECK(checkout.health_check == 1.0);
    CHECK(checkout.retry_budget == 0.2);
    const auto& pay = checkout.ops[0];
    REQUIRE(pay.calls.size() == 2);
    const auto& charge = pay.calls[0].calls[0];
    CHECK(charge.target == "payments.charge");
    CHECK(charge.timeout == 0.3);
    CHECK(charge.retries == 2);
    REQUIRE(charge.backoff.has_value());
    CHECK(charge.backoff->dist->mean() == Approx(0.05));
    CHECK(charge.required);
    CHECK(charge.probability == 1.0);
    CHECK(pay.calls[1].calls[0].probability == 0.3);
    CHECK(pay.calls[1].calls[0].target_pos.line == 120);
    CHECK(pay.calls[1].calls[0].target_pos.column == 17);
    CHECK(spec.services[8].ops[0].priority == 2);

    const auto& db = spec.services[9];
    CHECK(db.balancer.policy == "least_connections");
    REQUIRE(db.ops[0].replicate.has_value());
    const auto& rep = *db.ops[0].replicate;
    CHECK(rep.to == std::vector<int>{9});
    CHECK(rep.mode == sc::ReplicationMode::quorum);
    CHECK(rep.acks == 1);
    CHECK(rep.size == 4000);
    REQUIRE(rep.work.has_value());
    CHECK(rep.work->dist->mean() == Approx(0.0005));
    // Empirical data in ms, resolved next to the file: mean of 1, 2, 3, 6 ms.
    CHECK(db.ops[1].work.dist->mean() == Approx(0.003));
    CHECK(db.ops[1].work.text == "empirical(db_ms.csv, ms)");

    REQUIRE(spec.workloads.size() == 1);
    const auto& w = spec.workloads[0];
    CHECK(w.name == "shoppers");
    CHECK(w.from == 0);
    CHECK(w.from_pos.line == 145);
    CHECK(w.from_pos.column == 8);
    CHECK(w.to == 0);
    REQUIRE(std::holds_alternative<sc::PoissonArrival>(w.arrival.process));
    CHECK(std::get<sc::PoissonArrival>(w.arrival.process).rate == 800);
    REQUIRE(w.mix.size() == 3);
    CHECK(w.mix[0].op == 0);
    CHECK(w.mix[0].weight == Approx(0.7));
    CHECK(w.mix[2].op == 2);
    CHECK(w.mix[2].weight == Approx(0.1));

    REQUIRE(spec.events.size() == 2);
    CHECK(spec.events[0].target_kind == sc::TargetKind::server);
    CHECK(spec.servers[static_cast<std::size_t>(spec.events[0].target)].name == "db-1");
    CHECK(spec.events[0].duration == 20.0);
    CHECK(spec.events[0].action == sc::EventAction::fail);
    CHECK(spec.events[1].target_kind == sc::TargetKind::link);
    CHECK(spec.events[1].links == std::vector<int>{0});
    CHECK(spec.events[1].factor == 4);

    REQUIRE(spec.failures.size() == 1);
    CHECK(spec.failures[0].servers == std::vector<int>{4, 5, 6});
    CHECK(spec.failures[0].mtbf.dist->mean() == Approx(3600));

    const std::string summary = sc::summarize(spec);
    CHECK_THAT(summary, Catch::Matchers::Contains("10 servers in 4 groups"));
    CHECK_THAT(summary, Catch::Matchers::Contains("1 switch, 1 client, 11 links"));
    CHECK_THAT(summary, Catch::Matchers::Contains("10 services with 13 ops, 1 workload, 2 events"));
}

TEST_CASE("scenario: defaults are applied", "[scenario]") {
    const Spec spec = sc::parse(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = \"constant(10/s)\"\n",
                                "dir/inline.toml");
    CHECK(spec.run.name == "inline");
    CHECK(spec.run.warmup == 0);
    CHECK(spec.run.seed == 1);
    CHECK(spec.run.replications == 1);
    CHECK(spec.run.window == 0.5);  // 60 s / 100 = 0.6, rounded down to 0.5
    CHECK(spec.run.max_in_flight == 1'000'000);
    CHECK(spec.network.propagation_speed == 2e8);
    REQUIRE(spec.servers.size() == 2);
    CHECK(spec.servers[1].name == "web-2");
    CHECK(spec.servers[1].cores == 1);
    CHECK(spec.servers[1].speed == 1.0);
    CHECK(spec.servers[1].discipline == sc::Discipline::fcfs);
    CHECK_FALSE(spec.servers[1].queue);
    CHECK_FALSE(spec.servers[1].threads);
    CHECK_FALSE(spec.servers[1].site);
    const auto& front = spec.services[0];
    CHECK(front.balancer.policy == "round_robin");
    CHECK(front.health_check == 2.0);
    CHECK_FALSE(front.retry_budget);
    CHECK(front.ops[0].request.dist->mean() == 1000);
    CHECK(front.ops[0].response.dist->mean() == 1000);
    CHECK_FALSE(front.ops[0].priority);
    const auto& w = spec.workloads[0];
    CHECK_FALSE(w.from);
    REQUIRE(w.mix.size() == 1);  // the entry service's only op
    CHECK(w.mix[0].op == 0);
    CHECK(w.mix[0].weight == 1.0);
    CHECK(std::get<sc::ConstantArrival>(w.arrival.process).rate == 10);
    CHECK_FALSE(w.keys);
}

TEST_CASE("scenario: a single server keeps its name and is its own group", "[scenario]") {
    const Spec spec = sc::parse("[scenario]\nduration = \"1s\"\nwarmup = \"auto\"\nwindow = \"100ms\"\n"
                                "[[server]]\nname = \"solo\"\n[[switch]]\nname = \"s\"\n"
                                "[[link]]\nbetween = [\"solo\", \"s\"]\nbandwidth = \"1Gbps\"\n",
                                "x.toml");
    REQUIRE(spec.servers.size() == 1);
    CHECK(spec.servers[0].name == "solo");
    CHECK(spec.groups[0].members == std::vector<int>{0});
    CHECK(spec.run.warmup_auto);
    CHECK(spec.run.window == Approx(0.1));
    REQUIRE(spec.links.size() == 1);
    CHECK(spec.links[0].bandwidth_ab == Approx(1.25e8));
    CHECK(spec.links[0].bandwidth_ba == Approx(1.25e8));
}

TEST_CASE("scenario: arrival forms", "[scenario]") {
    auto arrival = [](const std::string& value) {
        const Spec spec = sc::parse(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = " + value + "\n",
                                    "a.toml");
        return spec.workloads.at(0).arrival;
    };
    SECTION("poisson string") {
        CHECK(std::get<sc::PoissonArrival>(arrival("\"poisson(3000/min)\"").process).rate == Approx(50));
    }
    SECTION("poisson table") {
        CHECK(std::get<sc::PoissonArrival>(arrival("{ process = \"poisson\", rate = \"5/s\" }").process).rate == 5);
    }
    SECTION("mmpp table") {
        const auto a = arrival(
            "{ process = \"mmpp\", states = [{ rate = \"100/s\", dwell = \"10s\" }, { rate = \"1000/s\", dwell = \"1s\" }] }");
        const auto& m = std::get<sc::MmppArrival>(a.process);
        REQUIRE(m.states.size() == 2);
        CHECK(m.states[0].rate == 100);
        CHECK(m.states[0].dwell == 10);
        CHECK(m.states[1].rate == 1000);
        CHECK(m.states[1].dwell == 1);
    }
    SECTION("mmpp string") {
        const auto a = arrival("\"mmpp(100/s, 10s, 1000/s, 500ms)\"");
        const auto& m = std::get<sc::MmppArrival>(a.process);
        REQUIRE(m.states.size() == 2);
        CHECK(m.states[1].dwell == Approx(0.5));
    }
    SECTION("rate schedule") {
        const auto a = arrival("{ process = \"poisson\", rate = [[\"0s\", \"500/s\"], [\"60s\", \"3000/s\"], "
                               "[\"90s\", \"500/s\"]], shape = \"linear\" }");
        const auto& s = std::get<sc::ScheduleArrival>(a.process);
        REQUIRE(s.points.size() == 3);
        CHECK(s.points[1].time == 60);
        CHECK(s.points[1].rate == 3000);
        CHECK(s.shape == sc::ScheduleShape::linear);
        CHECK(s.process == sc::ScheduleProcess::poisson);
    }
    SECTION("schedule defaults to steps") {
        const auto a = arrival("{ rate = [[\"0s\", \"5/s\"]] }");
        CHECK(std::get<sc::ScheduleArrival>(a.process).shape == sc::ScheduleShape::step);
    }
    SECTION("closed population") {
        const auto a = arrival("{ users = 500, think = \"exp(5s)\" }");
        const auto& c = std::get<sc::ClosedArrival>(a.process);
        CHECK(c.users == 500);
        CHECK(c.think.dist->mean() == Approx(5));
    }
}

TEST_CASE("scenario: a trace path is resolved against the file's folder", "[scenario]") {
    const Spec spec = sc::load_file(kData + "/sub/replay.toml");
    const auto& trace = std::get<sc::TraceArrival>(spec.workloads.at(0).arrival.process);
    const auto expected = std::filesystem::weakly_canonical(kData + "/traces/day.csv");
    CHECK(std::filesystem::weakly_canonical(trace.path) == expected);
    CHECK(std::filesystem::path(trace.path).is_absolute());
    CHECK(trace.speedup == 2.0);
    CHECK(spec.workloads[0].mix.empty());  // the trace names the ops
}

TEST_CASE("scenario: parse resolves relative paths against base_dir", "[scenario]") {
    const std::string text = kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\n"
                                     "arrival = { trace = \"traces/day.csv\" }\n";
    const Spec spec = sc::parse(text, "inline.toml", {}, kData);
    CHECK(std::filesystem::weakly_canonical(std::get<sc::TraceArrival>(spec.workloads[0].arrival.process).path) ==
          std::filesystem::weakly_canonical(kData + "/traces/day.csv"));
    CHECK(spec.base_dir == kData);
}

TEST_CASE("scenario: workload keys, balancer options and replication defaults", "[scenario]") {
    const std::string text = R"toml([scenario]
duration = "10s"
[[server]]
name = "db"
count = 5
[[client]]
name = "c"
[service.store]
servers = "db"
balancer = { policy = "maglev", table_size = 251 }
[service.store.op.put]
work = "exp(1ms)"
request = "2KB"
replicate = { to = ["db-4", "db-5", "db-3"], mode = "quorum" }
[service.store.op.get]
work = "exp(1ms)"
replicate = { to = "db", mode = "async" }
[[workload]]
name = "w"
from = "c"
to = "store"
arrival = "poisson(10/s)"
mix = { put = 1, get = 3 }
keys = { count = 1000, skew = 1.1 }
)toml";
    const Spec spec = sc::parse(text, "k.toml");
    const auto& store = spec.services[0];
    CHECK(store.balancer.table_size == 251);
    const auto& put = *store.ops[0].replicate;
    CHECK(put.to == std::vector<int>{3, 4, 2});
    CHECK(put.acks == 2);      // majority of 3
    CHECK(put.size == 2000);   // the op's request size
    CHECK_FALSE(put.work);
    CHECK(store.ops[1].replicate->acks == 0);
    CHECK(store.ops[1].replicate->to.size() == 5);
    const auto& w = spec.workloads[0];
    CHECK(w.from == 0);
    CHECK(w.mix[0].weight == Approx(0.25));
    CHECK(w.mix[1].weight == Approx(0.75));
    REQUIRE(w.keys);
    CHECK(w.keys->count == 1000);
    CHECK(w.keys->skew == 1.1);
}

TEST_CASE("scenario: calls may name a service with one op, and be optional", "[scenario]") {
    const std::string text = kBase + R"toml(
[service.back]
servers = "web-2"
op.only = { work = "exp(1ms)" }
[service.front.op.page]
work = "exp(1ms)"
calls = ["back", { op = "back.only", required = false, jitter = 0.5, retries = 1 }]
)toml";
    const Spec spec = sc::parse(text, "c.toml");
    const auto& page = spec.services[0].ops[1];
    CHECK(page.calls[0].calls[0].target == "back.only");
    CHECK_FALSE(page.calls[1].calls[0].required);
    CHECK(page.calls[1].calls[0].jitter == 0.5);
}

TEST_CASE("scenario: a Spec is a copyable value", "[scenario]") {
    const Spec spec = sc::load_file(kData + "/shop.toml");
    Spec copy = spec;
    copy.services[0].balancer.policy = "power_of_two";
    copy.servers[0].cores = 2;
    CHECK(spec.services[0].balancer.policy == "round_robin");
    CHECK(spec.servers[0].cores == 8);
    CHECK(copy.services[0].ops[0].work.dist == spec.services[0].ops[0].work.dist);  // shared, immutable
}

TEST_CASE("scenario: load_file reports a missing file", "[scenario][errors]") {
    CHECK_THROWS_AS(sc::load_file(kData + "/no-such-file.toml"), s2sim::Error);
}

TEST_CASE("scenario: every bundled scenario in scenarios/ loads", "[scenario]") {
    int loaded = 0;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(S2SIM_SOURCE_DIR) + "/scenarios")) {
        if (entry.path().extension() != ".toml") continue;
        INFO(entry.path().string());
        const Spec spec = sc::load_file(entry.path().string());
        CHECK(spec.run.duration > 0);
        CHECK_FALSE(spec.services.empty());
        CHECK_FALSE(spec.workloads.empty());
        ++loaded;
    }
    CHECK(loaded > 0);
}

TEST_CASE("scenario: an op may do no work", "[scenario]") {
    const Spec spec = sc::parse(kBase + "[service.front.op.proxy]\nwork = \"const(0s)\"\ncalls = [\"front.home\"]\n", "p.toml");
    CHECK(spec.services[0].ops[1].work.dist->mean() == 0);
}

#include "scenario/loader.hpp"

#include "scenario/arguments.hpp"
#include "scenario/footprint.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace sc = s2sim::scenario;
using Catch::Matchers::Contains;

namespace {

/// Ten lines; appended text starts on line 11.
const std::string kBase = R"toml([scenario]
duration = "60s"

[[server]]
name = "web"
count = 2

[service.front]
servers = ["web"]
op.home = { work = "exp(1ms)" }
)toml";

/// Parses `text` and checks the ConfigError's position and message.
void expect_error(const std::string& text, int line, int column, const std::string& message,
                  const std::vector<std::string>& overrides = {}) {
    INFO(text);
    try {
        (void)sc::parse(text, "bad.toml", overrides);
        FAIL("expected a ConfigError containing: " << message);
    } catch (const s2sim::ConfigError& e) {
        INFO(e.what());
        CHECK(e.where().line == line);
        CHECK(e.where().column == column);
        CHECK_THAT(e.message(), Contains(message));
        CHECK_THAT(e.what(), Contains(":" + std::to_string(line) + ":" + std::to_string(column) + ": error: "));
    }
}

std::string workload(const std::string& extra) {
    return kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = \"poisson(1/s)\"\n" + extra;
}

}  // namespace

TEST_CASE("scenario errors: a TOML syntax error points at the bad character", "[scenario][errors]") {
    expect_error("[scenario]\nduration = = \"5s\"\n", 2, 12, "invalid TOML (value): could not determine value type");
    expect_error("[scenario]\nduration = \"5s\"\n[scenario\n", 3, 10, "invalid TOML (table header): expected ']'");
}

TEST_CASE("scenario errors: an unknown key suggests the closest", "[scenario][errors]") {
    expect_error("[scenario]\nduration = \"60s\"\ndurration = \"1s\"\n", 3, 1,
                 "unknown key 'durration' in [scenario] (did you mean 'duration'?)");
    expect_error(kBase + "[services.x]\n", 11, 2, "unknown key 'services' in the scenario file (did you mean 'service'?)");
    expect_error(kBase + "[[server]]\nname = \"db\"\nthreds = 4\n", 13, 1,
                 "unknown key 'threds' in [[server]] at index 1 (did you mean 'threads'?)");
    // With no close match, the choices are listed.
    expect_error("[scenario]\nduration = \"60s\"\nzzzzzz = 1\n", 3, 1, "(expected: name, duration, warmup,");
}

TEST_CASE("scenario errors: a value of the wrong type", "[scenario][errors]") {
    expect_error("[scenario]\nduration = \"60s\"\nname = 5\n", 3, 8, "expected a string, got an integer");
    expect_error(kBase + "[[server]]\nname = \"db\"\ncores = \"4\"\n", 13, 9, "expected an integer, got a string");
    expect_error(kBase + "[[server]]\nname = \"db\"\nspeed = \"fast\"\n", 13, 9, "expected a number, got a string");
    expect_error(kBase + "[server]\nname = \"db\"\n", 11, 1, "cannot redefine existing array 'server' as table");
    expect_error("[scenario]\nduration = \"1s\"\n[server]\nname = \"db\"\n", 3, 1,
                 "expected an array of tables ([[server]]), got a table");
}

TEST_CASE("scenario errors: a missing required key points at its table", "[scenario][errors]") {
    expect_error("[scenario]\nseed = 1\n", 1, 1, "missing key 'duration' in [scenario]");
    expect_error(kBase + "\n[[switch]]\nsite = \"x\"\n", 12, 1, "missing key 'name' in [[switch]] at index 0");
    expect_error(kBase + "[service.front.op.x]\nrequest = \"1KB\"\n", 11, 1, "missing key 'work' in [service.front.op.x]");
    expect_error("[[server]]\nname = \"a\"\n", 1, 1, "missing section [scenario]");
}

TEST_CASE("scenario errors: a number without a unit", "[scenario][errors]") {
    expect_error("[scenario]\nduration = 60\n", 2, 12, "number without unit 60 (expected a time string such as \"5ms\")");
    expect_error("[scenario]\nduration = \"60\"\n", 2, 12, "number without unit '60'");
    expect_error(kBase + "[service.front.op.x]\nwork = 0.002\n", 12, 8, "number without unit 0.002");
}

TEST_CASE("scenario errors: an unknown unit", "[scenario][errors]") {
    expect_error("[scenario]\nduration = \"60sec\"\n", 2, 12, "unknown unit 'sec' in '60sec'");
    expect_error(kBase + "[[switch]]\nname = \"s\"\n[[link]]\nbetween = [\"web\", \"s\"]\nbandwidth = \"10GB\"\n", 15, 13,
                 "unknown unit");
}

TEST_CASE("scenario errors: zero or negative where a positive value is needed", "[scenario][errors]") {
    expect_error("[scenario]\nduration = \"0s\"\n", 2, 12, "expected a positive time, got '0s'");
    expect_error("[scenario]\nduration = \"-5s\"\n", 2, 12, "negative time '-5s'");
    expect_error(kBase + "[[server]]\nname = \"db\"\ncores = 0\n", 13, 9, "cores must be at least 1, got 0");
    expect_error(kBase + "[[server]]\nname = \"db\"\nspeed = -1.5\n", 13, 9, "speed must be positive, got -1.5");
    expect_error(workload("").replace(kBase.size(), std::string::npos,
                                      "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = \"poisson(0/s)\"\n"),
                 14, 11, "expected a positive rate, got '0/s'");
}

TEST_CASE("scenario errors: an unknown reference suggests existing names", "[scenario][errors]") {
    expect_error(kBase + "[[workload]]\nname = \"w\"\nto = \"frnt\"\narrival = \"poisson(1/s)\"\n", 13, 6,
                 "unknown service 'frnt' (did you mean 'front'?)");
    expect_error(kBase + "[service.front.op.x]\nwork = \"exp(1ms)\"\ncalls = [\"front.hme\"]\n", 13, 10,
                 "service 'front' has no op 'hme' (did you mean 'home'?)");
    expect_error(kBase + "[service.front.op.x]\nwork = \"exp(1ms)\"\ncalls = [\"fromt.home\"]\n", 13, 10,
                 "unknown service 'fromt' (did you mean 'front'?)");
    expect_error(kBase + "[service.b]\nservers = [\"wbe\"]\nop.x = { work = \"exp(1ms)\" }\n", 12, 12,
                 "unknown server 'wbe' (did you mean 'web'?)");
    expect_error(kBase + "[[link]]\nbetween = [\"web-1\", \"web-3\"]\nbandwidth = \"1Gbps\"\n", 12, 21,
                 "unknown node 'web-3' (did you mean");
    expect_error(workload("from = \"internet\"\n"), 15, 8, "unknown client 'internet'");
}

TEST_CASE("scenario errors: a duplicate name", "[scenario][errors]") {
    expect_error(kBase + "[[switch]]\nname = \"web\"\n", 12, 8, "duplicate name 'web' (already used at bad.toml:5:8)");
    expect_error(kBase + "[[server]]\nname = \"web-2\"\n", 12, 8, "duplicate name 'web-2'");
    expect_error(workload("[[workload]]\nname = \"w\"\nto = \"front\"\narrival = \"poisson(1/s)\"\n"), 16, 8,
                 "duplicate workload name 'w'");
}

TEST_CASE("scenario errors: a call cycle is named", "[scenario][errors]") {
    const std::string text = kBase + R"toml([service.a.op.x]
work = "exp(1ms)"
calls = ["b.y"]
[service.b]
servers = "web-1"
[service.b.op.y]
work = "exp(1ms)"
calls = ["c.z"]
[service.c]
servers = "web-1"
op.z = { work = "exp(1ms)", async = ["a.x"] }
[service.a]
servers = "web-2"
)toml";
    expect_error(text, 21, 38, "call cycle: a.x -> b.y -> c.z -> a.x");
    expect_error(kBase + "[service.front.op.x]\nwork = \"exp(1ms)\"\ncalls = [[\"front.home\", \"front.x\"]]\n", 13, 25,
                 "call cycle: front.x -> front.x");
}

TEST_CASE("scenario errors: a group where one node is required", "[scenario][errors]") {
    expect_error(kBase + "[[event]]\nat = \"1s\"\naction = \"fail\"\ntarget = \"web\"\n", 14, 10,
                 "'web' is a group of 2 servers; an event targets one server, such as 'web-1'");
    expect_error(workload("from = \"web\"\n"), 15, 8, "'web' is a server group, not a client");
    expect_error(kBase + "[[client]]\nname = \"c\"\n[service.b]\nservers = [\"c\"]\nop.x = { work = \"exp(1ms)\" }\n",
                 14, 12, "'c' is a client, not a server or group");
}

TEST_CASE("scenario errors: an unknown distribution", "[scenario][errors]") {
    expect_error(kBase + "[service.front.op.x]\nwork = \"expo(1ms)\"\n", 12, 8, "unknown distribution 'expo'");
}

TEST_CASE("scenario errors: a probability outside [0, 1]", "[scenario][errors]") {
    expect_error(kBase + "[service.front.op.x]\nwork = \"exp(1ms)\"\ncalls = [{ op = \"front.home\", probability = 1.5 }]\n",
                 13, 45, "probability 1.5 is outside [0, 1]");
}

TEST_CASE("scenario errors: mix weights and ops", "[scenario][errors]") {
    const std::string two_ops = kBase + "[service.front.op.search]\nwork = \"exp(1ms)\"\n";
    const std::string w = "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = \"poisson(1/s)\"\n";
    expect_error(two_ops + w + "mix = { home = 0, search = 0 }\n", 17, 7, "mix weights must add up to a positive number");
    expect_error(two_ops + w + "mix = { home = 1, serch = 1 }\n", 17, 19,
                 "service 'front' offers no op 'serch' (did you mean 'search'?)");
    expect_error(two_ops + w + "mix = { home = -1, search = 2 }\n", 17, 16, "mix weight must not be negative");
    expect_error(two_ops + w, 13, 1, "missing key 'mix' in [[workload]] 'w' (service 'front' offers several ops: home, search)");
}

TEST_CASE("scenario errors: an empty group", "[scenario][errors]") {
    expect_error(kBase + "[[server]]\nname = \"db\"\ncount = 0\n", 13, 9, "empty group: server 'db' has count = 0");
}

TEST_CASE("scenario errors: balancer policies and options", "[scenario][errors]") {
    expect_error(kBase + "[service.b]\nservers = \"web\"\nbalancer = \"round_robbin\"\nop.x = { work = \"exp(1ms)\" }\n", 13,
                 12, "unknown policy 'round_robbin' (did you mean 'round_robin'?)");
    expect_error(kBase + "[service.b]\nservers = \"web\"\nbalancer = { policy = \"random\", choices = 3 }\n", 13, 33,
                 "option 'choices' does not apply to policy 'random'");
    expect_error(kBase +
                     "[service.b]\nservers = \"web-1\"\nbalancer = { policy = \"weighted_random\", weights = { web-2 = 1 } }\n",
                 13, 54, "server 'web-2' is not one of service 'b''s servers");
}

TEST_CASE("scenario errors: events", "[scenario][errors]") {
    const std::string ev = "[[event]]\nat = \"1s\"\n";
    expect_error(kBase + ev + "action = \"break\"\ntarget = \"web-1\"\n", 13, 10,
                 "unknown action 'break' (expected: fail, recover, slow)");
    expect_error(kBase + "[[switch]]\nname = \"s\"\n" + ev + "action = \"fail\"\ntarget = \"web-1--s\"\n", 16, 10,
                 "no link between 'web-1' and 's'");
    expect_error(kBase + ev + "action = \"slow\"\ntarget = \"web-1\"\n", 11, 1, "missing key 'factor'");
    expect_error(kBase + ev + "action = \"fail\"\ntarget = \"web-1\"\nfactor = 2\n", 15, 10,
                 "'factor' applies only to action 'slow'");
}

TEST_CASE("scenario errors: replication", "[scenario][errors]") {
    expect_error(kBase + "[service.front.op.w]\nwork = \"exp(1ms)\"\nreplicate = { to = \"web\", mode = \"quorum\", acks = 3 }\n",
                 13, 51, "acks = 3 but there are only 2 replicas");
    expect_error(kBase + "[service.front.op.w]\nwork = \"exp(1ms)\"\nreplicate = { to = \"web\", mode = \"quorom\" }\n", 13,
                 34, "unknown replication mode 'quorom' (did you mean 'quorum'?)");
}

TEST_CASE("scenario errors: a missing trace file", "[scenario][errors]") {
    expect_error(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = { trace = \"nowhere.csv\" }\n", 14, 21,
                 "trace file 'nowhere.csv' not found");
}

// ---- issue 17: zero-time loops, impossible sizes, overflowing sums, --set integers ----

TEST_CASE("scenario errors: a model that loops without time passing is refused at its key", "[scenario][errors]") {
    // Closed users who think 0 s, sending requests with no work and no network.
    expect_error(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = { users = 3, think = \"const(0s)\" }\n",
                 14, 32, "zero-time loop: the users of workload 'w' think 'const(0s)'",
                 {"service.front.op.home.work=\"const(0s)\""});
    // Work anywhere on the way breaks the loop: no error.
    CHECK_NOTHROW(sc::parse(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = { users = 3, think = "
                                    "\"const(0s)\" }\n",
                            "ok.toml"));
    // Arrivals closer than the clock's nanosecond.
    expect_error(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = \"poisson(2e9/s)\"\n", 14, 11,
                 "rate 2e+09/s is above 1e9/s");
    expect_error(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = { process = \"constant\", rate = "
                         "\"5e9/s\" }\n",
                 14, 42, "rate 5e+09/s is above 1e9/s");
    expect_error(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = \"mmpp(1/s, 1s, 3e9/s, 1s)\"\n", 14, 11,
                 "rate 3e+09/s is above 1e9/s");
    CHECK_NOTHROW(sc::parse(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = \"poisson(1e9/s)\"\n", "ok.toml"));
    // A failure every 0 s.
    expect_error(kBase + "[[failure]]\ntarget = \"web-1\"\nmtbf = \"const(0s)\"\nmttr = \"exp(1s)\"\n", 13, 8,
                 "mtbf must have a positive mean, got 'const(0s)'");
}

TEST_CASE("scenario errors: impossible sizes are refused at their key, with the figure", "[scenario][errors]") {
    expect_error("[scenario]\nduration = \"1s\"\n[[server]]\nname = \"web\"\ncount = 2000000000\n", 5, 9,
                 "2000000000 servers would need about 7.5 TiB of memory, more than the 8.0 GiB a run may use");
    expect_error(kBase + "[[server]]\nname = \"db\"\ncores = 2147483647\n", 13, 9,
                 "a server with 2147483647 cores would need about 96 GiB");
    // From --set, the position is the override's.
    expect_error(kBase, 1, 18, "2 servers x 2147483647 cores would need about 192 GiB", {"server.web.cores=2147483647"});
    expect_error(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = { users = 1000000000000, think = "
                         "\"exp(1s)\" }\n",
                 14, 21, "1000000000000 closed users would need about 233 TiB");
    expect_error(workload("keys = { count = 4000000000000 }\n"), 15, 18, "4000000000000 keys would need about 146 TiB");
    expect_error("[scenario]\nduration = \"1000s\"\nwindow = \"10ms\"\n[[server]]\nname = \"web\"\ncount = 1000\n"
                 "[service.front]\nservers = [\"web\"]\nop.home = { work = \"exp(1ms)\" }\n",
                 3, 10, "1000 servers x 100000 windows of time series would need about 12 GiB");
    expect_error("[scenario]\nduration = \"1s\"\nreplications = 200000\n", 3, 16,
                 "replications = 200000 is too many (at most 100000)");
    // Each part fits, the whole does not: the scenario is refused at [scenario].
    s2sim::scenario::set_memory_budget(std::uint64_t{64} << 20);
    expect_error(kBase + "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = { users = 200000, think = "
                         "\"exp(1s)\" }\nkeys = { count = 1000000 }\n",
                 1, 1, "the scenario's servers, users, keys, statistics and time series would need about");
    expect_error(kBase, 1, 23, "1000 replications of about", {"scenario.replications=1000"});
    s2sim::scenario::set_memory_budget(std::uint64_t{8} << 30);
    // The budget bounds an experiment's replications together.
    const auto spec = sc::parse(kBase, "ok.toml");
    CHECK_NOTHROW(sc::check_replications_fit(spec, 100));
    CHECK_THROWS_WITH(sc::check_replications_fit(spec, 100001), Contains("100001 replications are too many"));
    CHECK_THROWS_AS(sc::check_replications_fit(spec, 100001), sc::UsageError);
}

TEST_CASE("scenario: weights and mixes whose sum overflows keep their ratios", "[scenario]") {
    const auto spec = sc::parse(kBase + "[service.front.balancer]\npolicy = \"weighted_random\"\n"
                                        "weights = { web-1 = 1e308, web-2 = 1e308 }\n"
                                        "[service.front.op.search]\nwork = \"exp(1ms)\"\n"
                                        "[[workload]]\nname = \"w\"\nto = \"front\"\narrival = \"poisson(1/s)\"\n"
                                        "mix = { home = 1.5e308, search = 1.5e308 }\n",
                                "big.toml");
    const auto& weights = spec.services[0].balancer.weights;
    REQUIRE(weights.size() == 2);
    CHECK(weights[0] == 1.0);
    CHECK(weights[1] == 1.0);
    REQUIRE(spec.workloads[0].mix.size() == 2);
    CHECK(spec.workloads[0].mix[0].weight == 0.5);
    CHECK(spec.workloads[0].mix[1].weight == 0.5);
    // Ratios survive the rescaling: 1e308 against 5e307 is 2 to 1.
    const auto uneven = sc::parse(kBase + "[service.front.balancer]\npolicy = \"weighted_round_robin\"\n"
                                          "weights = { web-1 = 1e308, web-2 = 5e307, web-3 = 1.7e308 }\n",
                                  "big.toml", {"server.web.count=3"});
    const auto& w = uneven.services[0].balancer.weights;
    REQUIRE(w.size() == 3);
    CHECK(w[0] / w[1] == Approx(2.0));
    CHECK(w[2] == 1.0);
}

TEST_CASE("scenario errors: a --set integer beyond 64 bits says so", "[scenario][errors]") {
    expect_error(kBase, 1, 18, "integer 18446744073709551616 is out of range", {"server.web.count=18446744073709551616"});
    expect_error(kBase, 1, 15, "integer -99999999999999999999 is out of range", {"scenario.seed=-99999999999999999999"});
    // Digits TOML refuses for another reason stay text, as before.
    CHECK(sc::parse(kBase, "ok.toml", {"scenario.name=007"}).run.name == "007");
    CHECK(sc::parse(kBase, "ok.toml", {"scenario.name=1__2"}).run.name == "1__2");
}

TEST_CASE("scenario errors: a --set value that is neither TOML nor text is a ConfigError", "[scenario][errors]") {
    // Found by fuzz_parsers: invalid UTF-8 and control characters used to escape as toml::parse_error.
    expect_error(kBase, 1, 15, "cannot read the value as TOML or as text", {"scenario.name=caf\xe9"});
    expect_error(kBase, 1, 15, "cannot read the value as TOML or as text", {"scenario.name=a\x01" "b"});
}

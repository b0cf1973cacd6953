#include "scenario/loader.hpp"

#include "scenario/experiment.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace sc = s2sim::scenario;
using Catch::Matchers::Contains;

namespace {

const std::string kText = R"toml([scenario]
duration = "60s"

[[server]]
name = "web"
count = 2

[[server]]
name = "db"

[service.front]
servers = ["web"]
balancer = "round_robin"
op.home = { work = "exp(1ms)" }

[[workload]]
name = "w"
to = "front"
arrival = "poisson(10/s)"
)toml";

}  // namespace

TEST_CASE("scenario overrides: set nested keys, array entries by name and new keys", "[scenario][overrides]") {
    const auto spec = sc::parse(kText, "o.toml",
                                {"service.front.balancer=power_of_two", "server.web.count=6", "scenario.duration=30s",
                                 "server.db.cores=8", "scenario.seed=7", "workload.w.arrival=poisson(20/s)",
                                 "service.front.health_check=5s", "server.1.site=eu"});
    CHECK(spec.services[0].balancer.policy == "power_of_two");
    CHECK(spec.servers.size() == 7);
    CHECK(spec.servers[5].name == "web-6");
    CHECK(spec.services[0].servers.size() == 6);
    CHECK(spec.run.duration == 30);
    CHECK(spec.servers[6].cores == 8);
    CHECK(spec.servers[6].site == "eu");
    CHECK(spec.run.seed == 7);
    CHECK(std::get<sc::PoissonArrival>(spec.workloads[0].arrival.process).rate == 20);
    CHECK(spec.services[0].health_check == 5);
}

TEST_CASE("scenario overrides: values parse as TOML when they can", "[scenario][overrides]") {
    const auto spec = sc::parse(kText, "o.toml",
                                {"service.front.balancer={ policy = \"power_of_two\", choices = 4 }",
                                 "service.front.servers=[\"web-1\", \"db\"]", "server.web.speed=2.5",
                                 "scenario.name=\"quoted\""});
    CHECK(spec.services[0].balancer.choices == 4);
    CHECK(spec.services[0].servers == std::vector<int>{0, 2});
    CHECK(spec.servers[0].speed == 2.5);
    CHECK(spec.run.name == "quoted");
}

TEST_CASE("scenario overrides: new tables are created along the path", "[scenario][overrides]") {
    const auto spec =
        sc::parse(kText, "o.toml", {"service.back.servers=db", "service.back.op.get.work=exp(2ms)", "network.propagation_speed=1e8m/s"});
    REQUIRE(spec.services.size() == 2);
    CHECK(spec.services[1].name == "back");
    CHECK(spec.services[1].ops[0].work.dist->mean() == Approx(0.002));
    CHECK(spec.network.propagation_speed == Approx(1e8));
}

TEST_CASE("scenario overrides: a bad path is an error naming it", "[scenario][overrides][errors]") {
    try {
        (void)sc::parse(kText, "o.toml", {"server.wbe.count=6"});
        FAIL("expected a ConfigError");
    } catch (const s2sim::ConfigError& e) {
        CHECK(e.where().file == "--set server.wbe.count=6");
        CHECK(e.where().line == 1);
        CHECK(e.where().column == 8);
        CHECK_THAT(e.message(), Contains("no entry named 'wbe' in 'server' (did you mean 'web'?)"));
    }
    try {
        (void)sc::parse(kText, "o.toml", {"scenario.duration.unit=s"});
        FAIL("expected a ConfigError");
    } catch (const s2sim::ConfigError& e) {
        CHECK(e.where().column == 19);
        CHECK_THAT(e.message(), Contains("'scenario.duration' is a string, not a table"));
    }
    CHECK_THROWS_WITH(sc::parse(kText, "o.toml", {"scenario.duration"}), Contains("has no '='"));
    CHECK_THROWS_WITH(sc::parse(kText, "o.toml", {"server.9.cores=2"}), Contains("index 9 is out of range"));
}

TEST_CASE("scenario overrides: errors in an overridden value point into the override", "[scenario][overrides][errors]") {
    try {
        (void)sc::parse(kText, "o.toml", {"service.front.balancer=round_robbin"});
        FAIL("expected a ConfigError");
    } catch (const s2sim::ConfigError& e) {
        CHECK(e.where().file == "--set service.front.balancer=round_robbin");
        CHECK(e.where().line == 1);
        CHECK(e.where().column == 24);
        CHECK_THAT(e.message(), Contains("unknown policy 'round_robbin' (did you mean 'round_robin'?)"));
    }
    try {
        (void)sc::parse(kText, "o.toml", {"scenario.durration=1s"});
        FAIL("expected a ConfigError");
    } catch (const s2sim::ConfigError& e) {
        CHECK(e.where().file == "--set scenario.durration=1s");
        CHECK_THAT(e.message(), Contains("unknown key 'durration' in [scenario] (did you mean 'duration'?)"));
    }
}

TEST_CASE("scenario overrides: the edited TOML text loads like the overrides", "[scenario][overrides]") {
    const std::string edited = sc::apply_overrides_to_text(kText, "o.toml", {"server.web.count=3", "scenario.duration=5s"});
    CHECK_THAT(edited, Contains("count = 3"));
    const auto spec = sc::parse(edited, "edited.toml");
    CHECK(spec.servers.size() == 4);
    CHECK(spec.run.duration == 5);
    CHECK(spec.workloads.size() == 1);
}

TEST_CASE("scenario overrides: KEY+=VALUE appends an entry to an array of tables", "[scenario][overrides]") {
    // No [[event]] in the file: the first append creates the array.
    const auto spec = sc::parse(kText, "o.toml",
                                {"event+={ at = \"5s\", action = \"fail\", target = \"db\", for = \"2s\" }",
                                 "event+={at=\"7s\", action=\"slow\", target=\"web-1\", factor=3}",
                                 "server+={ name = \"cache\", cores = 4 }", "service.front.servers+=cache"});
    REQUIRE(spec.events.size() == 2);
    CHECK(spec.events[0].at == 5);
    CHECK(spec.events[0].action == sc::EventAction::fail);
    CHECK(spec.events[1].at == 7);
    CHECK(spec.events[1].factor == 3);
    REQUIRE(spec.servers.size() == 4);
    CHECK(spec.servers[3].name == "cache");
    CHECK(spec.servers[3].cores == 4);
    CHECK(spec.services[0].servers == std::vector<int>{0, 1, 3});

    // The edited text holds the appended entries and loads the same.
    const std::string edited = sc::apply_overrides_to_text(kText, "o.toml", {"server+={ name = \"cache\" }"});
    CHECK(sc::parse(edited, "edited.toml").servers.size() == 4);
}

TEST_CASE("scenario overrides: appending errors point into the override", "[scenario][overrides][errors]") {
    const auto error_of = [](const std::string& set) -> s2sim::ConfigError {
        try {
            (void)sc::parse(kText, "o.toml", {set});
        } catch (const s2sim::ConfigError& e) {
            return e;
        }
        FAIL("expected a ConfigError for " << set);
        throw;
    };
    // An index into an array the file does not have: the issue's case, once blamed on line 0 of the file.
    auto e = error_of("event.0.at=60s");
    CHECK(e.where().file == "--set event.0.at=60s");
    CHECK(e.where().line == 1);
    CHECK(e.where().column == 7);
    CHECK_THAT(e.message(), Contains("there is no entry 0 of 'event'") && Contains("event+={ ... }"));

    e = error_of("server.2.cores=4");
    CHECK(e.where().column == 8);
    CHECK_THAT(e.message(), Contains("index 2 is out of range: 'server' has 2 entries, numbered from 0") &&
                                Contains("server+={ ... }"));

    // A table made by the override is where the loader's complaint points.
    e = error_of("event.at=60s");
    CHECK(e.where().file == "--set event.at=60s");
    CHECK(e.where().column == 1);
    CHECK_THAT(e.message(), Contains("expected an array of tables ([[event]]), got a table"));

    e = error_of("server+=\"cache\"");
    CHECK(e.where().column == 9);
    CHECK_THAT(e.message(), Contains("cannot append a string to 'server': its entries are tables"));

    e = error_of("scenario.duration+=5s");
    CHECK(e.where().column == 10);
    CHECK_THAT(e.message(), Contains("cannot append to 'scenario.duration': it is a string, not an array"));

    e = error_of("event+={ at = \"5s\", action = \"fial\", target = \"db\" }");
    CHECK(e.where().line == 1);
    CHECK(e.where().column == 30);
    CHECK_THAT(e.message(), Contains("'fial'"));

    // A key an override adds points at that key, not at its value.
    e = error_of("scenario.durration=1s");
    CHECK(e.where().column == 10);
}

TEST_CASE("scenario overrides: a compare variant can append", "[scenario][overrides]") {
    const auto [name, sets] =
        sc::parse_variant("outage: event+={ at = \"5s\", action = \"fail\", target = \"db\" }, server.web.count=3");
    CHECK(name == "outage");
    REQUIRE(sets.size() == 2);
    const auto spec = sc::parse(kText, "o.toml", sets);
    REQUIRE(spec.events.size() == 1);
    CHECK(spec.events[0].at == 5);
    CHECK(spec.servers.size() == 4);
}

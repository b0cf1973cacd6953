// Hedges, retry throttling and the metastability report from TOML to results
// (docs/resilience.md): the keys reach the model, and the bundled retry storm is flagged
// without throttling and not with it.
#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "scenario/builder.hpp"
#include "scenario/loader.hpp"
#include "tests/test_paths.hpp"

namespace {
using namespace s2sim;

models::RunResults run_file(const std::vector<std::string>& overrides) {
    const auto spec = scenario::load_file(std::string(S2SIM_SOURCE_DIR) + "/scenarios/retry_storm.toml", overrides);
    models::System system(scenario::build(spec, spec.run.seed));
    return system.run();
}

const models::RecordedTable* find(const models::RunResults& r, const std::string& name) {
    for (const auto& t : r.tables) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("scenario: hedge, retry_throttling and [metastability] keys are read", "[scenario][resilience]") {
    const std::string text = R"toml(
[scenario]
duration = "10s"
[[server]]
name = "web"
[[server]]
name = "db"
count = 2
[service.web]
servers = ["web"]
[service.web.op.home]
work = "const(0s)"
calls = [ { op = "db.get", hedge = { after = "p99.5", max = 2 } }, { op = "db.get", hedge = { after = "10ms" } } ]
[service.db]
servers = ["db"]
retry_throttling = { max_tokens = 50, token_ratio = 0.25 }
[service.db.op.get]
work = "exp(1ms)"
[metastability]
settle = "1min"
goodput_below = 0.25
)toml";
    const auto spec = scenario::parse(text, "keys.toml");
    const auto& calls = spec.services[0].ops[0].calls;
    REQUIRE(calls[0].calls[0].hedge);
    CHECK(calls[0].calls[0].hedge->percentile == Approx(0.995));
    CHECK(calls[0].calls[0].hedge->max == 2);
    CHECK(calls[1].calls[0].hedge->after == Approx(0.010));
    CHECK(calls[1].calls[0].hedge->max == 1);
    REQUIRE(spec.services[1].retry_throttling);
    CHECK(spec.services[1].retry_throttling->max_tokens == 50);
    CHECK(spec.services[1].retry_throttling->token_ratio == 0.25);
    REQUIRE(spec.metastability);
    CHECK(spec.metastability->settle == 60);
    CHECK(spec.metastability->goodput_below == 0.25);
    const auto model = scenario::build(spec, 1);
    CHECK(model.services[0].ops[0].steps[0][0].hedge->percentile == Approx(0.995));
    CHECK(model.services[1].retry_throttling->token_ratio == 0.25);
    CHECK(model.metastability->settle_s == 60);
}

TEST_CASE("scenario: the bundled retry storm is flagged, and not once throttled", "[scenario][resilience]") {
    const auto storm = run_file({});
    REQUIRE(storm.log.size() == 1);
    CHECK(storm.log[0].text ==
          "metastable: service db has stayed overloaded 238 s after the spike ended; retries amplify load 2.0x");
    CHECK(find(storm, "retry_throttling") == nullptr);  // not asked for: no table
    const auto calm = run_file({"service.db.retry_throttling={max_tokens=10, token_ratio=0.1}"});
    CHECK(calm.log.empty());
    const auto* throttling = find(calm, "retry_throttling");
    REQUIRE(throttling != nullptr);
    CHECK(throttling->rows.size() == 4);  // one bucket per web server
    // Throttled, the retries stop: amplification near 1 instead of 2.
    const auto* meta = find(calm, "metastability");
    REQUIRE(meta != nullptr);
    CHECK(meta->rows[1].name == "db");
    CHECK(meta->rows[1].figures[3].value < 1.01);
}

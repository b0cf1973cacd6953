// A `slow` [[event]] on a link, from TOML to results: its bandwidth is divided by the
// factor while the event lasts.
#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "scenario/builder.hpp"
#include "scenario/loader.hpp"

namespace {
double mean_latency(const std::string& event) {
    // One 100 KB request a second over an 8 Mbps (1 MB/s) link with no latency, and
    // no work: a request takes 0.1 s, and 0.4 s over the link slowed by 4. Responses
    // are empty. The messages never overlap, so the figures are exact.
    const std::string text = R"toml(
[scenario]
duration = "20s"
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
arrival = "constant(1/s)"
)toml" + event;
    const auto spec = s2sim::scenario::parse(text, "slow.toml");
    s2sim::models::System system(s2sim::scenario::build(spec, 1));
    const auto results = system.run();
    REQUIRE(results.requests.at(0).count >= 19);
    return results.requests.at(0).latency.mean();
}
}  // namespace

TEST_CASE("scenario: a slow event divides a link's bandwidth, and reverts", "[scenario][network]") {
    CHECK(mean_latency("") == Approx(0.1).epsilon(1e-6));
    CHECK(mean_latency("[[event]]\nat = \"0s\"\naction = \"slow\"\ntarget = \"c--s\"\nfactor = 4\n") ==
          Approx(0.4).epsilon(1e-6));
    // Slowed for the first 10 of the 20 requests: the mean is halfway between.
    const double half = mean_latency("[[event]]\nat = \"0s\"\naction = \"slow\"\ntarget = \"c--s\"\nfactor = 4\nfor = \"9.5s\"\n");
    CHECK(half > 0.2);
    CHECK(half < 0.3);
}

// The analytic solver: traffic equations, Erlang C, and analyze() on hand-built models.
#include "models/analytic.hpp"

#include <cmath>

#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "sim/error.hpp"

using namespace s2sim;
using Catch::Matchers::Contains;

TEST_CASE("analytic: Erlang C matches hand-computed values", "[models][theory]") {
    // c = 1: C = rho. c = 2, a = 1: B = 1/5, C = B / (1 - 0.5 (1 - B)) = 1/3.
    CHECK(models::erlang_c(1, 0.7) == Approx(0.7).epsilon(1e-12));
    CHECK(models::erlang_c(2, 1.0) == Approx(1.0 / 3.0).epsilon(1e-12));
    CHECK(models::erlang_c(3, 3.0) == 1.0);
    // M/M/1, lambda 1, mean service 0.5: W_q = rho / (mu - lambda) = 0.5 / 1.
    CHECK(models::mmc_wait(1.0, 0.5, 1) == Approx(0.5).epsilon(1e-12));
    // M/M/2, lambda 1, mean service 1: W_q = C / (c mu - lambda) = (1/3) / 1.
    CHECK(models::mmc_wait(1.0, 1.0, 2) == Approx(1.0 / 3.0).epsilon(1e-12));
    CHECK(std::isinf(models::mmc_wait(2.0, 1.0, 2)));
}

TEST_CASE("analytic: traffic equations of a Jackson network with feedback", "[models][theory]") {
    // Station 0 (mu 4) -> station 1 (mu 3); after 1, back to 0 with probability 0.5.
    // x0 = 1 + 0.5 x1, x1 = x0 -> x0 = x1 = 2. Jackson: each station is M/M/1 with
    // its visit rate, so the mean sojourn is sum x_i / lambda / (mu_i - x_i) = 2/2 + 2/1 = 3.
    const std::vector<double> external{1.0, 0.0};
    const std::vector<std::vector<double>> routing{{0.0, 1.0}, {0.5, 0.0}};
    const auto x = models::solve_traffic(external, routing);
    REQUIRE(x.size() == 2);
    CHECK(x[0] == Approx(2.0).epsilon(1e-12));
    CHECK(x[1] == Approx(2.0).epsilon(1e-12));
    const double sojourn = x[0] * (1.0 / (4.0 - x[0]) / 1.0) + x[1] * (1.0 / (3.0 - x[1]));
    CHECK(sojourn == Approx(3.0).epsilon(1e-12));
    // Using the solver's M/M/c pieces gives the same: per visit W = W_q + 1/mu.
    const double w0 = models::mmc_wait(x[0], 0.25, 1) + 0.25;
    const double w1 = models::mmc_wait(x[1], 1.0 / 3.0, 1) + 1.0 / 3.0;
    CHECK(x[0] * w0 + x[1] * w1 == Approx(3.0).epsilon(1e-12));
}

TEST_CASE("analytic: a closed loop and mismatched sizes are errors", "[models][errors]") {
    const std::vector<double> external{1.0};
    CHECK_THROWS_WITH(models::solve_traffic(external, {{1.0}}), Contains("closed loop"));
    CHECK_THROWS_WITH(models::solve_traffic(external, {{0.0}, {0.0}}), Contains("routing rows"));
    // A station that sends back more than it receives: visits diverge.
    CHECK_THROWS_WITH(models::solve_traffic(external, {{2.0}}), Contains("without bound"));
}

namespace {

/// Service `name` of one single-core server with exponential work of `mean` seconds.
void add_station(models::SystemModel& m, const std::string& name, double mean) {
    models::HostModel host;
    host.server.name = name;
    m.hosts.push_back(host);
    models::ServiceModel s;
    s.name = name;
    s.servers = {static_cast<std::uint32_t>(m.hosts.size() - 1)};
    models::OpModel op;
    op.name = "op";
    op.work = make_exponential(mean);
    s.ops.push_back(op);
    m.services.push_back(s);
}

}  // namespace

TEST_CASE("analytic: probabilistic and async calls set the visit rates", "[models][theory]") {
    // a calls b with probability 0.5 and fires c asynchronously; lambda = 1.
    // Visits: a 1, b 0.5, c 1. Latency = W_a + 0.5 W_b (c is not waited for), each M/M/1:
    // W_a = 1 / (4 - 1) = 1/3, W_b = 1 / (2 - 0.5) = 2/3 -> 1/3 + 1/3 = 2/3.
    models::SystemModel m;
    add_station(m, "a", 0.25);
    add_station(m, "b", 0.5);
    add_station(m, "c", 0.5);
    m.services[0].ops[0].steps = {{models::CallModel{1, 0, 0.5, true}}};
    m.services[0].ops[0].async_calls = {models::CallModel{2, 0, 1.0, true}};
    models::WorkloadModel w;
    w.name = "jobs";
    w.service = 0;
    w.ops = {0};
    w.weights = {1.0};
    m.workloads.push_back(w);
    const std::vector<double> rates{1.0};
    const auto r = models::analyze(m, rates);
    REQUIRE(r.ops.size() == 3);
    CHECK(r.ops[1].visit_rate == Approx(0.5).epsilon(1e-12));
    CHECK(r.ops[2].visit_rate == Approx(1.0).epsilon(1e-12));
    CHECK(r.servers[2].utilization == Approx(0.5).epsilon(1e-12));
    REQUIRE(r.requests.size() == 1);
    CHECK(r.requests[0].name == "jobs/op");
    CHECK(r.requests[0].latency_s == Approx(2.0 / 3.0).epsilon(1e-12));
    CHECK_FALSE(r.saturated());
}

TEST_CASE("analytic: a server at rho >= 1 is flagged saturated", "[models]") {
    models::SystemModel m;
    add_station(m, "a", 1.0);
    models::WorkloadModel w;
    w.name = "jobs";
    w.ops = {0};
    w.weights = {1.0};
    m.workloads.push_back(w);
    const std::vector<double> rates{1.25};
    const auto r = models::analyze(m, rates);
    CHECK(r.saturated());
    CHECK(r.servers[0].utilization == Approx(1.25));
    CHECK(std::isinf(r.requests[0].latency_s));
}

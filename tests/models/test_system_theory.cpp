// Balancers in a running system against queueing theory: n FCFS servers with
// exp(1) work behind one balancer, Poisson arrivals, no network. Independent
// replications (different master seeds) give a Student-t confidence interval.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "sim/stats/confidence.hpp"
#include "sim/stats/welford.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

SystemModel pool(unsigned n, double lambda_per_server, const BalancerOptions& balancer, std::uint64_t seed,
                 double duration_s, double warmup_s) {
    SystemModel m;
    m.name = "pool";
    m.seed = seed;
    m.duration_s = duration_s;
    m.warmup_s = warmup_s;
    ServiceModel service;
    service.name = "pool";
    service.balancer = balancer;
    for (unsigned i = 0; i < n; ++i) {
        HostModel host;
        host.server.name = "s-" + std::to_string(i + 1);
        m.hosts.push_back(host);
        service.servers.push_back(i);
    }
    OpModel op;
    op.name = "serve";
    op.work = make_exponential(1.0);
    service.ops.push_back(op);
    m.services.push_back(std::move(service));
    WorkloadModel w;
    w.name = "jobs";
    w.service = 0;
    w.ops = {0};
    w.weights = {1.0};
    w.arrival = PoissonArrivals{lambda_per_server * n};
    m.workloads.push_back(w);
    return m;
}

struct Estimate {
    double mean;
    double half_width;  // 99.9% Student-t over replications
};

Estimate mean_response(unsigned n, double lambda, const char* policy, int replications, double duration_s) {
    BalancerOptions options;
    options.policy = policy;
    std::vector<double> means;
    for (int r = 0; r < replications; ++r) {
        System system(pool(n, lambda, options, 100 + r, duration_s, duration_s / 10));
        const RunResults results = system.run();
        REQUIRE(results.stopped_early.empty());
        means.push_back(results.requests.at(0).latency.mean());
    }
    stats::Welford w;
    for (const double m : means) w.add(m);
    return {w.mean(), stats::ci_half_width(means, 0.999)};
}

}  // namespace

TEST_CASE("system: random over 2 servers is two M/M/1 queues", "[models][theory][balancers]") {
    // Each server sees Poisson(0.8): W = 1 / (1 - 0.8) = 5.
    const Estimate e = mean_response(2, 0.8, "random", 10, 50'000);
    INFO(e.mean << " +- " << e.half_width);
    CHECK(std::abs(e.mean - 5.0) <= e.half_width);
    CHECK(e.half_width < 0.25);
}

TEST_CASE("system: join_shortest_queue over 2 servers at rho = 0.8", "[models][theory][balancers]") {
    // Exact value for symmetric 2-server JSQ with exponential work (numerical solution
    // of the two-dimensional Markov chain): W = 2.95574.
    const Estimate e = mean_response(2, 0.8, "join_shortest_queue", 10, 50'000);
    INFO(e.mean << " +- " << e.half_width);
    CHECK(std::abs(e.mean - 2.95574) <= e.half_width);
    CHECK(e.half_width < 0.1);
}

TEST_CASE("system: power_of_two, 100 servers, d = 2, lambda = 0.9", "[models][theory][balancers]") {
    // Mitzenmacher's supermarket model; for n = 100 the mean response is 2.645
    // (the n -> infinity limit, sum_i lambda^((d^i - d)/(d - 1)), is 2.6141).
    // At rho = 0.9 a run's mean response mostly follows its realised load, so plain
    // replications would need hours for +-0.01. The mean utilisation has a known
    // expectation (0.9) and is a control variate (Law & Kelton, ch. 11):
    // Y_cv = mean(Y) - beta (mean(U) - 0.9), beta by least squares over replications,
    // with a Student-t interval on R - 2 degrees of freedom.
    constexpr int replications = 24;
    BalancerOptions options;
    options.policy = "power_of_two";
    std::vector<double> y, u;
    for (int r = 0; r < replications; ++r) {
        System system(pool(100, 0.9, options, 100 + r, 2'000, 200));
        const RunResults results = system.run();
        y.push_back(results.requests.at(0).latency.mean());
        double utilization = 0;
        for (const auto& s : results.servers) utilization += s.utilization / 100.0;
        u.push_back(utilization);
    }
    stats::Welford wy, wu;
    for (int i = 0; i < replications; ++i) {
        wy.add(y[i]);
        wu.add(u[i]);
    }
    double sxy = 0, sxx = 0;
    for (int i = 0; i < replications; ++i) {
        sxy += (u[i] - wu.mean()) * (y[i] - wy.mean());
        sxx += (u[i] - wu.mean()) * (u[i] - wu.mean());
    }
    const double beta = sxy / sxx;
    const double estimate = wy.mean() - beta * (wu.mean() - 0.9);
    double residuals = 0;
    for (int i = 0; i < replications; ++i) {
        const double e = y[i] - wy.mean() - beta * (u[i] - wu.mean());
        residuals += e * e;
    }
    const double se = std::sqrt(residuals / (replications - 2) *
                                (1.0 / replications + (wu.mean() - 0.9) * (wu.mean() - 0.9) / sxx));
    const double half_width = stats::student_t_quantile(0.995, replications - 2) * se;  // 99%
    INFO("raw " << wy.mean() << ", control-variate estimate " << estimate << " +- " << half_width);
    CHECK(std::abs(estimate - 2.645) <= 0.01);
    CHECK(half_width < 0.01);
    CHECK(estimate > 2.6141);  // finite n is worse than the limit
}

TEST_CASE("system: M/M/2/5 latency covers admitted requests only", "[models][theory][results]") {
    // One server with 2 cores and room for 3 waiting (K = 5), lambda = 1.6, mu = 1.
    // Stationary distribution of the birth-death chain: p_n ~ a^n / n! for n <= c,
    // a^n / (c! c^(n-c)) above; an arrival is turned away with probability p_K. By
    // Little's law the admitted customers' mean sojourn is L / (lambda (1 - p_K)).
    constexpr unsigned c = 2, k = 5;
    constexpr double lambda = 1.6;
    std::vector<double> p(k + 1);
    double norm = 0;
    for (unsigned n = 0; n <= k; ++n) {
        double w = 1;
        for (unsigned i = 1; i <= n; ++i) w *= lambda / std::min(i, c);
        p[n] = w;
        norm += w;
    }
    double mean_in_system = 0;
    for (unsigned n = 0; n <= k; ++n) mean_in_system += n * p[n] / norm;
    const double blocking = p[k] / norm;
    const double admitted_sojourn = mean_in_system / (lambda * (1 - blocking));

    std::vector<double> means, error_means, blocked;
    for (int r = 0; r < 20; ++r) {
        BalancerOptions options;
        SystemModel m = pool(1, lambda, options, 300 + r, 20'000, 2'000);
        m.hosts[0].server.cores = c;
        m.hosts[0].server.queue_limit = k - c;
        System system(std::move(m));
        const RunResults results = system.run();
        const RequestResult& q = results.requests.at(0);
        REQUIRE(q.rejected > 0);
        // Every request is timed once: successes in `latency`, failures in `error_latency`.
        CHECK(q.latency.count() + q.error_latency.count() == q.count);
        CHECK(q.error_latency.count() == q.errors);
        means.push_back(q.latency.mean());
        error_means.push_back(q.error_latency.mean());
        blocked.push_back(static_cast<double>(q.rejected) / static_cast<double>(q.count));
    }
    stats::Welford mean, block;
    for (const double x : means) mean.add(x);
    for (const double x : blocked) block.add(x);
    const double half_width = stats::ci_half_width(means, 0.999);
    INFO("admitted sojourn: simulated " << mean.mean() << " ± " << half_width << ", theory " << admitted_sojourn);
    CHECK(std::abs(mean.mean() - admitted_sojourn) < half_width);
    CHECK(std::abs(block.mean() - blocking) < stats::ci_half_width(blocked, 0.999));
    // Without a network a rejection answers at once: failures do not pull the latency down.
    for (const double x : error_means) CHECK(x < 1e-6);
}

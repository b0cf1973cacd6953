// Theory tests: a server driven directly from C++ against queueing formulas.
// Each run is split into batches after a warm-up; the batch means give a
// Student-t confidence interval (99.9%), and the formula must fall inside it.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "models/server.hpp"
#include "sim/distribution.hpp"
#include "sim/random.hpp"
#include "sim/simulation.hpp"
#include "sim/stats/log_histogram.hpp"
#include "sim/stats/confidence.hpp"
#include "sim/stats/welford.hpp"

namespace {
using namespace s2sim;
using models::Discipline;
using models::Server;
using models::ServerConfig;

struct BatchResult {
    std::vector<double> mean_response;  ///< per batch
    std::vector<double> p99_response;   ///< per batch
    std::vector<double> blocking;       ///< per batch: rejected / offered
};

/// Poisson arrivals at `lambda` into one server; the token of each job is its arrival time.
class QueueExperiment final : public models::JobListener {
public:
    QueueExperiment(ServerConfig config, double lambda, DistributionPtr work, std::uint64_t seed)
        : server_(sim_, std::move(config), *this),
          lambda_(lambda),
          work_(std::move(work)),
          arrivals_(seed, "arrivals"),
          service_(seed, "service") {}

    BatchResult run(std::uint64_t warmup_customers, std::uint64_t batch_customers, int batches) {
        schedule_arrival();
        BatchResult out;
        target_ = warmup_customers;
        run_batch();  // discarded
        for (int b = 0; b < batches; ++b) {
            histogram_.reset();
            offered_ = rejected_ = 0;
            target_ = batch_customers;
            run_batch();
            out.mean_response.push_back(histogram_.mean());
            out.p99_response.push_back(histogram_.quantile(0.99));
            out.blocking.push_back(static_cast<double>(rejected_) / static_cast<double>(offered_));
        }
        return out;
    }

    void job_finished(Server&, std::uint64_t token) override {
        histogram_.record((sim_.now() - Time::from_ns(static_cast<std::int64_t>(token))).seconds());
    }
    void job_dropped(Server&, std::uint64_t) override { FAIL("no failures in theory tests"); }

private:
    void run_batch() {
        done_ = 0;
        sim_.run();  // arrive() stops the loop when the batch has all its customers
    }
    void schedule_arrival() {
        const double gap = -std::log(arrivals_.uniform01()) / lambda_;
        sim_.schedule_in(Time::from_seconds(gap), [this] { arrive(); });
    }
    void arrive() {
        ++offered_;
        if (!server_.submit(work_->sample(service_), static_cast<std::uint64_t>(sim_.now().ns()))) {
            ++rejected_;
        }
        schedule_arrival();
        if (++done_ == target_) sim_.stop();
    }

    Simulation sim_;
    Server server_;
    double lambda_;
    DistributionPtr work_;
    RandomStream arrivals_;
    RandomStream service_;
    stats::LogHistogram histogram_;
    std::uint64_t target_ = 0, done_ = 0, offered_ = 0, rejected_ = 0;
};

/// The 99.9% Student-t confidence interval of the batch values contains `expected`.
void check_within_ci(const std::vector<double>& batches, double expected) {
    stats::Welford s;
    for (const double b : batches) s.add(b);
    const double half = stats::ci_half_width(batches, 0.999);
    INFO("batch mean " << s.mean() << " +- " << half << ", theory " << expected);
    CHECK(std::abs(s.mean() - expected) <= half);
    // And the interval is tight enough to mean something: within 5% of the value.
    CHECK(half <= 0.05 * expected);
}

ServerConfig config(unsigned cores, Discipline d = Discipline::fcfs,
                    std::optional<std::size_t> queue = std::nullopt) {
    return ServerConfig{"s", cores, 1.0, d, queue};
}
}  // namespace

TEST_CASE("server: M/M/1 response time mean and p99", "[models][theory]") {
    // W = 1/(mu - lambda) = 5; response time is exp(mu - lambda), so p99 = ln(100)/0.2 = 23.026.
    QueueExperiment q(config(1), 0.8, make_exponential(1.0), 11);
    const auto r = q.run(20'000, 50'000, 40);
    check_within_ci(r.mean_response, 5.0);
    check_within_ci(r.p99_response, 23.026);
}

TEST_CASE("server: M/M/c (Erlang C) response time mean and p99", "[models][theory]") {
    // c=4, lambda=3.2, mu=1: a = 3.2, rho = 0.8, Erlang C P(wait) = 0.59577;
    // W = 1/mu + C/(c mu - lambda) = 1 + 0.59577/0.8 = 1.74554; p99 = 6.893 (from the
    // response-time distribution, a mixture of exp(mu) and exp(mu) + exp(c mu - lambda)).
    QueueExperiment q(config(4), 3.2, make_exponential(1.0), 12);
    const auto r = q.run(20'000, 50'000, 40);
    check_within_ci(r.mean_response, 1.74554);
    check_within_ci(r.p99_response, 6.893);
}

TEST_CASE("server: M/D/1 response time", "[models][theory]") {
    // Pollaczek-Khinchine with D = 1: W = D + rho D / (2 (1 - rho)) = 1 + 0.8/0.4 = 3.
    QueueExperiment q(config(1), 0.8, make_constant(1.0), 13);
    check_within_ci(q.run(20'000, 50'000, 40).mean_response, 3.0);
}

TEST_CASE("server: M/G/1 with hyperexponential work (Pollaczek-Khinchine)", "[models][theory]") {
    // Balanced-means H2 with E[S] = 1 and SCV 4: E[S^2] = (1 + 4) = 5, p(1-p) = 0.1.
    // W = E[S] + lambda E[S^2] / (2 (1 - rho)) = 1 + 0.8 * 5 / 0.4 = 11.
    const double p = (1.0 - std::sqrt(1.0 - 0.4)) / 2.0;
    const auto work =
        parse_distribution(fmt::format("hyperexp({:.17g}, {:.17g}s, {:.17g}s)", p, 0.5 / p, 0.5 / (1.0 - p)));
    REQUIRE(work->mean() == Approx(1.0));
    REQUIRE(work->variance() == Approx(4.0));
    QueueExperiment q(config(1), 0.8, work, 14);
    check_within_ci(q.run(50'000, 150'000, 40).mean_response, 11.0);
}

TEST_CASE("server: M/G/1-PS mean response is insensitive to the work distribution", "[models][theory]") {
    // E[T] = E[S] / (1 - rho) = 5 for any work distribution with mean 1.
    SECTION("deterministic") {
        QueueExperiment q(config(1, Discipline::ps), 0.8, make_constant(1.0), 15);
        check_within_ci(q.run(20'000, 50'000, 40).mean_response, 5.0);
    }
    SECTION("exponential") {
        QueueExperiment q(config(1, Discipline::ps), 0.8, make_exponential(1.0), 16);
        check_within_ci(q.run(20'000, 50'000, 40).mean_response, 5.0);
    }
    SECTION("pareto") {
        // alpha = 2.5, minimum 0.6: mean = alpha min / (alpha - 1) = 1, finite variance.
        QueueExperiment q(config(1, Discipline::ps), 0.8, parse_distribution("pareto(2.5, 0.6s)"), 17);
        check_within_ci(q.run(20'000, 50'000, 40).mean_response, 5.0);
    }
}

TEST_CASE("server: loss systems match Erlang B and M/M/c/K", "[models][theory]") {
    SECTION("M/M/15/15 at offered load 10 (Erlang B)") {
        // B(15, 10) = (10^15/15!) / sum_k (10^k/k!) = 0.036497.
        QueueExperiment q(config(15, Discipline::fcfs, 0), 10.0, make_exponential(1.0), 18);
        check_within_ci(q.run(20'000, 50'000, 40).blocking, 0.036497);
    }
    SECTION("M/M/2 with room for 5 in total") {
        // lambda = 1.6, mu = 1, c = 2, K = 5: p_n from the birth-death chain, blocking p_5 = 0.102744.
        QueueExperiment q(config(2, Discipline::fcfs, 3), 1.6, make_exponential(1.0), 19);
        check_within_ci(q.run(20'000, 50'000, 40).blocking, 0.102744);
    }
}

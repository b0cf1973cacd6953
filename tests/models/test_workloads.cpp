// Arrival processes against theory: rate schedules (counts per window against the
// integral of the rate), MMPP (long-run rate and index of dispersion of counts),
// closed populations (exact Mean Value Analysis), and the time series of a run.
#include <cmath>
#include <vector>

#include <Eigen/Dense>
#include <boost/math/distributions/chi_squared.hpp>
#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "models/workload/mmpp.hpp"
#include "models/workload/rate_schedule.hpp"
#include "sim/error.hpp"
#include "sim/stats/confidence.hpp"
#include "sim/stats/welford.hpp"
#include "tests/models/fixtures.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

/// Arrival counts of `process` in `windows` consecutive windows of `window_s`.
std::vector<double> counts(ArrivalProcess& process, RandomStream& rng, double window_s, std::size_t windows) {
    std::vector<double> out(windows, 0.0);
    Time t = Time::zero();
    const Time end = Time::from_seconds(window_s * static_cast<double>(windows));
    for (;;) {
        t = process.next(t, rng);
        if (t >= end) break;
        ++out[static_cast<std::size_t>(t.seconds() / window_s)];
    }
    return out;
}

/// One server, one op of `work` (null: none), one workload with `arrival`.
SystemModel single_server(ArrivalModel arrival, DistributionPtr work, std::uint64_t seed, double duration_s,
                          double warmup_s) {
    SystemModel m;
    m.name = "one";
    m.seed = seed;
    m.duration_s = duration_s;
    m.warmup_s = warmup_s;
    HostModel host;
    host.server.name = "s";
    m.hosts.push_back(host);
    ServiceModel service;
    service.name = "svc";
    service.servers = {0};
    OpModel op;
    op.name = "op";
    op.work = std::move(work);
    service.ops.push_back(op);
    m.services.push_back(std::move(service));
    m.workloads.push_back(s2sim::testing::one_op_workload("w", 0, std::move(arrival)));
    return m;
}

}  // namespace

TEST_CASE("rate schedule: integral and inverse agree on linear and step pieces", "[models][workloads]") {
    ScheduleArrivals p{{10, 20, 30}, {100, 300, 0}, true, false};
    RateSchedule s(p);
    CHECK(s.integral(10) == Approx(1000));                  // 100/s before the first point
    CHECK(s.integral(20) == Approx(1000 + 2000));           // trapezoid 100 -> 300 over 10 s
    CHECK(s.integral(30) == Approx(3000 + 1500));           // 300 -> 0 over 10 s
    CHECK(s.integral(1000) == Approx(4500));                // rate 0 after the last point
    CHECK(s.rate(15) == Approx(200));
    for (const double t : {0.5, 9.0, 12.5, 19.9, 25.0, 29.0}) CHECK(s.inverse(s.integral(t)) == Approx(t));
    CHECK(std::isinf(s.inverse(4501)));                     // the rate ends at 0: no more arrivals
    ScheduleArrivals q{{0, 5}, {10, 20}, false, false};
    RateSchedule step(q);
    CHECK(step.integral(5) == Approx(50));
    CHECK(step.integral(7) == Approx(90));
    CHECK(step.rate(4.99) == 10);
}

TEST_CASE("rate schedule: Poisson counts per window match the integral of the rate", "[models][workloads][theory]") {
    // Counts in disjoint windows of a non-homogeneous Poisson process are independent
    // Poisson(m_i), m_i = Lambda(b_i) - Lambda(a_i). Each window: |N_i - m_i| <= z sqrt(m_i)
    // with z = 4.06 (two-sided 1e-4 per window, 0.4% over the 40 windows of both shapes);
    // all windows together: sum (N_i - m_i)^2 / m_i is chi-square with 20 degrees of
    // freedom (normal approximation, m_i >= 500), checked against its 99.9% quantile.
    for (const bool linear : {true, false}) {
        INFO((linear ? "linear" : "step"));
        ScheduleArrivals p{{0, 30, 60, 90}, {500, 3000, 3000, 500}, linear, false};
        ScheduleProcess process(p);
        RateSchedule schedule(p);
        RandomStream rng(7, linear ? "linear" : "step");
        constexpr double window = 5;
        const std::vector<double> n = counts(process, rng, window, 20);
        double chi2 = 0;
        for (std::size_t i = 0; i < n.size(); ++i) {
            const double m = schedule.integral(window * (i + 1)) - schedule.integral(window * i);
            INFO("window " << i << ": " << n[i] << " arrivals, expected " << m);
            CHECK(std::abs(n[i] - m) <= 4.06 * std::sqrt(m));
            chi2 += (n[i] - m) * (n[i] - m) / m;
        }
        const double limit = boost::math::quantile(boost::math::chi_squared(20), 0.999);
        INFO("chi2 " << chi2 << " limit " << limit);
        CHECK(chi2 <= limit);
    }
}

TEST_CASE("rate schedule: the constant process spaces arrivals by the integrated rate", "[models][workloads]") {
    // Arrival k is at Lambda^-1(k): a window holds floor(Lambda(b)) - floor(Lambda(a)) of them.
    ScheduleArrivals p{{0, 10, 20}, {10, 110, 10}, true, true};
    ScheduleProcess process(p);
    RateSchedule schedule(p);
    RandomStream rng(1, "constant");
    const std::vector<double> n = counts(process, rng, 1.0, 30);
    for (std::size_t i = 0; i < n.size(); ++i) {
        const double expected = std::floor(schedule.integral(i + 1.0) + 1e-9) - std::floor(schedule.integral(i) + 1e-9);
        INFO("window " << i);
        CHECK(std::abs(n[i] - expected) <= 1);
    }
    CHECK(n[1] + 50 < n[8]);  // it ramps
}

TEST_CASE("mmpp: long-run rate and index of dispersion match theory", "[models][workloads][theory]") {
    // Two states: rates l1 = 10/s, l2 = 100/s; mean dwells d1 = 2 s, d2 = 1 s, so leaving
    // rates r1 = 0.5, r2 = 1, s = r1 + r2 = 1.5, stationary pi1 = d1 / (d1 + d2) = 2/3.
    // Mean rate  m = pi1 l1 + pi2 l2 = 40/s.
    // Counts N(T) of a window of T seconds (doubly stochastic Poisson, rate covariance
    // pi1 pi2 (l1 - l2)^2 exp(-s tau)):
    //   IDC(T) = Var N(T) / E N(T) = 1 + 2 pi1 pi2 (l1 - l2)^2 / (m s) * (1 - (1 - e^{-sT}) / (sT)).
    // Each replication estimates both from 2,000 windows of T = 10 s; a Student-t 99.9%
    // interval over 12 independent replications must hold the theoretical values.
    const double l1 = 10, l2 = 100, d1 = 2, d2 = 1, s = 1 / d1 + 1 / d2, T = 10;
    const double pi1 = d1 / (d1 + d2), pi2 = 1 - pi1;
    const double mean_rate = pi1 * l1 + pi2 * l2;
    const double idc = 1 + 2 * pi1 * pi2 * (l1 - l2) * (l1 - l2) / (mean_rate * s) *
                               (1 - (1 - std::exp(-s * T)) / (s * T));
    REQUIRE(mean_rate == Approx(40));
    REQUIRE(idc == Approx(57).epsilon(0.01));
    std::vector<double> rates, idcs;
    for (int r = 0; r < 12; ++r) {
        MmppProcess process(MmppArrivals{{l1, l2}, {d1, d2}});
        RandomStream rng(100 + r, "mmpp");
        const std::vector<double> n = counts(process, rng, T, 2000);
        stats::Welford w;
        for (const double c : n) w.add(c);
        rates.push_back(w.mean() / T);
        idcs.push_back(w.variance() / w.mean());
    }
    stats::Welford wr, wi;
    for (const double x : rates) wr.add(x);
    for (const double x : idcs) wi.add(x);
    const double hr = stats::ci_half_width(rates, 0.999), hi = stats::ci_half_width(idcs, 0.999);
    INFO("rate " << wr.mean() << " +- " << hr << " (theory " << mean_rate << ")");
    INFO("idc " << wi.mean() << " +- " << hi << " (theory " << idc << ")");
    CHECK(std::abs(wr.mean() - mean_rate) <= hr);
    CHECK(std::abs(wi.mean() - idc) <= hi);
    CHECK(hi < 5);  // tight enough that a Poisson process (IDC 1) or a wrong formula fails
}

TEST_CASE("mmpp: three states spend time in proportion to their dwells", "[models][workloads][theory]") {
    // The jump chain is uniform over the other states, hence doubly stochastic: its
    // stationary law is uniform and the time-stationary law is pi_i = d_i / sum d.
    // Rate = sum pi_i l_i = (1 * 0 + 2 * 50 + 1 * 200) / 4 = 75/s. Over a long window T,
    // Var N(T) ~ T (m + 2 sum_i pi_i (l_i - m) h_i), where h solves the Poisson equation
    // Q h = -(l - m), pi h = 0 (Q the generator: leave i at 1/d_i, uniformly to the others).
    const Eigen::Vector3d l(0, 50, 200), d(1, 2, 1);
    const Eigen::Vector3d pi = d / d.sum();
    const double m = pi.dot(l);
    REQUIRE(m == Approx(75));
    Eigen::Matrix3d q;
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) q(i, j) = i == j ? -1 / d(i) : 0.5 / d(i);
    }
    Eigen::Matrix3d a = q;
    Eigen::Vector3d b = -(l.array() - m).matrix();
    a.row(2) = pi.transpose();  // replace one (redundant) equation by pi h = 0
    b(2) = 0;
    const Eigen::Vector3d h = a.colPivHouseholderQr().solve(b);
    const double var_per_s = m + 2 * (pi.array() * (l.array() - m) * h.array()).sum();
    constexpr double T = 4000;
    MmppProcess process(MmppArrivals{{0, 50, 200}, {1, 2, 1}});
    RandomStream rng(3, "mmpp3");
    const std::vector<double> n = counts(process, rng, T, 1);
    const double sd = std::sqrt(var_per_s * T);
    INFO(n[0] << " vs " << m * T << " +- " << 4 * sd << " (IDC " << var_per_s / m << ")");
    CHECK(std::abs(n[0] - m * T) <= 4 * sd);
    CHECK(var_per_s / m > 10);  // strongly over-dispersed: a Poisson band would be 10x narrower
}

TEST_CASE("closed population: 10 users, exp(5 s) think, one exp(1 s) FCFS server, matches MVA",
          "[models][workloads][theory]") {
    // Exact MVA (N = 10, Z = 5 s, S = 1 s): R = 5.187289 s, X = N / (R + Z) = 0.981615 /s.
    // Replications are independent (different master seeds); 99.9% Student-t intervals.
    std::vector<double> response, throughput;
    for (int r = 0; r < 10; ++r) {
        System system(single_server(ClosedArrivals{10, make_exponential(5.0)}, make_exponential(1.0), 500 + r,
                                    20'000, 500));
        const RunResults results = system.run();
        REQUIRE(results.stopped_early.empty());
        response.push_back(results.requests.at(0).latency.mean());
        throughput.push_back(static_cast<double>(results.requests.at(0).count) / results.simulated_s);
    }
    stats::Welford wr, wx;
    for (const double x : response) wr.add(x);
    for (const double x : throughput) wx.add(x);
    const double hr = stats::ci_half_width(response, 0.999), hx = stats::ci_half_width(throughput, 0.999);
    INFO("R " << wr.mean() << " +- " << hr << ", X " << wx.mean() << " +- " << hx);
    CHECK(std::abs(wr.mean() - 5.187289) <= hr);
    CHECK(std::abs(wx.mean() - 0.981615) <= hx);
    CHECK(hr < 0.15);
    CHECK(hx < 0.01);
}

TEST_CASE("time series: windows of a run follow a rate schedule and sum to the totals", "[models][workloads]") {
    // No work and no network: a request completes when it arrives, so a window's count
    // is the schedule's arrivals in it. Warm-up 10 s; 60 s measured in 2 s windows.
    ScheduleArrivals p{{0, 30, 40}, {200, 2000, 200}, false, false};
    SystemModel m = single_server(p, nullptr, 11, 60, 10);
    m.window_s = 2;
    System system(std::move(m));
    const RunResults r = system.run();
    const TimeSeries& ts = r.timeseries;
    REQUIRE(ts.windows() == 30);
    CHECK(ts.start_s.front() == Approx(10));
    CHECK(ts.start_s.back() == Approx(68));
    REQUIRE(ts.requests.size() == 1);
    REQUIRE(ts.servers.size() == 1);
    std::uint64_t sum = 0;
    RateSchedule schedule(p);
    for (std::size_t i = 0; i < ts.windows(); ++i) {
        sum += ts.requests[0].count[i];
        const double m_i = schedule.integral(ts.start_s[i] + 2) - schedule.integral(ts.start_s[i]);
        INFO("window at " << ts.start_s[i] << ": " << ts.requests[0].count[i] << " vs " << m_i);
        CHECK(std::abs(static_cast<double>(ts.requests[0].count[i]) - m_i) <= 4.5 * std::sqrt(m_i));
        CHECK(ts.servers[0].utilization[i] == 0);
    }
    CHECK(sum == r.requests[0].count);
}

TEST_CASE("time series: a spike shows in throughput, p99, utilisation and queue", "[models][workloads]") {
    // One exp(10 ms) server at 50/s (rho 0.5), then 95/s for 20 s (rho 0.95), then 50/s.
    ScheduleArrivals p{{0, 40, 60}, {50, 95, 50}, false, false};
    SystemModel m = single_server(p, make_exponential(0.01), 5, 100, 0);
    m.window_s = 10;
    System system(std::move(m));
    const RunResults r = system.run();
    const TimeSeries& ts = r.timeseries;
    REQUIRE(ts.windows() == 10);
    const auto& q = ts.requests[0];
    const auto& s = ts.servers[0];
    for (const std::size_t normal : {1, 2, 7, 8}) {
        for (const std::size_t spike : {4, 5}) {
            CHECK(q.count[spike] > 1.5 * q.count[normal]);
            CHECK(q.p99_s[spike] > 2 * q.p99_s[normal]);
            CHECK(s.utilization[spike] > s.utilization[normal] + 0.3);
            CHECK(s.mean_queue[spike] > 3 * s.mean_queue[normal]);
        }
    }
    // Busy time in the windows adds up to the run's.
    double busy = 0;
    for (std::size_t i = 0; i < ts.windows(); ++i) busy += s.utilization[i] * ts.length_s[i];
    CHECK(busy / 100 == Approx(r.servers[0].utilization).epsilon(1e-9));
}

TEST_CASE("time series: a duration that is not a multiple of the window ends with a short window",
          "[models][workloads]") {
    SystemModel m = single_server(PoissonArrivals{100}, nullptr, 1, 25, 0);
    m.window_s = 10;
    System system(std::move(m));
    const RunResults r = system.run();
    REQUIRE(r.timeseries.windows() == 3);
    CHECK(r.timeseries.length_s[2] == Approx(5));
    SystemModel none = single_server(PoissonArrivals{100}, nullptr, 1, 25, 0);
    System plain(std::move(none));
    CHECK(plain.run().timeseries.empty());
    SystemModel many = single_server(PoissonArrivals{100}, nullptr, 1, 1e6, 0);
    many.window_s = 1;
    CHECK_THROWS_AS(System(std::move(many)), s2sim::Error);
}

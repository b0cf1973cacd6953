#include "sim/distribution.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/error.hpp"

using s2sim::DistributionPtr;
using s2sim::parse_distribution;
using s2sim::Quantity;
using s2sim::RandomStream;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

constexpr double z999 = 3.29;  // two-sided 99.9% normal quantile
constexpr int n_samples = 200'000;
// Each interval check fails with probability 0.1% for a correct sampler; with some 60
// checks a seed has a ~6% chance of one false alarm. The seed is fixed, so results are
// stable; normal(0ms, 2ms), the check closest to its bound, was confirmed unbiased on 6
// other seeds with 2M samples each while writing this test.
constexpr std::uint64_t seed = 1;
constexpr double inf = std::numeric_limits<double>::infinity();

/// Raw moments E[X], E[X^2], E[X^3], E[X^4] of the theoretical law, in seconds^k.
using RawMoments = std::array<double, 4>;

/// Checks, for `n_samples` draws with a fixed seed:
/// - the sample mean lies in the 99.9% interval mu +- z sigma / sqrt(n);
/// - the sample variance s^2 lies in the 99.9% interval sigma^2 +- z sqrt((mu4 - sigma^4) / n),
///   the asymptotic law of s^2 (mu4 the 4th central moment);
/// - mean() and variance() equal the theoretical moments.
void check_moments(const std::string& text, const RawMoments& m) {
    INFO(text);
    const DistributionPtr d = parse_distribution(text);
    const double mu = m[0];
    const double sigma2 = m[1] - m[0] * m[0];
    const double mu4 = m[3] - 4 * m[2] * m[0] + 6 * m[1] * m[0] * m[0] - 3 * std::pow(m[0], 4);

    CHECK(d->mean() == Approx(mu).epsilon(1e-9));
    CHECK(d->variance() == Approx(sigma2).epsilon(1e-9));

    RandomStream rng(seed, text);
    std::vector<double> xs(n_samples);
    double sum = 0.0;
    for (double& x : xs) {
        x = d->sample(rng);
        REQUIRE(x >= 0.0);
        sum += x;
    }
    const double mean = sum / n_samples;
    double ss = 0.0;
    for (const double x : xs) ss += (x - mean) * (x - mean);
    const double var = ss / (n_samples - 1);

    CHECK(std::abs(mean - mu) < z999 * std::sqrt(sigma2 / n_samples));
    CHECK(std::abs(var - sigma2) < z999 * std::sqrt((mu4 - sigma2 * sigma2) / n_samples));
}

double factorial(int k) { return std::tgamma(k + 1.0); }

/// Raw moments from a function k -> E[X^k].
template <class F>
RawMoments raw(F moment) {
    return {moment(1), moment(2), moment(3), moment(4)};
}

/// Raw moments of N(mu, sigma) truncated to [0, inf): with Z | Z > a, a = -mu / sigma,
/// E[Z^k] = (k - 1) E[Z^(k-2)] + a^(k-1) lambda, lambda = phi(a) / (1 - Phi(a)),
/// then X = mu + sigma Z expanded binomially.
RawMoments truncated_normal(double mu, double sigma) {
    const double a = -mu / sigma;
    const double phi = std::exp(-0.5 * a * a) / std::sqrt(2 * std::numbers::pi);
    const double tail = 0.5 * std::erfc(a / std::numbers::sqrt2);
    const double lambda = phi / tail;
    std::array<double, 5> z{1.0, lambda, 0, 0, 0};
    for (int k = 2; k <= 4; ++k) z[k] = (k - 1) * z[k - 2] + std::pow(a, k - 1) * lambda;
    auto binom = [](int n, int k) { return factorial(n) / (factorial(k) * factorial(n - k)); };
    RawMoments out{};
    for (int k = 1; k <= 4; ++k) {
        double s = 0.0;
        for (int j = 0; j <= k; ++j) s += binom(k, j) * std::pow(mu, k - j) * std::pow(sigma, j) * z[j];
        out[k - 1] = s;
    }
    return out;
}

std::string error_of(std::string_view text, Quantity q = Quantity::time) {
    try {
        (void)parse_distribution(text, q);
    } catch (const s2sim::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("distribution: exp has the exponential moments", "[sim][distribution][theory]") {
    const double m = 2e-3;
    check_moments("exp(2ms)", raw([&](int k) { return factorial(k) * std::pow(m, k); }));
}

TEST_CASE("distribution: const always gives its value", "[sim][distribution]") {
    const auto d = parse_distribution("const(1ms)");
    RandomStream rng(1, "c");
    for (int i = 0; i < 100; ++i) REQUIRE(d->sample(rng) == 1e-3);
    CHECK(d->mean() == 1e-3);
    CHECK(d->variance() == 0.0);
    CHECK(parse_distribution("const(0s)")->mean() == 0.0);
}

TEST_CASE("distribution: uniform has the uniform moments", "[sim][distribution][theory]") {
    const double a = 1e-3;
    const double b = 3e-3;
    check_moments("uniform(1ms, 3ms)", raw([&](int k) {
                      return (std::pow(b, k + 1) - std::pow(a, k + 1)) / ((k + 1) * (b - a));
                  }));
    const auto point = parse_distribution("uniform(2ms, 2ms)");
    RandomStream rng(seed, "point");
    for (int i = 0; i < 100; ++i) REQUIRE(point->sample(rng) == 2e-3);
    CHECK(point->variance() == 0.0);
}

TEST_CASE("distribution: normal is cut at 0 by resampling", "[sim][distribution][theory]") {
    // Far from 0 the cut is invisible; at mu = sigma it removes 16% of the mass and
    // mean()/variance() must then be those of the truncated law.
    check_moments("normal(5ms, 1ms)", truncated_normal(5e-3, 1e-3));
    check_moments("normal(1ms, 1ms)", truncated_normal(1e-3, 1e-3));
    check_moments("normal(0ms, 2ms)", truncated_normal(0.0, 2e-3));
    // Independent check of the truncated moments: the half-normal.
    const auto half = parse_distribution("normal(0ms, 2ms)");
    CHECK(half->mean() == Approx(2e-3 * std::sqrt(2 / std::numbers::pi)).epsilon(1e-12));
    CHECK(half->variance() == Approx(4e-6 * (1 - 2 / std::numbers::pi)).epsilon(1e-12));
    CHECK(parse_distribution("normal(5ms, 1ms)")->mean() == Approx(5e-3).epsilon(1e-6));
}

TEST_CASE("distribution: lognormal takes its own mean and sd", "[sim][distribution][theory]") {
    // sigma^2 = ln(1 + sd^2/mean^2), mu = ln(mean) - sigma^2/2, E[X^k] = exp(k mu + k^2 sigma^2/2).
    auto lognormal = [](double mean, double sd) {
        const double s2 = std::log(1 + sd * sd / (mean * mean));
        const double mu = std::log(mean) - s2 / 2;
        return raw([=](int k) { return std::exp(k * mu + k * k * s2 / 2); });
    };
    check_moments("lognormal(2ms, 1ms)", lognormal(2e-3, 1e-3));
    // sd = 2 x mean: the sample variance converges too slowly for a 4th-moment interval,
    // so only the mean is checked against its interval.
    const auto heavy = parse_distribution("lognormal(2ms, 4ms)");
    CHECK(heavy->mean() == Approx(2e-3).epsilon(1e-12));
    CHECK(heavy->variance() == Approx(16e-6).epsilon(1e-12));
    RandomStream rng(3, "lognormal");
    double sum = 0.0;
    for (int i = 0; i < n_samples; ++i) sum += heavy->sample(rng);
    CHECK(std::abs(sum / n_samples - 2e-3) < z999 * std::sqrt(16e-6 / n_samples));
}

TEST_CASE("distribution: gamma and erlang take shape and mean", "[sim][distribution][theory]") {
    // Scale theta = mean / shape; E[X^k] = theta^k Gamma(shape + k) / Gamma(shape).
    auto gamma = [](double shape, double mean) {
        const double theta = mean / shape;
        return raw([=](int k) {
            return std::pow(theta, k) * std::tgamma(shape + k) / std::tgamma(shape);
        });
    };
    check_moments("gamma(2, 4ms)", gamma(2, 4e-3));
    check_moments("gamma(0.5, 1ms)", gamma(0.5, 1e-3));  // the shape < 1 path
    check_moments("gamma(30, 1ms)", gamma(30, 1e-3));
    check_moments("erlang(3, 6ms)", gamma(3, 6e-3));
    check_moments("erlang(1, 6ms)", gamma(1, 6e-3));
}

TEST_CASE("distribution: weibull takes shape and mean", "[sim][distribution][theory]") {
    // Scale lambda = mean / Gamma(1 + 1/k); E[X^n] = lambda^n Gamma(1 + n/k).
    auto weibull = [](double shape, double mean) {
        const double lambda = mean / std::tgamma(1 + 1 / shape);
        return raw([=](int n) { return std::pow(lambda, n) * std::tgamma(1 + n / shape); });
    };
    check_moments("weibull(0.8, 5ms)", weibull(0.8, 5e-3));
    check_moments("weibull(2, 5ms)", weibull(2, 5e-3));
}

TEST_CASE("distribution: pareto takes alpha and minimum", "[sim][distribution][theory]") {
    // E[X^n] = alpha x_m^n / (alpha - n) for alpha > n: alpha = 5 keeps 4 moments finite.
    const double xm = 1e-3;
    check_moments("pareto(5, 1ms)",
                  raw([=](int n) { return 5 * std::pow(xm, n) / (5.0 - n); }));

    // Heavy tails: infinite variance (alpha = 1.5) and infinite mean (alpha = 0.9).
    const auto p15 = parse_distribution("pareto(1.5, 1ms)");
    CHECK(p15->mean() == Approx(3e-3).epsilon(1e-12));
    CHECK(p15->variance() == inf);
    CHECK(parse_distribution("pareto(0.9, 1ms)")->mean() == inf);
    CHECK(parse_distribution("pareto(2, 1ms)")->variance() == inf);
    // No sample below the minimum, and the tail P(X > x) = (x_m / x)^alpha holds: each
    // empirical tail frequency is binomial, checked with a 99.9% interval.
    RandomStream rng(4, "pareto");
    double lowest = inf;
    std::array<double, 3> at{2e-3, 5e-3, 20e-3};
    std::array<int, 3> above{};
    for (int i = 0; i < n_samples; ++i) {
        const double x = p15->sample(rng);
        lowest = std::min(lowest, x);
        for (std::size_t j = 0; j < at.size(); ++j) above[j] += x > at[j];
    }
    CHECK(lowest >= xm);
    CHECK(lowest < xm * 1.001);
    for (std::size_t j = 0; j < at.size(); ++j) {
        const double p = std::pow(xm / at[j], 1.5);
        CHECK(std::abs(above[j] - n_samples * p) < z999 * std::sqrt(n_samples * p * (1 - p)));
    }
}

TEST_CASE("distribution: hyperexp mixes two exponentials", "[sim][distribution][theory]") {
    // E[X^k] = k! (p m1^k + (1 - p) m2^k).
    const double p = 0.9, m1 = 1e-3, m2 = 20e-3;
    check_moments("hyperexp(0.9, 1ms, 20ms)", raw([=](int k) {
                      return factorial(k) * (p * std::pow(m1, k) + (1 - p) * std::pow(m2, k));
                  }));
    check_moments("hyperexp(1, 1ms, 20ms)", raw([=](int k) {
                      return factorial(k) * std::pow(m1, k);
                  }));
}

TEST_CASE("distribution: empirical resamples its values", "[sim][distribution][theory]") {
    const std::vector<double> values{1e-3, 2e-3, 3e-3, 10e-3};
    const auto d = s2sim::make_empirical(values, "data/db_ms.csv");
    CHECK(d->mean() == Approx(4e-3).epsilon(1e-12));
    // Population variance of the four values: ((-3)^2 + (-2)^2 + (-1)^2 + 6^2) / 4 ms^2.
    CHECK(d->variance() == Approx(12.5e-6).epsilon(1e-12));
    CHECK(d->describe() == "empirical(data/db_ms.csv)");
    RandomStream rng(6, "empirical");
    std::array<int, 4> hits{};
    for (int i = 0; i < n_samples; ++i) {
        const double x = d->sample(rng);
        bool found = false;
        for (std::size_t j = 0; j < values.size(); ++j) {
            if (x == values[j]) ++hits[j], found = true;
        }
        REQUIRE(found);
    }
    // Each value is drawn with probability 1/4: binomial 99.9% interval.
    for (const int h : hits) {
        CHECK(std::abs(h - n_samples / 4.0) < z999 * std::sqrt(n_samples * 0.25 * 0.75));
    }
    CHECK_THROWS_WITH(s2sim::make_empirical({}, "x.csv"), "empirical distribution 'x.csv' is empty");
    CHECK_THROWS_WITH(s2sim::make_empirical({1.0, -2.0}, "x.csv"),
                      Contains("empirical distribution 'x.csv': value 2 (-2)"));
    CHECK_THROWS_AS(s2sim::make_empirical({1.0, std::nan("")}, "x.csv"), s2sim::Error);
}

TEST_CASE("distribution: constant() is the value of a const and of nothing that draws", "[sim][distribution]") {
    // The call engine sends a const size without sampling it: exact only because a const
    // reads nothing from its stream.
    const auto c = parse_distribution("const(2KB)", Quantity::size);
    REQUIRE(c->constant().has_value());
    CHECK(*c->constant() == 2000.0);
    CHECK(s2sim::make_constant(0.5)->constant() == 0.5);
    CHECK(parse_distribution("const(0s)")->constant() == 0.0);
    RandomStream used(3, "sizes"), untouched(3, "sizes");
    CHECK(c->sample(used) == 2000.0);
    CHECK(used.next_u64() == untouched.next_u64());
    // Anything that draws, even a law without spread, has none.
    for (const char* text : {"exp(2ms)", "uniform(1ms, 3ms)", "normal(5ms, 1ms)", "lognormal(2ms, 4ms)",
                             "gamma(2, 4ms)", "erlang(3, 6ms)", "weibull(0.8, 5ms)", "pareto(1.5, 1ms)",
                             "hyperexp(0.9, 1ms, 20ms)"}) {
        INFO(text);
        CHECK_FALSE(parse_distribution(text)->constant().has_value());
    }
    CHECK_FALSE(s2sim::make_empirical({1e-3, 1e-3}, "same.csv")->constant().has_value());
    CHECK_FALSE(s2sim::make_exponential(0.25)->constant().has_value());
}

TEST_CASE("distribution: make_constant and make_exponential", "[sim][distribution]") {
    CHECK(s2sim::make_constant(0.5)->mean() == 0.5);
    CHECK(s2sim::make_constant(0.5)->describe() == "const(0.5s)");
    CHECK(s2sim::make_exponential(0.25)->variance() == 0.0625);
    CHECK(s2sim::make_exponential(0.25)->describe() == "exp(0.25s)");
    CHECK_THROWS_AS(s2sim::make_constant(-1.0), s2sim::Error);
    CHECK_THROWS_AS(s2sim::make_exponential(0.0), s2sim::Error);
}

TEST_CASE("distribution: describe is normalised and parses back", "[sim][distribution]") {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"exp(2ms)", "exp(0.002s)"},
        {" exp ( 2 ms ) ", "exp(0.002s)"},
        {"const(1ms)", "const(0.001s)"},
        {"uniform(1ms,3ms)", "uniform(0.001s, 0.003s)"},
        {"normal(5ms, 1ms)", "normal(0.005s, 0.001s)"},
        {"lognormal(2ms, 4ms)", "lognormal(0.002s, 0.004s)"},
        {"gamma(2, 4ms)", "gamma(2, 0.004s)"},
        {"erlang(3, 6ms)", "erlang(3, 0.006s)"},
        {"weibull(0.8, 5ms)", "weibull(0.8, 0.005s)"},
        {"pareto(1.5, 1ms)", "pareto(1.5, 0.001s)"},
        {"hyperexp(0.9, 1ms, 20ms)", "hyperexp(0.9, 0.001s, 0.02s)"},
        {"exp(20us)", "exp(2e-05s)"},
    };
    for (const auto& [text, normal] : cases) {
        INFO(text);
        const auto d = parse_distribution(text);
        CHECK(d->describe() == normal);
        const auto again = parse_distribution(d->describe());
        CHECK(again->describe() == normal);
        CHECK(again->mean() == d->mean());
    }
}

TEST_CASE("distribution: sizes take size units", "[sim][distribution]") {
    const auto d = parse_distribution("uniform(1KB, 2KiB)", Quantity::size);
    CHECK(d->mean() == (1000.0 + 2048.0) / 2);
    CHECK(d->describe() == "uniform(1000B, 2048B)");
    CHECK(parse_distribution("exp(4000B)", Quantity::size)->mean() == 4000.0);
    CHECK_THAT(error_of("exp(2ms)", Quantity::size), Contains("unknown unit 'ms' in '2ms'"));
}

namespace {

// Marsaglia and Tsang's method without the squeeze, as the sampler was written first: the
// squeeze must only skip work, never change a draw.
double gamma_without_squeeze(RandomStream& rng, double shape) {
    if (shape < 1.0) return gamma_without_squeeze(rng, shape + 1.0) * std::pow(rng.uniform01(), 1.0 / shape);
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
        const double r = std::sqrt(-2.0 * std::log(rng.uniform01()));
        const double x = r * std::cos(2.0 * std::numbers::pi * rng.uniform01());
        double v = 1.0 + c * x;
        if (v <= 0.0) continue;
        v = v * v * v;
        const double u = rng.uniform01();
        if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
    }
}

}  // namespace

TEST_CASE("distribution: gamma draws are those of the method without its squeeze", "[sim][distribution]") {
    // Shape 1 (d = 2/3) is where the squeeze comes closest to the acceptance bound.
    for (const char* text : {"1", "1.25", "2", "3", "30", "1000", "1e6", "0.5"}) {
        INFO("shape " << text);
        const double shape = std::stod(text);
        const auto d = parse_distribution(std::string("gamma(") + text + ", 1s)");
        RandomStream a(5, "gamma"), b(5, "gamma");
        std::size_t mismatches = 0;
        for (int i = 0; i < 500'000; ++i) {
            if (d->sample(a) != (1.0 / shape) * gamma_without_squeeze(b, shape)) ++mismatches;
        }
        CHECK(mismatches == 0);
    }
}

TEST_CASE("distribution: same seed gives the same draws", "[sim][distribution]") {
    for (const char* text : {"exp(2ms)", "normal(1ms, 1ms)", "gamma(0.5, 1ms)", "hyperexp(0.5, 1ms, 2ms)"}) {
        const auto d = parse_distribution(text);
        RandomStream a(77, "x");
        RandomStream b(77, "x");
        for (int i = 0; i < 1000; ++i) REQUIRE(d->sample(a) == d->sample(b));
    }
}

TEST_CASE("distribution: unknown name lists the choices", "[sim][distribution][errors]") {
    CHECK_THAT(error_of("expo(2ms)"),
               Equals("unknown distribution 'expo' (expected: exp, const, uniform, normal, "
                      "lognormal, gamma, erlang, weibull, pareto, hyperexp)"));
    CHECK_THAT(error_of("poisson"), Contains("unknown distribution 'poisson'"));
}

TEST_CASE("distribution: malformed text", "[sim][distribution][errors]") {
    CHECK_THAT(error_of("5ms"),
               Equals("invalid distribution '5ms' (expected a form such as 'exp(2ms)')"));
    CHECK_THAT(error_of(""), Equals("invalid distribution '' (expected a form such as 'exp(2ms)')"));
    CHECK_THAT(error_of("exp"), Equals("invalid distribution 'exp' (expected 'exp(mean)')"));
    CHECK_THAT(error_of("exp(2ms"), Equals("invalid distribution 'exp(2ms' (expected 'exp(mean)')"));
    CHECK_THAT(error_of("uniform(1ms,)"),
               Equals("distribution 'uniform': max: empty time '' (expected a time such as '5ms')"));
}

TEST_CASE("distribution: wrong argument count", "[sim][distribution][errors]") {
    CHECK_THAT(error_of("exp(2ms, 3ms)"), Equals("distribution 'exp' takes 1 argument (mean), got 2"));
    CHECK_THAT(error_of("exp()"), Equals("distribution 'exp' takes 1 argument (mean), got 0"));
    CHECK_THAT(error_of("uniform(1ms)"),
               Equals("distribution 'uniform' takes 2 arguments (min, max), got 1"));
    CHECK_THAT(error_of("hyperexp(0.5, 1ms)"),
               Equals("distribution 'hyperexp' takes 3 arguments (p, mean1, mean2), got 2"));
    CHECK_THAT(error_of("gamma(1, 2ms, 3ms, 4ms)"),
               Equals("distribution 'gamma' takes 2 arguments (shape, mean), got 4"));
}

TEST_CASE("distribution: bad parameters", "[sim][distribution][errors]") {
    CHECK_THAT(error_of("hyperexp(1.5, 1ms, 2ms)"),
               Equals("distribution 'hyperexp': p must be in [0, 1], got '1.5'"));
    CHECK_THAT(error_of("hyperexp(-0.1, 1ms, 2ms)"),
               Equals("distribution 'hyperexp': p must be in [0, 1], got '-0.1'"));
    CHECK_THAT(error_of("gamma(0, 4ms)"), Equals("distribution 'gamma': shape must be > 0, got '0'"));
    CHECK_THAT(error_of("gamma(-1, 4ms)"), Equals("distribution 'gamma': shape must be > 0, got '-1'"));
    CHECK_THAT(error_of("weibull(0, 5ms)"), Equals("distribution 'weibull': shape must be > 0, got '0'"));
    CHECK_THAT(error_of("pareto(0, 1ms)"), Equals("distribution 'pareto': alpha must be > 0, got '0'"));
    CHECK_THAT(error_of("pareto(2, 0ms)"),
               Equals("distribution 'pareto': minimum must be > 0, got '0ms'"));
    CHECK_THAT(error_of("erlang(2.5, 6ms)"),
               Equals("distribution 'erlang': k must be a positive integer, got '2.5'"));
    CHECK_THAT(error_of("erlang(0, 6ms)"),
               Equals("distribution 'erlang': k must be a positive integer, got '0'"));
    CHECK_THAT(error_of("uniform(3ms, 1ms)"),
               Equals("distribution 'uniform': min '3ms' is greater than max '1ms'"));
    CHECK_THAT(error_of("exp(0ms)"), Equals("distribution 'exp': mean must be > 0, got '0ms'"));
    CHECK_THAT(error_of("normal(5ms, 0ms)"), Equals("distribution 'normal': sd must be > 0, got '0ms'"));
    CHECK_THAT(error_of("lognormal(0ms, 1ms)"),
               Equals("distribution 'lognormal': mean must be > 0, got '0ms'"));
    CHECK_THAT(error_of("exp(-2ms)"), Equals("distribution 'exp': mean: negative time '-2ms'"));
}

TEST_CASE("distribution: units where required, none where not", "[sim][distribution][errors]") {
    CHECK_THAT(error_of("exp(2)"),
               Equals("distribution 'exp': mean: number without unit '2' (expected a time such "
                      "as '5ms')"));
    CHECK_THAT(error_of("uniform(1ms, 3)"),
               Equals("distribution 'uniform': max: number without unit '3' (expected a time "
                      "such as '5ms')"));
    CHECK_THAT(error_of("exp(2KB)"), Contains("distribution 'exp': mean: unknown unit 'KB' in '2KB'"));
    CHECK_THAT(error_of("gamma(2ms, 4ms)"),
               Equals("distribution 'gamma': shape: unexpected unit 'ms' in '2ms' (expected a "
                      "plain number)"));
    CHECK_THAT(error_of("hyperexp(0.9s, 1ms, 2ms)"),
               Equals("distribution 'hyperexp': p: unexpected unit 's' in '0.9s' (expected a "
                      "plain number)"));
}

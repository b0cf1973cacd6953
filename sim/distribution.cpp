#include "sim/distribution.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

#include <fmt/format.h>

#include "sim/error.hpp"
#include "sim/units.hpp"

// Samplers are written here on top of RandomStream rather than taken from <random>:
// std::*_distribution algorithms differ between standard libraries, which would break
// "same scenario + same seed = same results" across platforms.

namespace s2sim {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

/// Standard normal by Box-Muller; one of the pair is dropped so that samplers stay
/// stateless (a Distribution is shared and immutable).
double standard_normal(RandomStream& rng) {
    const double r = std::sqrt(-2.0 * std::log(rng.uniform01()));
    return r * std::cos(2.0 * std::numbers::pi * rng.uniform01());
}

/// Gamma(shape, scale = 1) by Marsaglia and Tsang (2000); shape < 1 via the boost
/// G(a) = G(a + 1) * U^(1/a).
double standard_gamma(RandomStream& rng, double shape) {
    if (shape < 1.0) {
        return standard_gamma(rng, shape + 1.0) * std::pow(rng.uniform01(), 1.0 / shape);
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    // Their squeeze, 1 - 0.0331 x^4 <= exp(0.5 x^2 + d - d v + d log v) (for d >= 2/3, v > 0;
    // checked numerically: the gap is over 9e-5 x^4), lowered by a margin well above the
    // rounding errors of both sides of the exact test (under 1e-14 + 4e-13 d): a u it
    // accepts passes the exact test too, so it skips two logs and returns the same draw.
    const double margin = 1e-12 * (1.0 + d);
    for (;;) {
        const double x = standard_normal(rng);
        double v = 1.0 + c * x;
        if (v <= 0.0) continue;
        v = v * v * v;
        const double u = rng.uniform01();
        const double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2 - margin) return d * v;
        if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
    }
}

/// Normalised form of a quantity with its base unit, e.g. "0.002s" or "4000B".
std::string with_unit(double value, Quantity quantity) {
    return fmt::format("{}{}", value, quantity == Quantity::time ? "s" : "B");
}

class Exponential final : public Distribution {
public:
    Exponential(double mean, Quantity q) : mean_(mean), q_(q) {}
    double sample(RandomStream& rng) const override { return -mean_ * std::log(rng.uniform01()); }
    double mean() const override { return mean_; }
    double variance() const override { return mean_ * mean_; }
    std::string describe() const override { return fmt::format("exp({})", with_unit(mean_, q_)); }

private:
    double mean_;
    Quantity q_;
};

class Constant final : public Distribution {
public:
    Constant(double value, Quantity q) : value_(value), q_(q) {}
    double sample(RandomStream&) const override { return value_; }
    double mean() const override { return value_; }
    double variance() const override { return 0.0; }
    std::optional<double> constant() const override { return value_; }
    std::string describe() const override {
        return fmt::format("const({})", with_unit(value_, q_));
    }

private:
    double value_;
    Quantity q_;
};

class Uniform final : public Distribution {
public:
    Uniform(double low, double high, Quantity q) : low_(low), high_(high), q_(q) {}
    double sample(RandomStream& rng) const override {
        return low_ + (high_ - low_) * rng.uniform01();
    }
    double mean() const override { return 0.5 * (low_ + high_); }
    double variance() const override { return (high_ - low_) * (high_ - low_) / 12.0; }
    std::string describe() const override {
        return fmt::format("uniform({}, {})", with_unit(low_, q_), with_unit(high_, q_));
    }

private:
    double low_, high_;
    Quantity q_;
};

/// A normal cut at 0 by resampling: the result is the normal truncated to [0, inf), and
/// mean()/variance() report the moments of that truncated law, not mu and sigma^2.
/// With mu >= 0 at least half the draws are accepted.
class TruncatedNormal final : public Distribution {
public:
    TruncatedNormal(double mu, double sigma, Quantity q) : mu_(mu), sigma_(sigma), q_(q) {
        // Truncated-normal moments with lower bound 0: alpha = -mu/sigma,
        // lambda = phi(alpha) / (1 - Phi(alpha)).
        const double alpha = -mu / sigma;
        const double tail = 0.5 * std::erfc(alpha / std::numbers::sqrt2);
        const double phi = std::exp(-0.5 * alpha * alpha) / std::sqrt(2.0 * std::numbers::pi);
        const double lambda = phi / tail;
        mean_ = mu + sigma * lambda;
        variance_ = sigma * sigma * (1.0 + alpha * lambda - lambda * lambda);
    }
    double sample(RandomStream& rng) const override {
        for (;;) {
            const double x = mu_ + sigma_ * standard_normal(rng);
            if (x >= 0.0) return x;
        }
    }
    double mean() const override { return mean_; }
    double variance() const override { return variance_; }
    std::string describe() const override {
        return fmt::format("normal({}, {})", with_unit(mu_, q_), with_unit(sigma_, q_));
    }

private:
    double mu_, sigma_;
    Quantity q_;
    double mean_ = 0.0, variance_ = 0.0;
};

/// Lognormal given by its own mean and standard deviation (not those of its log).
class Lognormal final : public Distribution {
public:
    Lognormal(double mean, double sd, Quantity q) : mean_(mean), sd_(sd), q_(q) {
        const double s2 = std::log1p((sd / mean) * (sd / mean));
        sigma_ = std::sqrt(s2);
        mu_ = std::log(mean) - 0.5 * s2;
    }
    double sample(RandomStream& rng) const override {
        return std::exp(mu_ + sigma_ * standard_normal(rng));
    }
    double mean() const override { return mean_; }
    double variance() const override { return sd_ * sd_; }
    std::string describe() const override {
        return fmt::format("lognormal({}, {})", with_unit(mean_, q_), with_unit(sd_, q_));
    }

private:
    double mean_, sd_;
    Quantity q_;
    double mu_ = 0.0, sigma_ = 0.0;
};

/// Gamma given by shape and mean; also serves erlang (integer shape, own name).
class Gamma final : public Distribution {
public:
    Gamma(double shape, double mean, Quantity q, bool erlang)
        : shape_(shape), mean_(mean), q_(q), erlang_(erlang) {}
    double sample(RandomStream& rng) const override {
        return (mean_ / shape_) * standard_gamma(rng, shape_);
    }
    double mean() const override { return mean_; }
    double variance() const override { return mean_ * mean_ / shape_; }
    std::string describe() const override {
        return fmt::format("{}({}, {})", erlang_ ? "erlang" : "gamma", shape_,
                           with_unit(mean_, q_));
    }

private:
    double shape_, mean_;
    Quantity q_;
    bool erlang_;
};

/// Weibull given by shape k and mean: scale = mean / Gamma(1 + 1/k).
class Weibull final : public Distribution {
public:
    Weibull(double shape, double mean, Quantity q)
        : shape_(shape), mean_(mean), q_(q), scale_(mean / std::tgamma(1.0 + 1.0 / shape)) {}
    double sample(RandomStream& rng) const override {
        return scale_ * std::pow(-std::log(rng.uniform01()), 1.0 / shape_);
    }
    double mean() const override { return mean_; }
    double variance() const override {
        const double m2 = scale_ * scale_ * std::tgamma(1.0 + 2.0 / shape_);
        return std::isfinite(m2) ? m2 - mean_ * mean_ : inf;
    }
    std::string describe() const override {
        return fmt::format("weibull({}, {})", shape_, with_unit(mean_, q_));
    }

private:
    double shape_, mean_;
    Quantity q_;
    double scale_;
};

/// Pareto (type I) with tail index alpha and minimum x_m, by inverse transform.
class Pareto final : public Distribution {
public:
    Pareto(double alpha, double minimum, Quantity q) : alpha_(alpha), minimum_(minimum), q_(q) {}
    double sample(RandomStream& rng) const override {
        return minimum_ * std::pow(rng.uniform01(), -1.0 / alpha_);
    }
    double mean() const override {
        return alpha_ > 1.0 ? alpha_ * minimum_ / (alpha_ - 1.0) : inf;
    }
    double variance() const override {
        if (alpha_ <= 2.0) return inf;
        return minimum_ * minimum_ * alpha_ / ((alpha_ - 1.0) * (alpha_ - 1.0) * (alpha_ - 2.0));
    }
    std::string describe() const override {
        return fmt::format("pareto({}, {})", alpha_, with_unit(minimum_, q_));
    }

private:
    double alpha_, minimum_;
    Quantity q_;
};

/// With probability p an exponential of mean1, otherwise one of mean2.
class Hyperexponential final : public Distribution {
public:
    Hyperexponential(double p, double mean1, double mean2, Quantity q)
        : p_(p), mean1_(mean1), mean2_(mean2), q_(q) {}
    double sample(RandomStream& rng) const override {
        const double m = rng.uniform01() < p_ ? mean1_ : mean2_;
        return -m * std::log(rng.uniform01());
    }
    double mean() const override { return p_ * mean1_ + (1.0 - p_) * mean2_; }
    double variance() const override {
        const double m2 = 2.0 * (p_ * mean1_ * mean1_ + (1.0 - p_) * mean2_ * mean2_);
        return m2 - mean() * mean();
    }
    std::string describe() const override {
        return fmt::format("hyperexp({}, {}, {})", p_, with_unit(mean1_, q_),
                           with_unit(mean2_, q_));
    }

private:
    double p_, mean1_, mean2_;
    Quantity q_;
};

class Empirical final : public Distribution {
public:
    Empirical(std::vector<double> values, std::string origin)
        : values_(std::move(values)), origin_(std::move(origin)) {
        // Two passes: the variance of the resampling law (divisor n), without cancellation.
        double sum = 0.0;
        for (const double v : values_) sum += v;
        mean_ = sum / static_cast<double>(values_.size());
        double ss = 0.0;
        for (const double v : values_) ss += (v - mean_) * (v - mean_);
        variance_ = ss / static_cast<double>(values_.size());
    }
    double sample(RandomStream& rng) const override {
        return values_[rng.uniform_index(values_.size())];
    }
    double mean() const override { return mean_; }
    double variance() const override { return variance_; }
    std::string describe() const override { return fmt::format("empirical({})", origin_); }

private:
    std::vector<double> values_;
    std::string origin_;
    double mean_ = 0.0, variance_ = 0.0;
};

// ---- parsing ---------------------------------------------------------------------------

struct Arg {
    std::string_view name;
    bool has_unit;  // a time or size, as opposed to a plain number
};

/// The arguments of one call, parsed, with their texts kept for messages.
struct Args {
    std::string_view name;
    std::array<double, 3> value{};
    std::array<std::string_view, 3> text{};
};

using Factory = DistributionPtr (*)(const Args&, Quantity);

struct Form {
    std::string_view name;
    std::array<Arg, 3> args;
    std::size_t arity;
    Factory make;
};

[[noreturn]] void fail(const Args& a, const std::string& what) {
    throw Error(fmt::format("distribution '{}': {}", a.name, what));
}

void require_positive(const Args& a, std::size_t i, std::string_view what) {
    if (!(a.value[i] > 0.0)) fail(a, fmt::format("{} must be > 0, got '{}'", what, a.text[i]));
}

constexpr std::array<Form, 10> forms{{
    {"exp", {{{"mean", true}}}, 1,
     [](const Args& a, Quantity q) -> DistributionPtr {
         require_positive(a, 0, "mean");
         return std::make_shared<Exponential>(a.value[0], q);
     }},
    {"const", {{{"value", true}}}, 1,
     [](const Args& a, Quantity q) -> DistributionPtr {
         return std::make_shared<Constant>(a.value[0], q);
     }},
    {"uniform", {{{"min", true}, {"max", true}}}, 2,
     [](const Args& a, Quantity q) -> DistributionPtr {
         if (a.value[0] > a.value[1]) {
             fail(a, fmt::format("min '{}' is greater than max '{}'", a.text[0], a.text[1]));
         }
         return std::make_shared<Uniform>(a.value[0], a.value[1], q);
     }},
    {"normal", {{{"mean", true}, {"sd", true}}}, 2,
     [](const Args& a, Quantity q) -> DistributionPtr {
         require_positive(a, 1, "sd");
         return std::make_shared<TruncatedNormal>(a.value[0], a.value[1], q);
     }},
    {"lognormal", {{{"mean", true}, {"sd", true}}}, 2,
     [](const Args& a, Quantity q) -> DistributionPtr {
         require_positive(a, 0, "mean");
         return std::make_shared<Lognormal>(a.value[0], a.value[1], q);
     }},
    {"gamma", {{{"shape", false}, {"mean", true}}}, 2,
     [](const Args& a, Quantity q) -> DistributionPtr {
         require_positive(a, 0, "shape");
         require_positive(a, 1, "mean");
         return std::make_shared<Gamma>(a.value[0], a.value[1], q, false);
     }},
    {"erlang", {{{"k", false}, {"mean", true}}}, 2,
     [](const Args& a, Quantity q) -> DistributionPtr {
         if (!(a.value[0] >= 1.0) || a.value[0] != std::floor(a.value[0])) {
             fail(a, fmt::format("k must be a positive integer, got '{}'", a.text[0]));
         }
         require_positive(a, 1, "mean");
         return std::make_shared<Gamma>(a.value[0], a.value[1], q, true);
     }},
    {"weibull", {{{"shape", false}, {"mean", true}}}, 2,
     [](const Args& a, Quantity q) -> DistributionPtr {
         require_positive(a, 0, "shape");
         require_positive(a, 1, "mean");
         return std::make_shared<Weibull>(a.value[0], a.value[1], q);
     }},
    {"pareto", {{{"alpha", false}, {"minimum", true}}}, 2,
     [](const Args& a, Quantity q) -> DistributionPtr {
         require_positive(a, 0, "alpha");
         require_positive(a, 1, "minimum");
         return std::make_shared<Pareto>(a.value[0], a.value[1], q);
     }},
    {"hyperexp", {{{"p", false}, {"mean1", true}, {"mean2", true}}}, 3,
     [](const Args& a, Quantity q) -> DistributionPtr {
         if (!(a.value[0] >= 0.0 && a.value[0] <= 1.0)) {
             fail(a, fmt::format("p must be in [0, 1], got '{}'", a.text[0]));
         }
         require_positive(a, 1, "mean1");
         require_positive(a, 2, "mean2");
         return std::make_shared<Hyperexponential>(a.value[0], a.value[1], a.value[2], q);
     }},
}};

constexpr std::string_view expected_names =
    "exp, const, uniform, normal, lognormal, gamma, erlang, weibull, pareto, hyperexp";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool is_identifier(std::string_view s) {
    if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
        return false;
    }
    for (const char c : s) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_')) {
            return false;
        }
    }
    return true;
}

const Form* find_form(std::string_view name) {
    for (const Form& f : forms) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

std::string arg_names(const Form& f) {
    std::string out;
    for (std::size_t i = 0; i < f.arity; ++i) {
        if (i > 0) out += ", ";
        out += f.args[i].name;
    }
    return out;
}

}  // namespace

DistributionPtr parse_distribution(std::string_view text, Quantity quantity) {
    const std::string_view s = trim(text);
    const std::size_t open = s.find('(');
    const std::string_view name = trim(s.substr(0, open));
    if (!is_identifier(name)) {
        throw Error(fmt::format("invalid distribution '{}' (expected a form such as 'exp(2ms)')",
                                text));
    }
    const Form* form = find_form(name);
    if (form == nullptr) {
        throw Error(fmt::format("unknown distribution '{}' (expected: {})", name, expected_names));
    }
    if (open == std::string_view::npos || s.back() != ')') {
        throw Error(fmt::format("invalid distribution '{}' (expected '{}({})')", text, name,
                                arg_names(*form)));
    }

    // Split the arguments on commas; "exp()" has none, "uniform(1ms,)" has an empty second.
    std::array<std::string_view, 3> texts{};
    std::size_t count = 0;
    std::string_view rest = trim(s.substr(open + 1, s.size() - open - 2));
    if (!rest.empty()) {
        for (;;) {
            const std::size_t comma = rest.find(',');
            if (count < texts.size()) texts[count] = trim(rest.substr(0, comma));
            ++count;
            if (comma == std::string_view::npos) break;
            rest = rest.substr(comma + 1);
        }
    }
    if (count != form->arity) {
        throw Error(fmt::format("distribution '{}' takes {} argument{} ({}), got {}", name,
                                form->arity, form->arity == 1 ? "" : "s", arg_names(*form),
                                count));
    }

    Args args;
    args.name = name;
    for (std::size_t i = 0; i < count; ++i) {
        const Arg& spec = form->args[i];
        args.text[i] = texts[i];
        try {
            if (!spec.has_unit) {
                args.value[i] = units::parse_number(texts[i]);
            } else if (quantity == Quantity::time) {
                args.value[i] = units::parse_time(texts[i]);
            } else {
                args.value[i] = units::parse_size(texts[i]);
            }
        } catch (const Error& e) {
            fail(args, fmt::format("{}: {}", spec.name, e.what()));
        }
    }
    return form->make(args, quantity);
}

DistributionPtr make_empirical(std::vector<double> values, std::string origin) {
    if (values.empty()) throw Error(fmt::format("empirical distribution '{}' is empty", origin));
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!(values[i] >= 0.0) || !std::isfinite(values[i])) {
            throw Error(fmt::format("empirical distribution '{}': value {} ({}) is negative or "
                                    "not finite",
                                    origin, i + 1, values[i]));
        }
    }
    return std::make_shared<Empirical>(std::move(values), std::move(origin));
}

DistributionPtr make_constant(double value) {
    if (!(value >= 0.0) || !std::isfinite(value)) {
        throw Error(fmt::format("constant distribution: value {} is negative or not finite", value));
    }
    return std::make_shared<Constant>(value, Quantity::time);
}

DistributionPtr make_exponential(double mean) {
    if (!(mean > 0.0) || !std::isfinite(mean)) {
        throw Error(fmt::format("exponential distribution: mean {} must be > 0 and finite", mean));
    }
    return std::make_shared<Exponential>(mean, Quantity::time);
}

}  // namespace s2sim

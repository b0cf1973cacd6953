#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/random.hpp"

namespace s2sim {

/// A non-negative random quantity (a time in seconds, unless said otherwise).
/// Immutable after construction: one Distribution may be shared by many
/// components, each sampling with its own RandomStream.
class Distribution {
public:
    virtual ~Distribution() = default;
    /// One draw, in the distribution's unit (seconds for times).
    [[nodiscard]] virtual double sample(RandomStream& rng) const = 0;
    /// The theoretical mean (may be +inf, e.g. pareto with alpha <= 1).
    [[nodiscard]] virtual double mean() const = 0;
    /// The theoretical variance (may be +inf).
    [[nodiscard]] virtual double variance() const = 0;
    /// The text it was made from, normalised (e.g. "exp(0.002s)"), for reports.
    [[nodiscard]] virtual std::string describe() const = 0;
    /// The value of every draw when it is a constant ("const(...)": a draw then reads no
    /// random number, so a hot path may use the value instead of sample()); nullopt otherwise.
    [[nodiscard]] virtual std::optional<double> constant() const { return std::nullopt; }
};

using DistributionPtr = std::shared_ptr<const Distribution>;

/// What the arguments that carry units measure.
enum class Quantity { time, size };

/// Parses the string form of docs/scenario-format.md: "exp(2ms)", "const(1ms)", "uniform(1ms, 3ms)",
/// "normal(5ms, 1ms)" (cut at 0), "lognormal(2ms, 4ms)" (mean, sd), "gamma(2, 4ms)"
/// (shape, mean), "erlang(3, 6ms)" (k, mean), "weibull(0.8, 5ms)" (shape, mean),
/// "pareto(1.5, 1ms)" (alpha, minimum), "hyperexp(0.9, 1ms, 20ms)" (p, mean1, mean2).
/// Arguments with units are parsed as `quantity` (times in seconds, sizes in bytes).
/// "normal" is cut at 0 by resampling, so it is the normal truncated to [0, inf) and
/// mean()/variance() report the truncated law's moments (equal to mu, sigma^2 only when
/// mu >> sigma). Samplers use only RandomStream (no std::*_distribution), so draws are
/// the same with every standard library.
/// Throws s2sim::Error, e.g. "unknown distribution 'expo' (expected: exp, const, ...)",
/// "distribution 'exp' takes 1 argument (mean), got 2",
/// "distribution 'gamma': shape must be > 0, got '0'",
/// "distribution 'exp': mean: number without unit '2' (expected a time such as '5ms')".
[[nodiscard]] DistributionPtr parse_distribution(std::string_view text, Quantity quantity = Quantity::time);

/// An empirical distribution that resamples `values` (already in base units) uniformly.
/// Throws s2sim::Error when `values` is empty or holds a negative or non-finite value.
[[nodiscard]] DistributionPtr make_empirical(std::vector<double> values, std::string origin);

/// A constant time in seconds (used for defaults and tests); throws if negative.
[[nodiscard]] DistributionPtr make_constant(double value);
/// An exponential with the given mean in seconds (used by tests and built-in demos);
/// throws unless mean > 0.
[[nodiscard]] DistributionPtr make_exponential(double mean);

}  // namespace s2sim

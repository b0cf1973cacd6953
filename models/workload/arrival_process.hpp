#pragma once
#include <memory>

#include "sim/random.hpp"
#include "sim/time.hpp"

namespace s2sim::models {

/// An open arrival process: a stream of arrival times that does not depend on the
/// system's state. One object per workload, owned by the System; it may keep its own
/// exact clock (in double seconds) so that ns rounding of the event times never
/// accumulates.
class ArrivalProcess {
public:
    virtual ~ArrivalProcess() = default;
    /// The time of the next arrival, given the previous one at `previous` (Time::zero()
    /// before the first); never before `previous`. Time::max() when no more will come.
    /// Draws from `rng` (borrowed: the workload's stream).
    [[nodiscard]] virtual Time next(Time previous, RandomStream& rng) = 0;
};

/// Poisson arrivals at `rate` per second (exponential gaps).
class PoissonProcess final : public ArrivalProcess {
public:
    /// `rate` > 0, per second.
    explicit PoissonProcess(double rate) : interval_s_(1.0 / rate) {}
    [[nodiscard]] Time next(Time previous, RandomStream& rng) override;

private:
    double interval_s_;  ///< mean gap, seconds
};

/// Evenly spaced arrivals, `1 / rate` seconds apart, the first one gap after the start.
class ConstantProcess final : public ArrivalProcess {
public:
    /// `rate` > 0, per second.
    explicit ConstantProcess(double rate) : interval_s_(1.0 / rate) {}
    [[nodiscard]] Time next(Time previous, RandomStream& rng) override;

private:
    double interval_s_;
};

}  // namespace s2sim::models

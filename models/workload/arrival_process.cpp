#include "models/workload/arrival_process.hpp"

#include <cmath>

namespace s2sim::models {

// Both keep the formulas of the first engine (gap = -ln(u) * mean, added to the
// previous event time) so that Poisson and constant runs stay bit-identical.
Time PoissonProcess::next(Time previous, RandomStream& rng) {
    return previous + Time::from_seconds(-std::log(rng.uniform01()) * interval_s_);
}

Time ConstantProcess::next(Time previous, RandomStream&) { return previous + Time::from_seconds(interval_s_); }

}  // namespace s2sim::models

#include "sim/stats/time_weighted.hpp"

#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim::stats {

void TimeWeighted::backwards(Time now) const {
    throw Error(fmt::format("time-weighted average: time went backwards ({} s after {} s)",
                            now.seconds(), last_.seconds()));
}

double TimeWeighted::integral(Time now) const {
    if (now < last_) backwards(now);
    return (area_ + value_ * static_cast<double>((now - last_).ns())) * 1e-9;
}

double TimeWeighted::mean(Time now) const {
    if (now < last_) backwards(now);
    const auto span = (now - start_).ns();
    if (span == 0) return value_;
    return (area_ + value_ * static_cast<double>((now - last_).ns())) / static_cast<double>(span);
}

void TimeWeighted::reset(Time now) {
    if (now < last_) backwards(now);
    start_ = last_ = now;
    area_ = 0.0;
    min_ = max_ = value_;
}

}  // namespace s2sim::stats

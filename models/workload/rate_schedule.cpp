#include "models/workload/rate_schedule.hpp"

#include <cmath>
#include <limits>

#include "sim/error.hpp"

namespace s2sim::models {
namespace {
constexpr double inf = std::numeric_limits<double>::infinity();
}

RateSchedule::RateSchedule(const ScheduleArrivals& p) {
    if (p.times.empty() || p.times.size() != p.rates.size()) {
        throw Error("a rate schedule needs at least one [time, rate] point");
    }
    for (std::size_t i = 0; i < p.times.size(); ++i) {
        if (!(p.rates[i] >= 0) || !std::isfinite(p.rates[i])) throw Error("rate schedule: rates must be >= 0");
        if (i > 0 && !(p.times[i] > p.times[i - 1])) throw Error("rate schedule: times must increase");
    }
    double mass = 0;
    auto add = [&](double t0, double t1, double r0, double r1) {
        pieces_.push_back(Piece{t0, t1, r0, r1, mass});
        if (std::isfinite(t1)) mass += 0.5 * (r0 + r1) * (t1 - t0);
    };
    if (p.times.front() > 0) add(0, p.times.front(), p.rates.front(), p.rates.front());
    for (std::size_t i = 0; i + 1 < p.times.size(); ++i) {
        add(p.times[i], p.times[i + 1], p.rates[i], p.linear ? p.rates[i + 1] : p.rates[i]);
    }
    add(std::max(0.0, p.times.back()), inf, p.rates.back(), p.rates.back());
}

double RateSchedule::mass_in(const Piece& p, double t) {
    const double x = t - p.t0;
    if (!std::isfinite(p.t1) || p.r0 == p.r1) return p.r0 * x;
    return p.r0 * x + 0.5 * (p.r1 - p.r0) / (p.t1 - p.t0) * x * x;
}

double RateSchedule::rate(double t) const {
    for (const Piece& p : pieces_) {
        if (t < p.t1) {
            if (t < p.t0 || !std::isfinite(p.t1)) return p.r0;
            return p.r0 + (p.r1 - p.r0) * (t - p.t0) / (p.t1 - p.t0);
        }
    }
    return pieces_.back().r0;
}

double RateSchedule::integral(double t) const {
    if (t <= 0) return 0;
    for (const Piece& p : pieces_) {
        if (t < p.t1) return p.mass0 + mass_in(p, std::max(t, p.t0));
    }
    return pieces_.back().mass0 + mass_in(pieces_.back(), t);
}

double RateSchedule::inverse(double mass) {
    if (mass <= 0) return 0;
    if (cursor_ > 0 && pieces_[cursor_].mass0 > mass) cursor_ = 0;  // out of order: restart
    while (cursor_ + 1 < pieces_.size() && pieces_[cursor_ + 1].mass0 <= mass) ++cursor_;
    const Piece& p = pieces_[cursor_];
    const double d = mass - p.mass0;
    const double slope = std::isfinite(p.t1) ? (p.r1 - p.r0) / (p.t1 - p.t0) : 0.0;
    // Solve r0 x + slope/2 x^2 = d in the form that is stable for slope -> 0.
    const double disc = std::max(0.0, p.r0 * p.r0 + 2.0 * slope * d);
    const double denominator = p.r0 + std::sqrt(disc);
    if (denominator <= 0) return d <= 0 ? p.t0 : inf;
    const double x = 2.0 * d / denominator;
    return std::isfinite(p.t1) ? std::min(p.t0 + x, p.t1) : p.t0 + x;
}

Time ScheduleProcess::next(Time, RandomStream& rng) {
    mass_ += constant_ ? 1.0 : -std::log(rng.uniform01());
    const double t = schedule_.inverse(mass_);
    // Beyond what Time holds (or never): no more arrivals.
    if (!(t < 9e9)) return Time::max();
    return Time::from_seconds(t);
}

}  // namespace s2sim::models

#include "models/workload/mmpp.hpp"

#include <cmath>
#include <limits>

#include "sim/error.hpp"

namespace s2sim::models {

MmppProcess::MmppProcess(MmppArrivals params) : p_(std::move(params)) {
    if (p_.rates.size() < 2 || p_.rates.size() != p_.dwells.size()) {
        throw Error("mmpp needs at least two states, each with a rate and a dwell time");
    }
    bool any = false;
    for (std::size_t i = 0; i < p_.rates.size(); ++i) {
        if (!(p_.rates[i] >= 0) || !std::isfinite(p_.rates[i])) throw Error("mmpp: rate must be >= 0");
        if (!(p_.dwells[i] > 0) || !std::isfinite(p_.dwells[i])) throw Error("mmpp: dwell must be > 0");
        any = any || p_.rates[i] > 0;
    }
    if (!any) throw Error("mmpp needs a state with a positive rate");
}

void MmppProcess::enter(std::size_t state, RandomStream& rng) {
    state_ = state;
    switch_at_s_ = clock_s_ - std::log(rng.uniform01()) * p_.dwells[state];
}

Time MmppProcess::next(Time, RandomStream& rng) {
    const std::size_t n = p_.rates.size();
    if (!started_) {
        started_ = true;
        double total = 0;
        for (const double d : p_.dwells) total += d;
        double u = rng.uniform01() * total;
        std::size_t s = 0;
        while (s + 1 < n && u >= p_.dwells[s]) u -= p_.dwells[s++];
        enter(s, rng);
    }
    for (;;) {
        // Memoryless: an arrival gap that overshoots the state's end is redrawn there.
        const double rate = p_.rates[state_];
        const double gap = rate > 0 ? -std::log(rng.uniform01()) / rate : std::numeric_limits<double>::infinity();
        if (clock_s_ + gap < switch_at_s_) {
            clock_s_ += gap;
            return Time::from_seconds(clock_s_);
        }
        clock_s_ = switch_at_s_;
        // Uniform among the n - 1 other states.
        std::size_t other = static_cast<std::size_t>(rng.uniform_index(n - 1));
        if (other >= state_) ++other;
        enter(other, rng);
    }
}

}  // namespace s2sim::models

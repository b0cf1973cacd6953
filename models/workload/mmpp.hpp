#pragma once
#include <vector>

#include "models/workload/arrival_process.hpp"

namespace s2sim::models {

/// Parameters of a Markov-modulated Poisson process.
struct MmppArrivals {
    std::vector<double> rates;   ///< per second, one per state (>= 0, one > 0)
    std::vector<double> dwells;  ///< mean seconds in each state (> 0), exponential
};

/// A Markov-modulated Poisson process: while in state i, arrivals are Poisson at
/// rates[i]; the state lasts an exponential time of mean dwells[i], then the next
/// state is chosen uniformly among the others. The first state is drawn from the
/// stationary law (pi_i proportional to dwells[i]: the jump chain is uniform), so the
/// process is stationary from time 0.
class MmppProcess final : public ArrivalProcess {
public:
    /// At least two states; throws s2sim::Error otherwise or on a bad rate or dwell.
    explicit MmppProcess(MmppArrivals params);
    [[nodiscard]] Time next(Time previous, RandomStream& rng) override;
    /// The state the process is in (valid after the first next()).
    [[nodiscard]] std::size_t state() const { return state_; }

private:
    void enter(std::size_t state, RandomStream& rng);

    MmppArrivals p_;
    bool started_ = false;
    std::size_t state_ = 0;
    double clock_s_ = 0;      ///< exact time of the last arrival (or state change)
    double switch_at_s_ = 0;  ///< when the current state ends
};

}  // namespace s2sim::models

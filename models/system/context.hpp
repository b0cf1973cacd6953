#pragma once
#include <string>

#include "models/network/flow_network.hpp"
#include "models/recorder.hpp"
#include "models/system_model.hpp"
#include "sim/simulation.hpp"
#include "sim/time.hpp"

namespace s2sim::models::system {

/// What every part of a System reads: the model, the simulation, the network, the recorder
/// and the run's clock. Owned by System; the parts hold a reference to it.
struct Context {
    Context(const SystemModel& model_in, Simulation& sim_in, Recorder& recorder_in, FlowNetwork* network_in)
        : model(model_in), sim(sim_in), recorder(recorder_in), network(network_in) {}

    const SystemModel& model;  ///< borrowed from System
    Simulation& sim;           ///< borrowed from System
    Recorder& recorder;        ///< borrowed from System
    FlowNetwork* network = nullptr;  ///< null = no network: messages arrive at once
    Time end{};                ///< end of the run (warm-up included)
    Time window{};             ///< time-series window; zero = no time series
    Time measure_from{};       ///< when measuring started (the end of the warm-up)
    bool measuring = false;    ///< the warm-up is over
    std::string stopped_because;  ///< why the run stopped early; empty = it did not
};

}  // namespace s2sim::models::system

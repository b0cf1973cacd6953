#pragma once
// System: the runnable model. It only wires its parts together (models/system/, one job
// each; see CONTRIBUTING.md "Follow one request"); the plain description it runs is
// SystemModel (models/system_model.hpp).
#include <functional>
#include <memory>

#include "models/network/flow_network.hpp"
#include "models/recorder.hpp"
#include "models/results.hpp"
#include "models/system_model.hpp"
#include "sim/simulation.hpp"

namespace s2sim::models {

/// The runnable model: servers, services, balancers, workloads and the network
/// on one Simulation. Built from a SystemModel, run once.
class System final {
public:
    explicit System(SystemModel model, QueueKind queue = QueueKind::quaternary_heap);
    ~System();
    System(const System&) = delete;
    System& operator=(const System&) = delete;

    /// Called with the fraction of simulated time done (0..1), a hundred times a run.
    /// Returning false stops the run early; the results are then marked partial.
    using Progress = std::function<bool(double fraction)>;

    /// Runs warm-up then the measured duration, and returns what was measured (once: the
    /// statistics are moved into the results).
    RunResults run(const Progress& progress = {});

    [[nodiscard]] Simulation& simulation() { return sim_; }
    /// Where components publish their figures (declare tables before run()).
    [[nodiscard]] Recorder& recorder() { return recorder_; }

private:
    /// The parts (models/system/): call engine, hosts, service pools, workload sources,
    /// replicator, faults, measurements, and the context they share.
    struct Parts;

    /// Ends the warm-up: every part forgets what it counted so far.
    void start_measuring();
    RunResults collect(double wall_s);

    SystemModel model_;
    Simulation sim_;
    Recorder recorder_;
    std::unique_ptr<FlowNetwork> network_;
    std::unique_ptr<Parts> parts_;
};

}  // namespace s2sim::models

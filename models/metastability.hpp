#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/recorder.hpp"
#include "sim/time.hpp"

namespace s2sim::models {

class Server;
struct SystemModel;

/// The metastability report (`[metastability]`): what a scenario asks of it.
struct MetastabilityModel {
    double settle_s = 30;        ///< seconds after the last trigger ended before windows are judged
    double goodput_below = 0.5;  ///< goodput under this fraction of the first attempts is low
};

/// Per service and time-series window: first attempts, all attempts (retries and hedges
/// included), goodput (successful answers a caller still waited for), the amplification
/// (attempts / first attempts) and the capacity (attempts per second the servers up can
/// serve: the sum of cores x speed over the mean work of an attempt, by the window's op mix).
/// At the end, a finding in the log for each service that, in every window from `settle_s`
/// after the last trigger (a rate spike, a fault) ended, was offered fewer first attempts than
/// its capacity, received more attempts than its capacity, and served a goodput below
/// `goodput_below` x its first attempts: a retry storm that outlived its cause.
class MetastabilityReport {
public:
    /// `hosts[i]` is the server of host i (borrowed, as `recorder`; both outlive this).
    MetastabilityReport(const MetastabilityModel& model, const SystemModel& system,
                        const std::vector<const Server*>& hosts, Recorder& recorder);

    /// An attempt of op `op` of `service` was sent; `first`: not a retry nor a hedge.
    void attempt_sent(std::uint32_t service, std::uint32_t op, bool first) {
        Live& s = live_[service];
        ++s.op_attempts[op];
        ++s.attempts;
        s.attempts_handle.add();
        if (first) {
            ++s.first;
            s.first_handle.add();
        }
    }
    /// A successful answer of `service` reached a caller that still waited for it.
    void answered(std::uint32_t service) {
        ++live_[service].goodput;
        live_[service].goodput_handle.add();
    }
    /// Forgets the warm-up.
    void start_measuring();
    /// Closes the window [start, now): called before the recorder closes it.
    void close_window(Time start, Time now);
    /// Judges every service and logs the findings (after the last window closed).
    void conclude(Time now);

    /// What ended last among the triggers and when (seconds from the start of the run);
    /// `what` is empty when the scenario has no trigger.
    struct Trigger {
        double end_s = 0;
        std::string what;  ///< "the spike", "the failure of 'db-1'", "the slow-down of 'a--b'"
    };
    [[nodiscard]] const Trigger& trigger() const { return trigger_; }

private:
    struct Live {
        std::string name;
        std::vector<const Server*> servers;
        std::vector<double> op_work_s;  ///< mean core-seconds per attempt of each op
        std::vector<std::uint64_t> op_attempts;  ///< in the open window
        std::uint64_t first = 0;
        std::uint64_t attempts = 0;
        std::uint64_t goodput = 0;
        Recorder::Counter first_handle;
        Recorder::Counter attempts_handle;
        Recorder::Counter goodput_handle;
        Recorder::Value amplification;
        Recorder::Value capacity;
        std::uint64_t total_first = 0;
        std::uint64_t total_attempts = 0;
    };
    struct Window {
        double start_s = 0;
        double end_s = 0;
        std::vector<double> first;  ///< per service, per second
        std::vector<double> attempts;
        std::vector<double> goodput;
        std::vector<double> capacity;
    };
    MetastabilityModel model_;
    std::vector<Live> live_;
    std::vector<Window> windows_;
    Trigger trigger_;
    Recorder& recorder_;
    double measure_from_s_ = 0;
};

}  // namespace s2sim::models

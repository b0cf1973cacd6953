#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "models/balancer.hpp"
#include "models/elastic/elastic_model.hpp"
#include "models/recorder.hpp"
#include "models/server.hpp"
#include "sim/simulation.hpp"
#include "sim/stats/log_histogram.hpp"

/// Elasticity and resilience of services (docs/elasticity.md): the autoscaler, outlier
/// ejection, load shedding and per-caller concurrency limits. The System owns one
/// Elasticity when any service opts in, and calls its hooks at a few places: health
/// checks, sending a call, an answer reaching its caller, a timeout, a shed call.
///
/// A backend is in its balancer (ServerView::healthy) when no reason keeps it out: its
/// health check says it is down, it is not in the pool (idle, booting or draining) or it
/// is ejected. Balancers keep their fixed list of backends: an autoscaled service's list
/// holds `max` servers from the start, the idle ones out of the balancer.
namespace s2sim::models {

class Elasticity {
public:
    /// `sim` and `recorder` are borrowed for the run.
    Elasticity(Simulation& sim, Recorder& recorder);
    Elasticity(const Elasticity&) = delete;
    Elasticity& operator=(const Elasticity&) = delete;

    /// Registers service `service` (indices must come in order 0, 1, ...). `views` and
    /// `balancer` are the service's, `servers` its backends' servers, all borrowed for the
    /// run. Services without settings get no state. Throws s2sim::Error on a bad setting.
    void add_service(const std::string& name, const ElasticModel& model, std::vector<ServerView>& views,
                     Balancer& balancer, std::vector<const Server*> servers);
    /// Schedules the autoscalers' decisions and the outlier sweeps up to `end`.
    void start(Time end);
    /// At the end of the run: the cost figures (server-seconds) up to `now`.
    void finish(Time now);

    /// Health check of backend `backend` of `service` noticed `healthy`: returns what its
    /// view's `healthy` flag must be (false also while it is out for another reason).
    bool health(std::uint32_t service, std::uint32_t backend, bool healthy);
    /// Calls `caller` (a host index, or hosts + workload index) may send one more call
    /// `call` to `service` under its concurrency limit: true (and counted) or false (the
    /// call must fail at once; counted as over the limit).
    bool acquire(std::uint32_t service, std::uint32_t caller, std::uint32_t call);
    /// The caller of `call` stopped waiting for it (answer or timeout): frees its place.
    void release(std::uint32_t service, std::uint32_t call) {
        if (call < caller_of_.size() && caller_of_[call] != unlimited) release_slow(service, call);
    }
    /// An answer from backend `backend` of `service` reached its caller after `latency_s`
    /// seconds; `error` when it failed, `late` when its caller had timed out (the timeout
    /// was counted then). Call after the view's in_flight was decremented.
    void on_answer(std::uint32_t service, std::uint32_t backend, double latency_s, bool error, bool late);
    /// The caller of `call`, sent to backend `backend` of `service` (unlimited: none
    /// picked), timed out: an error for outlier detection, and its place is freed.
    void timed_out(std::uint32_t service, std::uint32_t backend, std::uint32_t call);
    /// The absolute time by which a call of `service` that arrived at `arrived` must start
    /// its work; Time::max() when the service sheds nothing.
    [[nodiscard]] Time deadline(std::uint32_t service, Time arrived) const {
        const Time d = services_[service].queue_deadline;
        return d == Time::max() ? d : arrived + d;
    }
    /// A call of `service` was shed (waited past its deadline).
    void shed(std::uint32_t service);

    /// Servers in the balancer pool of an autoscaled service now (ready ones), for tests.
    [[nodiscard]] std::uint32_t ready(std::uint32_t service) const;

    static constexpr std::uint32_t unlimited = UINT32_MAX;

private:
    /// Why a backend is out of its balancer: bits, healthy when none is set.
    enum Out : std::uint8_t { out_health = 1, out_pool = 2, out_ejected = 4 };
    enum class Phase : std::uint8_t { idle, booting, ready, draining };
    struct Scaler {
        AutoscaleModel model;
        std::vector<Phase> phase;             ///< per backend
        std::vector<EventId> boot;            ///< per backend: pending boot
        std::vector<Time> measured_from;      ///< per backend: start of its metric span
        std::vector<double> busy_at;          ///< per backend: busy core-seconds at measured_from
        std::vector<double> queue_at;         ///< per backend: queue-seconds at measured_from
        stats::LogHistogram latency;          ///< successful answers since the last decision
        std::deque<std::pair<Time, std::uint32_t>> recommendations;  ///< (time, desired)
        std::deque<std::pair<Time, std::int64_t>> changes;           ///< (time, servers added (+) or removed (-))
        std::uint32_t held = 0;               ///< booting + ready
        std::uint32_t ready = 0;
        std::uint32_t draining = 0;
        Recorder::Level servers, billed;
        Recorder::Value server_s;
        Recorder::Counter scale_outs, scale_ins;
    };
    struct Outlier {
        OutlierModel model;
        std::vector<std::uint32_t> consecutive;  ///< per backend: errors in a row
        std::vector<std::uint32_t> times;        ///< per backend: ejection multiplier
        std::vector<std::uint32_t> ok, errors;   ///< per backend: answers in the current interval
        std::uint32_t ejected = 0;
        Recorder::Counter ejections;
        Recorder::Level ejected_level;
        std::vector<Recorder::Counter> server_ejections;
        std::vector<Recorder::Level> server_ejected;
    };
    struct Service {
        std::string name;
        std::vector<ServerView>* views = nullptr;
        Balancer* balancer = nullptr;
        std::vector<const Server*> servers;
        std::vector<std::uint8_t> out;  ///< per backend: Out bits; empty = only health checks
        std::unique_ptr<Scaler> scaler;
        std::unique_ptr<Outlier> outlier;
        Time queue_deadline = Time::max();
        std::uint32_t limit = unlimited;
        std::vector<std::uint32_t> in_flight;  ///< per caller, when limited
        Recorder::Counter shed, over_limit;
    };

    /// Sets or clears reason `reason` of backend `b` and updates its view.
    void set_out(Service& s, std::uint32_t b, Out reason, bool on);
    void release_slow(std::uint32_t service, std::uint32_t call);
    /// Outlier detection: an answer (or a timeout) of backend `backend`.
    void count_answer(std::uint32_t service, std::uint32_t backend, bool error);
    // Autoscaler.
    void decide(std::uint32_t service);
    void scale_out(std::uint32_t service, std::uint32_t count);
    void scale_in(std::uint32_t service, std::uint32_t count);
    void make_ready(std::uint32_t service, std::uint32_t b);
    void set_idle(Service& s, std::uint32_t b);
    void record_levels(Service& s);
    // Outlier detection.
    void eject(std::uint32_t service, std::uint32_t b, const char* why);
    void sweep(std::uint32_t service);
    [[nodiscard]] std::uint32_t pool_size(const Service& s) const;

    Simulation& sim_;
    Recorder& recorder_;
    Time end_ = Time::max();
    std::vector<Service> services_;
    std::vector<std::uint32_t> caller_of_;  ///< per call id: the caller whose place it holds, or unlimited
    Recorder::TableId autoscale_table_ = Recorder::none, outlier_table_ = Recorder::none,
                      outlier_servers_table_ = Recorder::none, shedding_table_ = Recorder::none;
};

}  // namespace s2sim::models

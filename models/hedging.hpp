#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/recorder.hpp"
#include "sim/simulation.hpp"
#include "sim/stats/log_histogram.hpp"

namespace s2sim::models {

struct CallModel;

/// Hedged requests of one call (`hedge = { after = "10ms", max = 1 }`): when an attempt has
/// not answered after `after`, another is sent, up to `max` more; the first success wins and
/// the others are cancelled at their servers.
struct HedgeModel {
    double after_s = 0;     ///< seconds before each hedge (fixed delay); used when percentile is 0
    double percentile = 0;  ///< in (0, 1): the delay is this quantile of the call's observed latency
    std::uint32_t max = 1;  ///< hedges per call, 1 to max_hedges
    static constexpr std::uint32_t max_hedges = 4;  ///< gRPC allows 5 attempts in all
    /// Successful calls observed before a percentile delay applies (no hedge before):
    /// ceil(10 / (1 - percentile)), so that at least ten observations lie above it.
    [[nodiscard]] std::uint64_t samples_needed() const;
};

/// The attempts of hedged calls in flight, in slots reused without allocation, and the
/// observed latency of each hedged call (for percentile delays). Counts go to the "hedging"
/// table (row: the called service).
class HedgeGroups {
public:
    static constexpr std::uint32_t none = UINT32_MAX;
    /// One logical call: its attempts in flight and its hedge timer.
    struct Group {
        std::uint32_t parent = none;  ///< the calling Call
        std::uint32_t parent_generation = 0;
        const CallModel* via = nullptr;
        std::array<std::uint32_t, HedgeModel::max_hedges + 1> attempts{};  ///< call ids in flight
        std::array<std::uint32_t, HedgeModel::max_hedges + 1> attempt_generations{};
        std::uint16_t in_flight = 0;  ///< entries of `attempts` in use
        std::uint16_t sent = 0;       ///< attempts sent so far (the first included)
        std::uint32_t generation = 0; ///< bumped when the slot is freed
        std::uint32_t next_free = none;
        bool open = false;
        EventId timer;  ///< the next hedge
        Time started;   ///< when the first attempt was sent
    };

    /// Declares the "hedging" table with a row per service that `hedged` marks (a call to
    /// it hedges); `recorder` is borrowed and must outlive this.
    HedgeGroups(Recorder& recorder, const std::vector<std::string>& service_names, const std::vector<bool>& hedged);

    std::uint32_t open(std::uint32_t parent, std::uint32_t parent_generation, const CallModel* via, Time now);
    void close(std::uint32_t group);
    [[nodiscard]] Group& operator[](std::uint32_t group) { return groups_[group]; }
    [[nodiscard]] bool alive(std::uint32_t group, std::uint32_t generation) const {
        return groups_[group].open && groups_[group].generation == generation;
    }
    void add_attempt(std::uint32_t group, std::uint32_t call, std::uint32_t generation);
    /// Removes `call` from the group's attempts in flight; false when it was not there.
    bool remove_attempt(std::uint32_t group, std::uint32_t call);

    /// Seconds to wait before the next hedge of `via`; none = send no hedge (a percentile
    /// delay without enough observations yet).
    [[nodiscard]] std::optional<double> delay(const CallModel& via);
    /// A successful call of `via` that took `latency_s` (first attempt sent to the winner's answer).
    void observe(const CallModel& via, double latency_s);

    /// Counts: a hedge sent to `service`, won by a hedge, an attempt cancelled.
    void count_hedge(std::uint32_t service) { rows_[service].hedges.add(); }
    void count_win(std::uint32_t service) { rows_[service].wins.add(); }
    void count_cancelled(std::uint32_t service) { rows_[service].cancelled.add(); }

private:
    struct Observed {
        stats::LogHistogram latency;
        std::uint64_t since_update = 0;
        std::optional<double> delay;  ///< the quantile, recomputed every `refresh` observations
    };
    struct Row {
        Recorder::Counter hedges;
        Recorder::Counter wins;
        Recorder::Counter cancelled;
    };
    static constexpr std::uint64_t refresh = 32;
    std::vector<Group> groups_;
    std::uint32_t free_ = none;
    std::map<const CallModel*, Observed> observed_;
    std::vector<Row> rows_;
};

}  // namespace s2sim::models

#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/time.hpp"

namespace s2sim::models {

/// What a scheduled fault does (docs/scenario-format.md `[[event]]`).
enum class FaultAction : std::uint8_t { fail, recover, slow };

/// A scheduled change to one server or to a set of links (a link "a--b" means every
/// link between a and b; a switch means every link touching it).
struct FaultEvent {
    std::string target;        ///< as written, for error messages
    double at_s = 0;           ///< seconds from the start of the run (warm-up included)
    FaultAction action = FaultAction::fail;
    std::optional<std::uint32_t> host;  ///< the server (index into SystemModel::hosts), or none for links
    std::vector<std::uint32_t> links;   ///< LinkIds of the topology when `host` is none
    std::optional<double> duration_s;   ///< the change reverts after this long; none = stays
    double factor = 1;                  ///< slow: work takes `factor` times longer
};

/// Random failures of one server: up for a draw of `mtbf`, down for a draw of `mttr`,
/// and so on, from its own random stream "failure/<server>".
struct RandomFailures {
    std::uint32_t host = 0;  ///< index into SystemModel::hosts
    DistributionPtr mtbf;    ///< seconds up between a repair and the next failure
    DistributionPtr mttr;    ///< seconds down
};

/// A retry budget as in Finagle's RetryBudget: over a sliding window (ten buckets of
/// one second), retries may number at most `ratio` times the first attempts sent.
/// A budget of 0 allows no retry at all. Counts only; no allocation after construction.
class RetryBudget {
public:
    /// `ratio` >= 0: retries allowed per first attempt over the window.
    explicit RetryBudget(double ratio) : ratio_(ratio) {}
    /// Counts a first attempt sent at `now`.
    void record_call(Time now) { bucket(now).calls += 1; }
    /// True (and the retry is counted) when one more retry at `now` keeps retries
    /// within ratio x first attempts over the last window.
    bool try_retry(Time now);
    /// The window over which calls and retries are counted.
    static constexpr Time window = Time::from_seconds(10.0);

private:
    struct Bucket {
        std::int64_t second = -1;  ///< whole second of simulated time the counts belong to
        double calls = 0;
        double retries = 0;
    };
    Bucket& bucket(Time now);
    static constexpr std::size_t buckets = 10;
    double ratio_;
    std::array<Bucket, buckets> ring_{};
};

}  // namespace s2sim::models

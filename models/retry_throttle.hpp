#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/recorder.hpp"
#include "sim/time.hpp"

namespace s2sim::models {

/// Retry throttling of calls to one service, as gRPC's (proposal A6, "retryThrottling"):
/// the setting a service gives its callers.
struct RetryThrottleModel {
    double max_tokens = 100;   ///< tokens in a full bucket, in (0, 1000]
    double token_ratio = 0.1;  ///< tokens a success adds, > 0, at most 3 decimals
};

/// One caller's token bucket for one service. It starts full; a failed attempt (an error or
/// a timeout) takes one token, a successful one adds token_ratio, within [0, max_tokens];
/// retries and hedges are allowed only while the tokens are above max_tokens / 2. Counted in
/// thousandths of a token, as gRPC does, so a run is exact whatever the order of additions.
class RetryThrottle {
public:
    explicit RetryThrottle(const RetryThrottleModel& model)
        : max_(milli(model.max_tokens)), ratio_(milli(model.token_ratio)), tokens_(max_) {}
    /// Counts how an attempt ended.
    void record(bool success) {
        tokens_ = success ? std::min(max_, tokens_ + ratio_) : std::max<std::int64_t>(0, tokens_ - 1000);
    }
    /// True while retries and hedges may be sent (tokens > max_tokens / 2).
    [[nodiscard]] bool allows() const { return 2 * tokens_ > max_; }
    /// Tokens in the bucket now.
    [[nodiscard]] double tokens() const { return static_cast<double>(tokens_) / 1000.0; }
    /// A number of tokens in thousandths (the loader checks there are no finer digits).
    [[nodiscard]] static std::int64_t milli(double tokens) { return static_cast<std::int64_t>(tokens * 1000.0 + 0.5); }

private:
    std::int64_t max_;
    std::int64_t ratio_;
    std::int64_t tokens_;
};

/// The throttles of one service: a bucket per calling server, made when it first calls, and
/// the rows of the "retry_throttling" table (row "caller->service").
class RetryThrottles {
public:
    /// `recorder` is borrowed and must outlive this; `hosts` names every server by host index.
    RetryThrottles(const RetryThrottleModel& model, std::string service, Recorder& recorder,
                   std::vector<std::string> hosts);

    /// Counts how an attempt from `caller` (a host index) ended.
    void record(std::uint32_t caller, bool success, Time now);
    /// True when `caller` may send a retry or a hedge; when not, counts it as throttled.
    bool allows(std::uint32_t caller, Time now);

    /// Declares the table (once per System, when a service throttles).
    static Recorder::TableId declare(Recorder& recorder);

private:
    struct Bucket {
        RetryThrottle throttle;
        Recorder::Level tokens;
        Recorder::Counter failures;
        Recorder::Counter successes;
        Recorder::Counter throttled;
    };
    Bucket& bucket(std::uint32_t caller, Time now);

    RetryThrottleModel model_;
    std::string service_;
    Recorder& recorder_;
    Recorder::TableId table_;
    std::vector<std::string> hosts_;
    std::vector<std::unique_ptr<Bucket>> buckets_;  ///< per host index; null until it calls
};

}  // namespace s2sim::models

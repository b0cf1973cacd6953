#include "models/retry_throttle.hpp"

namespace s2sim::models {

Recorder::TableId RetryThrottles::declare(Recorder& recorder) {
    const Recorder::TableId found = recorder.find_table("retry_throttling");
    if (found != Recorder::none) return found;
    return recorder.add_table(
        "retry_throttling", "caller->service",
        {{"tokens", "tokens", FigureKind::level, "tokens in the caller's bucket for the service"},
         {"failures", "attempts", FigureKind::counter, "attempts that failed or timed out (each takes a token)"},
         {"successes", "attempts", FigureKind::counter, "attempts that succeeded (each adds token_ratio)"},
         {"throttled", "attempts", FigureKind::counter, "retries and hedges not sent: tokens at or below half"}},
        true);
}

RetryThrottles::RetryThrottles(const RetryThrottleModel& model, std::string service, Recorder& recorder,
                               std::vector<std::string> hosts)
    : model_(model), service_(std::move(service)), recorder_(recorder), table_(declare(recorder)),
      hosts_(std::move(hosts)) {
    buckets_.resize(hosts_.size());
}

RetryThrottles::Bucket& RetryThrottles::bucket(std::uint32_t caller, Time now) {
    std::unique_ptr<Bucket>& b = buckets_[caller];
    if (!b) {
        const Recorder::RowId row = recorder_.add_row(table_, hosts_[caller] + "->" + service_);
        b = std::make_unique<Bucket>(Bucket{RetryThrottle(model_), recorder_.level(table_, row, 0),
                                            recorder_.counter(table_, row, 1), recorder_.counter(table_, row, 2),
                                            recorder_.counter(table_, row, 3)});
        b->tokens.set(now, b->throttle.tokens());
    }
    return *b;
}

void RetryThrottles::record(std::uint32_t caller, bool success, Time now) {
    Bucket& b = bucket(caller, now);
    b.throttle.record(success);
    (success ? b.successes : b.failures).add();
    b.tokens.set(now, b.throttle.tokens());
}

bool RetryThrottles::allows(std::uint32_t caller, Time now) {
    Bucket& b = bucket(caller, now);
    if (b.throttle.allows()) return true;
    b.throttled.add();
    return false;
}

}  // namespace s2sim::models

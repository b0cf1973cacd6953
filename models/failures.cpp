// The retry budget. (What faults do to a running System: models/system/faults.cpp.)
#include "models/failures.hpp"

namespace s2sim::models {

RetryBudget::Bucket& RetryBudget::bucket(Time now) {
    const std::int64_t second = now.ns() / 1'000'000'000;
    Bucket& b = ring_[static_cast<std::size_t>(second) % buckets];
    if (b.second != second) b = Bucket{second, 0, 0};  // a bucket older than the window: start afresh
    return b;
}

bool RetryBudget::try_retry(Time now) {
    Bucket& current = bucket(now);
    const std::int64_t second = current.second;
    double calls = 0, retries = 0;
    for (const Bucket& b : ring_) {
        if (b.second > second - static_cast<std::int64_t>(buckets)) {
            calls += b.calls;
            retries += b.retries;
        }
    }
    if (retries + 1 > ratio_ * calls) return false;
    current.retries += 1;
    return true;
}

}  // namespace s2sim::models

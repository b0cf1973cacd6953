#include "models/balancers/peak_ewma.hpp"

#include <algorithm>
#include <cmath>

#include "models/balancers/common.hpp"

namespace s2sim::models {
namespace {
// Finagle's penalty for a backend with requests in flight and no latency seen
// yet: Long.MaxValue >> 16 nanoseconds (about 1.4e5 s), far above any real cost.
constexpr double kPenalty_s = static_cast<double>(0x7fffffffffffffffLL >> 16) * 1e-9;
}  // namespace

PeakEwma::PeakEwma(std::size_t backend_count, unsigned choices, double decay_s)
    : count_(backend_count),
      choices_(choices),
      tau_s_(decay_s),
      cost_(backend_count, 0.0),
      stamp_(backend_count, Time::zero()),
      pool_(backend_count) {}

void PeakEwma::observe(ServerIndex server, double rtt_s, Time now) {
    // Finagle's Metric.observe: the weight of the old cost falls with the time
    // since the last update, which handles unevenly spaced observations.
    const double td = std::max((now - stamp_[server]).seconds(), 0.0);
    const double w = std::exp(-td / tau_s_);
    double& cost = cost_[server];
    if (rtt_s > cost) cost = rtt_s;
    else cost = cost * w + rtt_s * (1.0 - w);
    stamp_[server] = std::max(now, stamp_[server]);
}

double PeakEwma::load(ServerIndex server, std::uint32_t in_flight, Time now) {
    observe(server, 0.0, now);  // Finagle's Metric.get: fold in the decay first
    const double cost = cost_[server];
    if (cost == 0.0 && in_flight != 0) return kPenalty_s + in_flight;
    return cost * (in_flight + 1.0);
}

double PeakEwma::latency_estimate(ServerIndex server, Time now) const {
    const double td = std::max((now - stamp_[server]).seconds(), 0.0);
    return cost_[server] * std::exp(-td / tau_s_);
}

ServerIndex PeakEwma::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    const auto sampled = pool_.sample(choices_, ctx.rng);
    if (sampled.empty()) return static_cast<ServerIndex>(count_);
    ServerIndex best = sampled[0];
    double best_load = load(best, servers[best].in_flight, ctx.now);
    for (std::size_t j = 1; j < sampled.size(); ++j) {
        const ServerIndex i = sampled[j];
        const double l = load(i, servers[i].in_flight, ctx.now);
        if (l < best_load) {
            best = i;
            best_load = l;
        }
    }
    return best;
}

void PeakEwma::on_response(ServerIndex server, double latency_s, Time now) {
    if (server < count_) observe(server, latency_s, now);
}

}  // namespace s2sim::models

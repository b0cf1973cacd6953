#include "models/balancer.hpp"

#include <array>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "models/balancers/common.hpp"
#include "models/balancers/consistent_hash.hpp"
#include "models/balancers/join_shortest_queue.hpp"
#include "models/balancers/least_connections.hpp"
#include "models/balancers/locality.hpp"
#include "models/balancers/maglev.hpp"
#include "models/balancers/peak_ewma.hpp"
#include "models/balancers/power_of_two.hpp"
#include "models/balancers/random.hpp"
#include "models/balancers/round_robin.hpp"
#include "models/balancers/weighted_random.hpp"
#include "models/balancers/weighted_round_robin.hpp"
#include "sim/error.hpp"

namespace s2sim::models {

namespace balancing {
void fail(std::string_view policy, std::string_view what) {
    throw Error(fmt::format("{}: {}", policy, what));
}
}  // namespace balancing

namespace {

// Envoy's upper limit on the Maglev table size; beyond it tables cost more
// memory (4 bytes a slot, a few cached) than any balance gain is worth.
constexpr std::uint32_t kMaxMaglevTableSize = 5000011;

bool is_prime(std::uint32_t m) {
    if (m < 2) return false;
    for (std::uint64_t d = 2; d * d <= m; ++d) {
        if (m % d == 0) return false;
    }
    return true;
}

// Policies that read weights; the others reject them rather than ignore them.
void reject_weights(const BalancerOptions& options) {
    if (!options.weights.empty()) {
        balancing::fail(options.policy,
                        "this policy takes no weights (weights are for weighted_round_robin, weighted_random)");
    }
}

// Weights after the common checks: empty means all 1.
std::vector<double> weights_or_ones(const BalancerOptions& options, std::size_t n) {
    return options.weights.empty() ? std::vector<double>(n, 1.0) : options.weights;
}

}  // namespace

void BalancerRegistry::add(std::string_view name, BalancerFactory factory) {
    if (!factories_.emplace(std::string(name), std::move(factory)).second) {
        throw Error(fmt::format("balancer policy '{}' is already registered", name));
    }
}

bool BalancerRegistry::contains(std::string_view name) const {
    return factories_.find(name) != factories_.end();
}

std::vector<std::string> BalancerRegistry::names() const {
    std::vector<std::string> out;
    out.reserve(factories_.size());
    for (const auto& entry : factories_) out.push_back(entry.first);
    return out;  // std::map keeps them sorted
}

std::unique_ptr<Balancer> BalancerRegistry::make(const BalancerOptions& options,
                                                 std::size_t backend_count) const {
    const auto it = factories_.find(options.policy);
    if (it == factories_.end()) {
        throw Error(fmt::format("unknown policy '{}' (expected: {})", options.policy,
                                fmt::join(names(), ", ")));
    }
    const auto& policy = options.policy;
    if (backend_count == 0) balancing::fail(policy, "a balancer needs at least one backend");
    if (backend_count >= 0xffffffffULL) {
        balancing::fail(policy, fmt::format("{} backends are too many (at most 4294967294)", backend_count));
    }
    if (options.choices < 1) balancing::fail(policy, "choices must be at least 1, got 0");
    if (!options.weights.empty()) {
        if (options.weights.size() != backend_count) {
            balancing::fail(policy, fmt::format("{} weights given for {} backends (expected one per backend)",
                                                options.weights.size(), backend_count));
        }
        for (std::size_t i = 0; i < options.weights.size(); ++i) {
            const double w = options.weights[i];
            if (!(w > 0.0) || !std::isfinite(w)) {
                balancing::fail(policy,
                                fmt::format("weight {} of backend {} is not a positive number", w, i));
            }
        }
    }
    if (!options.sites.empty() && options.sites.size() != backend_count) {
        balancing::fail(policy, fmt::format("{} sites given for {} backends (expected one per backend)",
                                            options.sites.size(), backend_count));
    }
    return it->second(options, backend_count);
}

void register_builtins(BalancerRegistry& registry) {
    using Options = const BalancerOptions&;
    registry.add(RoundRobin::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        reject_weights(o);
        return std::make_unique<RoundRobin>(n);
    });
    registry.add(RandomBalancer::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        reject_weights(o);
        return std::make_unique<RandomBalancer>(n);
    });
    registry.add(LeastConnections::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        reject_weights(o);
        return std::make_unique<LeastConnections>(n);
    });
    registry.add(JoinShortestQueue::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        reject_weights(o);
        return std::make_unique<JoinShortestQueue>(n);
    });
    registry.add(PowerOfTwo::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        reject_weights(o);
        return std::make_unique<PowerOfTwo>(n, o.choices);
    });
    registry.add(WeightedRoundRobin::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        return std::make_unique<WeightedRoundRobin>(weights_or_ones(o, n));
    });
    registry.add(WeightedRandom::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        return std::make_unique<WeightedRandom>(weights_or_ones(o, n));
    });
    registry.add(ConsistentHash::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        reject_weights(o);
        if (o.vnodes < 1) balancing::fail(o.policy, "vnodes must be at least 1, got 0");
        // Envoy caps its ring at 8M entries; a larger ring only costs memory.
        if (static_cast<double>(o.vnodes) * static_cast<double>(n) > 8388608.0) {
            balancing::fail(o.policy, fmt::format("{} vnodes x {} backends exceed the ring limit of 8388608 points",
                                                  o.vnodes, n));
        }
        return std::make_unique<ConsistentHash>(n, o.vnodes);
    });
    registry.add(Maglev::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        reject_weights(o);
        const auto m = o.maglev_table_size;
        if (!is_prime(m)) {
            balancing::fail(o.policy, fmt::format("table size {} is not prime (expected a prime such as 65537)", m));
        }
        if (m < n) {
            balancing::fail(o.policy, fmt::format("table size {} is smaller than the {} backends", m, n));
        }
        if (m > kMaxMaglevTableSize) {
            balancing::fail(o.policy, fmt::format("table size {} is above the limit of {}", m, kMaxMaglevTableSize));
        }
        return std::make_unique<Maglev>(n, m);
    });
    registry.add(PeakEwma::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        reject_weights(o);
        if (!(o.decay_s > 0.0) || !std::isfinite(o.decay_s)) {
            balancing::fail(o.policy, fmt::format("decay must be a positive time, got {}s", o.decay_s));
        }
        return std::make_unique<PeakEwma>(n, o.choices, o.decay_s);
    });
    registry.add(Locality::policy, [](Options o, std::size_t n) -> std::unique_ptr<Balancer> {
        reject_weights(o);
        if (!(o.spill_at > 0.0 && o.spill_at <= 1.0)) {
            balancing::fail(o.policy, fmt::format("spill_at must be in (0, 1], got {}", o.spill_at));
        }
        return std::make_unique<Locality>(n, o.sites, o.spill_at);
    });
}

std::unique_ptr<Balancer> make_balancer(const BalancerOptions& options, std::size_t backend_count) {
    // Built once, on first use (thread-safe): no static-initialiser registration.
    static const BalancerRegistry registry = [] {
        BalancerRegistry r;
        register_builtins(r);
        return r;
    }();
    return registry.make(options, backend_count);
}

std::span<const std::string_view> balancer_policies() {
    static constexpr std::array<std::string_view, 11> kNames = {
        ConsistentHash::policy,     JoinShortestQueue::policy, LeastConnections::policy,
        Locality::policy,           Maglev::policy,            PeakEwma::policy,
        PowerOfTwo::policy,         RandomBalancer::policy,    RoundRobin::policy,
        WeightedRandom::policy,     WeightedRoundRobin::policy,
    };
    return kNames;
}

}  // namespace s2sim::models

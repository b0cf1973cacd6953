#pragma once
#include <cstdint>

#include "models/system.hpp"
#include "scenario/spec.hpp"

namespace s2sim::scenario {

/// Turns a checked Spec into the runnable model of one run with master seed `seed`.
/// Builds the topology, resolves sites, makes the balancers' options and checks
/// what only shows once the pieces meet: every workload and every call has a route
/// between every pair of nodes it may use. Throws ConfigError at the offending value.
[[nodiscard]] models::SystemModel build(const Spec& spec, std::uint64_t seed);

/// Runs build() for its checks only (`s2sim check`).
void validate(const Spec& spec);

}  // namespace s2sim::scenario

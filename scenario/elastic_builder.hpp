#pragma once
#include "models/system.hpp"
#include "scenario/spec.hpp"

namespace s2sim::scenario {

/// Fills `service.elastic` from `spec.elastic` and, for an autoscaled service, adds the
/// servers it may scale to (max - listed) to `model`: copies of its first server named
/// after that server's group (web-5, web-6, ... after web-1..web-4), at the same site
/// and, with a network, linked like it (the same links to the same neighbours). They
/// start idle. Throws ConfigError at the autoscale value when a name is taken.
void build_elastic(const Spec& spec, const ServiceSpec& spec_service, models::SystemModel& model,
                   models::ServiceModel& service);

}  // namespace s2sim::scenario

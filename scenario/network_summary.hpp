#pragma once
#include <string>

#include "scenario/spec.hpp"

namespace s2sim::scenario {

/// What `s2sim check` says about the network of `spec`, one line ending in '\n':
/// with no [[link]], that there is no network (messages arrive at once, sizes cost
/// nothing); otherwise that messages are flows sharing link bandwidth max-min fairly,
/// and how many routes (ordered pairs of nodes that exchange messages: calls and
/// their responses, client requests and their responses, replication and its
/// acknowledgements) are in use, with the longest in hops and latency.
/// Builds the model of `spec`, so it throws ConfigError as validate() does.
[[nodiscard]] std::string describe_network(const Spec& spec);

}  // namespace s2sim::scenario

#pragma once
#include <string>

#include "scenario/spec.hpp"

/// Graphviz DOT of a scenario, for `s2sim graph`: the wiring (servers, switches and
/// clients grouped in one cluster per site, links labelled with bandwidth and latency)
/// and the call graph (who calls whom, step by step).
namespace s2sim::scenario {

/// The topology as an undirected graph: one `cluster_<site>` subgraph per site (nodes
/// without a site stay outside), boxes for servers, diamonds for switches, ellipses for
/// clients; each link labelled "1 Gbps, 0.5 ms" (both directions when they differ).
/// A model without links draws its nodes alone.
[[nodiscard]] std::string topology_dot(const Spec& spec);

/// The call graph as a directed graph: one cluster per service holding its ops, one node
/// per workload; an edge per call labelled with its step ("1", parallel calls "2a", "2b"),
/// dashed for async calls, with "p=0.2" when probabilistic; replication edges go to the
/// replica servers (dotted, with the mode).
[[nodiscard]] std::string calls_dot(const Spec& spec);

}  // namespace s2sim::scenario

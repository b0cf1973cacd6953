#include "scenario/footprint.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include <fmt/format.h>

#include "scenario/arguments.hpp"

namespace s2sim::scenario {

namespace {

std::atomic<std::uint64_t> budget{std::uint64_t{8} << 30};

}  // namespace

std::uint64_t memory_budget() { return budget.load(std::memory_order_relaxed); }

void set_memory_budget(std::uint64_t bytes) { budget.store(bytes, std::memory_order_relaxed); }

std::string bytes_text(double bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024 && u < 6) {
        bytes /= 1024;
        ++u;
    }
    if (u == 0) return fmt::format("{:.0f} bytes", bytes);
    return bytes < 10 ? fmt::format("{:.1f} {}", bytes, units[u]) : fmt::format("{:.0f} {}", bytes, units[u]);
}

double windows_of(const Spec& spec) {
    if (!(spec.run.window > 0)) return 0;
    return std::ceil(spec.run.duration / spec.run.window - 1e-9);
}

namespace {

/// Request classes (workload/op) of `spec`: a trace may name every op of its service.
double classes_of(const Spec& spec) {
    double classes = 0;
    for (const WorkloadSpec& w : spec.workloads) {
        classes += std::holds_alternative<TraceArrival>(w.arrival.process)
                       ? static_cast<double>(spec.services[static_cast<std::size_t>(w.to)].ops.size())
                       : static_cast<double>(w.mix.size());
    }
    return classes;
}

/// Ops and replication pairs: each has a latency histogram in the results.
double ops_and_pairs_of(const Spec& spec, double& pairs) {
    double ops = 0;
    pairs = 0;
    for (const ServiceSpec& s : spec.services) {
        ops += static_cast<double>(s.ops.size());
        for (const OpSpec& o : s.ops) {
            if (o.replicate) pairs += static_cast<double>(o.replicate->to.size());
        }
    }
    return ops;
}

}  // namespace

double series_values_per_window(const Spec& spec) {
    double pairs = 0;
    (void)ops_and_pairs_of(spec, pairs);
    return 2 + 6 * classes_of(spec) + 2 * static_cast<double>(spec.servers.size()) + 2 * pairs;
}

double run_bytes(const Spec& spec) {
    double bytes = 0;
    for (const ServerSpec& s : spec.servers) {
        bytes += footprint::per_server;
        if (s.discipline != Discipline::ps) bytes += footprint::per_core * s.cores;
    }
    for (const WorkloadSpec& w : spec.workloads) {
        if (const auto* c = std::get_if<ClosedArrival>(&w.arrival.process)) {
            bytes += footprint::per_user * static_cast<double>(c->users);
        }
        if (w.keys) bytes += footprint::per_key * static_cast<double>(w.keys->count);
    }
    double pairs = 0;
    const double ops = ops_and_pairs_of(spec, pairs);
    bytes += footprint::per_histogram * (classes_of(spec) + ops + pairs);
    bytes += footprint::per_series_value * windows_of(spec) * series_values_per_window(spec);
    return bytes;
}

void check_replications_fit(const Spec& spec, int replications) {
    if (replications > max_replications_allowed) {
        throw UsageError(fmt::format("{} replications are too many (at most {})", replications,
                                     max_replications_allowed));
    }
    const double each = run_bytes(spec);
    const double total = each * std::max(1, replications);
    if (total > static_cast<double>(memory_budget())) {
        throw UsageError(fmt::format("{} replications of about {} of results each need about {}, more than the {} a "
                                     "run may use (ask for fewer replications, or fewer windows or servers)",
                                     replications, bytes_text(each), bytes_text(total),
                                     bytes_text(static_cast<double>(memory_budget()))));
    }
}

}  // namespace s2sim::scenario

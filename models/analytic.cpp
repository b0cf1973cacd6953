#include "models/analytic.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "models/system.hpp"
#include "sim/error.hpp"

namespace s2sim::models {
namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

double mean_of(const DistributionPtr& d) { return d ? d->mean() : 0.0; }

/// Share of a service's load that each of its servers gets: even, or by weight for the
/// weighted policies (what they converge to; the others balance to an even split on
/// identical servers, which is the case the estimate is meant for).
std::vector<double> shares_of(const ServiceModel& s) {
    const std::size_t n = s.servers.size();
    std::vector<double> shares(n, n ? 1.0 / static_cast<double>(n) : 0.0);
    const bool weighted = s.balancer.policy.rfind("weighted", 0) == 0;
    if (weighted && s.balancer.weights.size() == n) {
        double total = 0;
        for (const double w : s.balancer.weights) total += w;
        if (total > 0) {
            for (std::size_t i = 0; i < n; ++i) shares[i] = s.balancer.weights[i] / total;
        }
    }
    return shares;
}

}  // namespace

bool AnalyticResults::saturated() const {
    return std::any_of(servers.begin(), servers.end(), [](const ServerLoad& s) { return s.saturated; });
}

std::vector<double> solve_traffic(std::span<const double> external, const std::vector<std::vector<double>>& routing) {
    const auto n = static_cast<Eigen::Index>(external.size());
    if (routing.size() != external.size()) {
        throw Error(fmt::format("traffic equations: {} stations but {} routing rows", external.size(), routing.size()));
    }
    // (I - R^T) x = external: the visit rate of j is its outside arrivals plus the
    // visits every station i sends it.
    Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n);
    Eigen::VectorXd b(n);
    for (Eigen::Index i = 0; i < n; ++i) {
        const auto& row = routing[static_cast<std::size_t>(i)];
        if (row.size() != external.size()) {
            throw Error(fmt::format("traffic equations: routing row {} has {} entries, expected {}", i, row.size(),
                                    external.size()));
        }
        b(i) = external[static_cast<std::size_t>(i)];
        for (Eigen::Index j = 0; j < n; ++j) a(j, i) -= row[static_cast<std::size_t>(j)];
    }
    if (n == 0) return {};
    const Eigen::FullPivLU<Eigen::MatrixXd> lu(a);
    if (!lu.isInvertible()) {
        throw Error("traffic equations: the routing has a closed loop (I - R^T is singular)");
    }
    const Eigen::VectorXd x = lu.solve(b);
    std::vector<double> out(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) {
        out[static_cast<std::size_t>(i)] = x(i);
        if (!(x(i) >= -1e-9 * (1 + b.cwiseAbs().sum()))) {
            throw Error("traffic equations: visits grow without bound (the routing returns more than it receives)");
        }
    }
    return out;
}

double erlang_c(unsigned servers, double offered) {
    if (servers == 0) throw Error("erlang_c: needs at least one server");
    const double c = servers;
    if (offered >= c) return 1.0;
    if (offered <= 0) return 0.0;
    // Erlang B by its stable recursion, then C = B / (1 - rho (1 - B)).
    double b = 1.0;
    for (unsigned k = 1; k <= servers; ++k) b = offered * b / (static_cast<double>(k) + offered * b);
    const double rho = offered / c;
    return b / (1.0 - rho * (1.0 - b));
}

double mmc_wait(double lambda, double mean_service_s, unsigned servers) {
    if (lambda <= 0 || mean_service_s <= 0) return 0.0;
    const double offered = lambda * mean_service_s;
    if (offered >= servers) return infinity;
    // W_q = C(c, a) / (c mu - lambda).
    return erlang_c(servers, offered) / (static_cast<double>(servers) / mean_service_s - lambda);
}

AnalyticResults analyze(SystemModel& model, std::span<const double> workload_rates) {
    AnalyticResults out;
    if (workload_rates.size() != model.workloads.size()) {
        throw Error(fmt::format("analyze: {} workload rates for {} workloads", workload_rates.size(),
                                model.workloads.size()));
    }
    // Stations: every (service, op), numbered service by service.
    std::vector<std::size_t> first(model.services.size() + 1, 0);
    for (std::size_t s = 0; s < model.services.size(); ++s) first[s + 1] = first[s] + model.services[s].ops.size();
    const std::size_t n = first.back();
    const auto station = [&](std::uint32_t service, std::uint32_t op) { return first[service] + op; };

    std::vector<double> external(n, 0.0);
    std::vector<std::vector<double>> routing(n, std::vector<double>(n, 0.0));
    bool parallel = false;
    for (std::size_t s = 0; s < model.services.size(); ++s) {
        const ServiceModel& service = model.services[s];
        for (std::size_t o = 0; o < service.ops.size(); ++o) {
            const OpModel& op = service.ops[o];
            auto& row = routing[first[s] + o];
            for (const auto& step : op.steps) {
                if (step.size() > 1) parallel = true;
                for (const CallModel& c : step) row[station(c.service, c.op)] += c.probability;
            }
            for (const CallModel& c : op.async_calls) row[station(c.service, c.op)] += c.probability;
        }
    }
    for (std::size_t w = 0; w < model.workloads.size(); ++w) {
        const WorkloadModel& wl = model.workloads[w];
        const double rate = workload_rates[w];
        if (!std::isfinite(rate)) {
            out.notes.push_back("workload '" + wl.name + "' has no known mean rate (closed or trace): left out");
            continue;
        }
        double total = 0;
        for (const double x : wl.weights) total += x;
        for (std::size_t i = 0; i < wl.ops.size(); ++i) {
            external[station(wl.service, wl.ops[i])] += total > 0 ? rate * wl.weights[i] / total : 0.0;
        }
    }
    const std::vector<double> visits = solve_traffic(external, routing);

    // Per-server load: jobs per second and core-seconds per second.
    std::vector<double> jobs(model.hosts.size(), 0.0);
    std::vector<double> busy(model.hosts.size(), 0.0);
    std::vector<std::vector<double>> shares(model.services.size());
    for (std::size_t s = 0; s < model.services.size(); ++s) {
        const ServiceModel& service = model.services[s];
        shares[s] = shares_of(service);
        for (std::size_t o = 0; o < service.ops.size(); ++o) {
            const OpModel& op = service.ops[o];
            const double rate = visits[first[s] + o];
            const double parts = (op.work ? 1.0 : 0.0) + (op.work_after ? 1.0 : 0.0);
            const double work = mean_of(op.work) + mean_of(op.work_after);
            for (std::size_t k = 0; k < service.servers.size(); ++k) {
                const std::uint32_t h = service.servers[k];
                jobs[h] += rate * shares[s][k] * parts;
                busy[h] += rate * shares[s][k] * work / model.hosts[h].server.speed;
            }
        }
    }
    for (std::size_t h = 0; h < model.hosts.size(); ++h) {
        const ServerConfig& cfg = model.hosts[h].server;
        ServerLoad load;
        load.name = cfg.name;
        load.cores = cfg.cores;
        load.arrival_rate = jobs[h];
        load.mean_work_s = jobs[h] > 0 ? busy[h] / jobs[h] : 0.0;
        load.utilization = busy[h] / static_cast<double>(cfg.cores);
        load.saturated = load.utilization >= 1.0;
        load.wait_s = load.saturated ? infinity : mmc_wait(jobs[h], load.mean_work_s, cfg.cores);
        out.servers.push_back(std::move(load));
    }

    // Network time of one call: request there and response back, averaged over the
    // (from, to) pairs the balancers produce.
    const auto one_way = [&](std::optional<NodeId> from, std::optional<NodeId> to, double bytes) {
        if (!model.topology || !from || !to || *from == *to) return 0.0;
        const Route& r = model.topology->route(*from, *to);
        return r.latency_s + (bytes > 0 ? bytes / r.bottleneck_bytes_per_s : 0.0);
    };
    const auto round_trip = [&](std::optional<NodeId> from, std::size_t callee_service, const OpModel& callee) {
        const ServiceModel& target = model.services[callee_service];
        double t = 0;
        for (std::size_t k = 0; k < target.servers.size(); ++k) {
            const auto to = model.hosts[target.servers[k]].node;
            t += shares[callee_service][k] *
                 (one_way(from, to, mean_of(callee.request_bytes)) + one_way(to, from, mean_of(callee.response_bytes)));
        }
        return t;
    };

    // Mean response of each op, by memoised recursion over the call DAG.
    std::vector<double> response(n, -1.0);
    std::vector<char> visiting(n, 0);
    std::function<double(std::uint32_t, std::uint32_t)> op_response = [&](std::uint32_t s,
                                                                          std::uint32_t o) -> double {
        const std::size_t id = station(s, o);
        if (response[id] >= 0) return response[id];
        if (visiting[id]) throw Error("analyze: the call graph has a cycle through '" + model.services[s].name + "." +
                                      model.services[s].ops[o].name + "'");
        visiting[id] = 1;
        const ServiceModel& service = model.services[s];
        const OpModel& op = service.ops[o];
        const double parts = (op.work ? 1.0 : 0.0) + (op.work_after ? 1.0 : 0.0);
        const double work = mean_of(op.work) + mean_of(op.work_after);
        double t = 0;
        for (std::size_t k = 0; k < service.servers.size(); ++k) {
            const std::uint32_t h = service.servers[k];
            const double share = shares[s][k];
            if (share <= 0) continue;
            const HostModel& host = model.hosts[h];
            // The op's own core time at this server, with its waits.
            double here = parts * out.servers[h].wait_s + work / host.server.speed;
            if (parts == 0) here = 0;
            // Its calls, made from this server.
            for (const auto& step : op.steps) {
                double slowest = 0;
                for (const CallModel& c : step) {
                    if (c.probability <= 0) continue;
                    const double callee = op_response(c.service, c.op);
                    const double net = round_trip(host.node, c.service, model.services[c.service].ops[c.op]);
                    slowest = std::max(slowest, c.probability * (callee + net));
                }
                here += slowest;
            }
            t += share * here;
        }
        // Async calls load the servers (counted in the visits) but add no latency.
        for (const CallModel& c : op.async_calls) (void)op_response(c.service, c.op);
        visiting[id] = 0;
        response[id] = t;
        return t;
    };

    for (std::size_t s = 0; s < model.services.size(); ++s) {
        for (std::size_t o = 0; o < model.services[s].ops.size(); ++o) {
            OpEstimate e;
            e.name = model.services[s].name + "." + model.services[s].ops[o].name;
            e.visit_rate = visits[first[s] + o];
            e.response_s = op_response(static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(o));
            out.ops.push_back(std::move(e));
        }
    }
    for (std::size_t w = 0; w < model.workloads.size(); ++w) {
        const WorkloadModel& wl = model.workloads[w];
        if (!std::isfinite(workload_rates[w])) continue;
        double total = 0;
        for (const double x : wl.weights) total += x;
        for (std::size_t i = 0; i < wl.ops.size(); ++i) {
            const OpModel& op = model.services[wl.service].ops[wl.ops[i]];
            RequestEstimate r;
            r.name = wl.name + "/" + op.name;
            r.rate = total > 0 ? workload_rates[w] * wl.weights[i] / total : 0.0;
            r.latency_s = round_trip(wl.from, wl.service, op) + op_response(wl.service, wl.ops[i]);
            out.requests.push_back(std::move(r));
        }
    }
    if (parallel) {
        out.notes.push_back("parallel calls: a group is estimated by its slowest member's mean, which "
                            "underestimates the mean of the maximum");
    }
    for (const auto& s : model.services) {
        if (s.servers.size() > 1 && s.balancer.policy != "round_robin" && s.balancer.policy != "random" &&
            s.balancer.policy.rfind("weighted", 0) != 0) {
            out.notes.push_back("service '" + s.name + "': balancer '" + s.balancer.policy +
                                "' is estimated as an even split (independent M/M/c per server)");
        }
    }
    return out;
}

}  // namespace s2sim::models

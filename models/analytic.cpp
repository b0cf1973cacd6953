#include "models/analytic.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <utility>

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

/// P(N >= j) for the number N of jobs at an M/M/c station with offered load
/// `offered` = lambda / mu erlangs and j <= c; 1 when the station is saturated.
double mmc_at_least(unsigned servers, double offered, unsigned j) {
    if (j == 0) return 1.0;
    if (offered >= servers) return 1.0;
    if (offered <= 0) return 0.0;
    // p_k / p_0 = a^k / k! for k <= c; the tail from c on sums to a^c / c! / (1 - rho).
    std::vector<double> ratio(servers + 1, 1.0);
    for (unsigned k = 1; k <= servers; ++k) ratio[k] = ratio[k - 1] * offered / k;
    const double rho = offered / servers;
    double total = ratio[servers] / (1.0 - rho);
    for (unsigned k = 0; k < servers; ++k) total += ratio[k];
    double below = 0;
    for (unsigned k = 0; k < j && k <= servers; ++k) below += ratio[k];
    return std::max(0.0, 1.0 - below / total);
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

namespace {

/// Where a service's calls land, by site. Stations of the traffic equations are
/// (service, op, site group): the servers of a service grouped by their site, so
/// that locality, which keeps a call among the servers of its caller's site, is
/// modelled exactly (spill-over aside), and the site a callee runs in decides where
/// its own calls come from. Other policies send a call to every group in proportion
/// to the group's share, whatever the caller's site.
struct SiteGroups {
    std::vector<std::uint32_t> site;               ///< per group: its site id
    std::vector<std::uint32_t> group_of;           ///< per server of the service: its group
    std::vector<double> within;                    ///< per server: its share of its group's load
    std::vector<double> group_share;               ///< per group: its share of the service's load
    bool local = false;                            ///< the policy is locality
};

SiteGroups site_groups(const ServiceModel& s, const std::vector<HostModel>& hosts, const std::vector<double>& shares) {
    SiteGroups g;
    g.local = s.balancer.policy == "locality";
    const std::size_t n = s.servers.size();
    g.group_of.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
        // The sites the balancer was given (filled from the hosts' sites when the
        // scenario names none, as System does).
        const std::uint32_t site = s.balancer.sites.size() == n ? s.balancer.sites[k] : hosts[s.servers[k]].site;
        const auto at = std::find(g.site.begin(), g.site.end(), site);
        g.group_of[k] = static_cast<std::uint32_t>(at - g.site.begin());
        if (at == g.site.end()) g.site.push_back(site);
    }
    g.group_share.assign(g.site.size(), 0.0);
    for (std::size_t k = 0; k < n; ++k) g.group_share[g.group_of[k]] += shares[k];
    g.within.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
        const double total = g.group_share[g.group_of[k]];
        g.within[k] = total > 0 ? shares[k] / total : 0.0;
    }
    return g;
}

/// The groups a call from `caller_site` reaches, with their probabilities.
std::vector<std::pair<std::uint32_t, double>> destinations(const SiteGroups& g, std::uint32_t caller_site) {
    std::vector<std::pair<std::uint32_t, double>> out;
    if (g.local) {
        const auto at = std::find(g.site.begin(), g.site.end(), caller_site);
        // No server in the caller's site: locality uses every backend, by fewest in flight.
        if (at != g.site.end()) return {{static_cast<std::uint32_t>(at - g.site.begin()), 1.0}};
    }
    for (std::size_t i = 0; i < g.site.size(); ++i) {
        if (g.group_share[i] > 0) out.emplace_back(static_cast<std::uint32_t>(i), g.group_share[i]);
    }
    return out;
}

}  // namespace

AnalyticResults analyze(SystemModel& model, std::span<const double> workload_rates) {
    AnalyticResults out;
    if (workload_rates.size() != model.workloads.size()) {
        throw Error(fmt::format("analyze: {} workload rates for {} workloads", workload_rates.size(),
                                model.workloads.size()));
    }
    std::vector<std::vector<double>> shares(model.services.size());
    std::vector<SiteGroups> groups(model.services.size());
    for (std::size_t s = 0; s < model.services.size(); ++s) {
        shares[s] = shares_of(model.services[s]);
        groups[s] = site_groups(model.services[s], model.hosts, shares[s]);
    }
    // Stations: every (service, op, site group), numbered service by service, then op by op.
    std::vector<std::size_t> first(model.services.size() + 1, 0);
    for (std::size_t s = 0; s < model.services.size(); ++s) {
        first[s + 1] = first[s] + model.services[s].ops.size() * groups[s].site.size();
    }
    const std::size_t n = first.back();
    const auto station = [&](std::size_t service, std::size_t op, std::size_t group) {
        return first[service] + op * groups[service].site.size() + group;
    };

    std::vector<double> external(n, 0.0);
    std::vector<std::vector<double>> routing(n, std::vector<double>(n, 0.0));
    bool parallel = false;
    for (std::size_t s = 0; s < model.services.size(); ++s) {
        const ServiceModel& service = model.services[s];
        for (std::size_t o = 0; o < service.ops.size(); ++o) {
            const OpModel& op = service.ops[o];
            for (std::size_t g = 0; g < groups[s].site.size(); ++g) {
                auto& row = routing[station(s, o, g)];
                const auto add = [&](const CallModel& c) {
                    for (const auto& [to, p] : destinations(groups[c.service], groups[s].site[g])) {
                        row[station(c.service, c.op, to)] += c.probability * p;
                    }
                };
                for (const auto& step : op.steps) {
                    if (step.size() > 1) parallel = true;
                    for (const CallModel& c : step) add(c);
                }
                for (const CallModel& c : op.async_calls) add(c);
            }
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
            const double r = total > 0 ? rate * wl.weights[i] / total : 0.0;
            for (const auto& [to, p] : destinations(groups[wl.service], wl.from_site)) {
                external[station(wl.service, wl.ops[i], to)] += r * p;
            }
        }
    }
    const std::vector<double> visits = solve_traffic(external, routing);

    // Per-server load: jobs per second and core-seconds per second.
    std::vector<double> jobs(model.hosts.size(), 0.0);
    std::vector<double> busy(model.hosts.size(), 0.0);
    for (std::size_t s = 0; s < model.services.size(); ++s) {
        const ServiceModel& service = model.services[s];
        for (std::size_t o = 0; o < service.ops.size(); ++o) {
            const OpModel& op = service.ops[o];
            const double parts = (op.work ? 1.0 : 0.0) + (op.work_after ? 1.0 : 0.0);
            const double work = mean_of(op.work) + mean_of(op.work_after);
            for (std::size_t k = 0; k < service.servers.size(); ++k) {
                const std::uint32_t h = service.servers[k];
                const double rate = visits[station(s, o, groups[s].group_of[k])] * groups[s].within[k];
                jobs[h] += rate * parts;
                busy[h] += rate * work / model.hosts[h].server.speed;
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
    // callee's servers in the site group it lands in.
    const auto one_way = [&](std::optional<NodeId> from, std::optional<NodeId> to, double bytes) {
        if (!model.topology || !from || !to || *from == *to) return 0.0;
        const Route& r = model.topology->route(*from, *to);
        return r.latency_s + (bytes > 0 ? bytes / r.bottleneck_bytes_per_s : 0.0);
    };
    const auto round_trip = [&](std::optional<NodeId> from, std::size_t callee_service, std::size_t group,
                                const OpModel& callee) {
        const ServiceModel& target = model.services[callee_service];
        double t = 0;
        for (std::size_t k = 0; k < target.servers.size(); ++k) {
            if (groups[callee_service].group_of[k] != group) continue;
            const auto to = model.hosts[target.servers[k]].node;
            t += groups[callee_service].within[k] *
                 (one_way(from, to, mean_of(callee.request_bytes)) + one_way(to, from, mean_of(callee.response_bytes)));
        }
        return t;
    };

    // Mean response of each station, by memoised recursion over the call DAG.
    std::vector<double> response(n, -1.0);
    std::vector<char> visiting(n, 0);
    std::function<double(std::size_t, std::size_t, std::size_t)> op_response = [&](std::size_t s, std::size_t o,
                                                                                   std::size_t g) -> double {
        const std::size_t id = station(s, o, g);
        if (response[id] >= 0) return response[id];
        if (visiting[id]) throw Error("analyze: the call graph has a cycle through '" + model.services[s].name + "." +
                                      model.services[s].ops[o].name + "'");
        visiting[id] = 1;
        const ServiceModel& service = model.services[s];
        const OpModel& op = service.ops[o];
        const double parts = (op.work ? 1.0 : 0.0) + (op.work_after ? 1.0 : 0.0);
        const double work = mean_of(op.work) + mean_of(op.work_after);
        const std::uint32_t site = groups[s].site[g];
        double t = 0;
        for (std::size_t k = 0; k < service.servers.size(); ++k) {
            const double share = groups[s].group_of[k] == g ? groups[s].within[k] : 0.0;
            if (share <= 0) continue;
            const std::uint32_t h = service.servers[k];
            const HostModel& host = model.hosts[h];
            // The op's own core time at this server, with its waits.
            double here = parts * out.servers[h].wait_s + work / host.server.speed;
            if (parts == 0) here = 0;
            // Its calls, made from this server.
            for (const auto& step : op.steps) {
                double slowest = 0;
                for (const CallModel& c : step) {
                    if (c.probability <= 0) continue;
                    const OpModel& callee = model.services[c.service].ops[c.op];
                    double call = 0;
                    for (const auto& [to, p] : destinations(groups[c.service], site)) {
                        call += p * (op_response(c.service, c.op, to) + round_trip(host.node, c.service, to, callee));
                    }
                    slowest = std::max(slowest, c.probability * call);
                }
                here += slowest;
            }
            t += share * here;
        }
        // Async calls load the servers (counted in the visits) but add no latency.
        for (const CallModel& c : op.async_calls) {
            for (const auto& [to, p] : destinations(groups[c.service], site)) (void)op_response(c.service, c.op, to);
        }
        visiting[id] = 0;
        response[id] = t;
        return t;
    };

    for (std::size_t s = 0; s < model.services.size(); ++s) {
        for (std::size_t o = 0; o < model.services[s].ops.size(); ++o) {
            OpEstimate e;
            e.name = model.services[s].name + "." + model.services[s].ops[o].name;
            // Over the site groups: visits add up; the response is their visit-weighted
            // mean (by the groups' shares when the op is not visited at all).
            double weighted = 0, by_share = 0;
            for (std::size_t g = 0; g < groups[s].site.size(); ++g) {
                const double r = op_response(s, o, g);
                e.visit_rate += visits[station(s, o, g)];
                weighted += visits[station(s, o, g)] * r;
                by_share += groups[s].group_share[g] * r;
            }
            e.response_s = e.visit_rate > 0 ? weighted / e.visit_rate : by_share;
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
            for (const auto& [to, p] : destinations(groups[wl.service], wl.from_site)) {
                r.latency_s += p * (round_trip(wl.from, wl.service, to, op) + op_response(wl.service, wl.ops[i], to));
            }
            out.requests.push_back(std::move(r));
        }
    }
    for (const ServiceModel& service : model.services) {
        for (const OpModel& op : service.ops) {
            if (!op.replicate || op.replicate->to.empty()) continue;
            out.notes.push_back(fmt::format(
                "op '{}.{}' replicates its writes to {} servers: the estimate leaves out the wait for their "
                "acknowledgements ({} waited for) and the replicas' work",
                service.name, op.name, op.replicate->to.size(), op.replicate->acks));
        }
    }
    if (parallel) {
        out.notes.push_back("parallel calls: a group is estimated by its slowest member's mean, which "
                            "underestimates the mean of the maximum");
    }
    for (std::size_t s = 0; s < model.services.size(); ++s) {
        const ServiceModel& service = model.services[s];
        if (service.servers.size() <= 1) continue;
        const std::string& policy = service.balancer.policy;
        if (policy == "locality") {
            out.notes.push_back("service '" + service.name +
                                "': balancer 'locality' is estimated as an even split over the servers in the "
                                "caller's site (over all servers when that site has none); spill-over is left out");
            // Locality spills a call over when every server of its caller's site is busy
            // at spill_at or more at that instant. Bound how often: for each site, the
            // chance that all its servers are that busy at once (M/M/c state
            // probabilities, servers taken as independent).
            for (std::size_t g = 0; g < groups[s].site.size(); ++g) {
                double all_busy = 1.0;
                std::string names;
                for (std::size_t k = 0; k < service.servers.size(); ++k) {
                    if (groups[s].group_of[k] != g) continue;
                    const std::uint32_t h = service.servers[k];
                    const unsigned cores = model.hosts[h].server.cores;
                    const auto busy_cores = static_cast<unsigned>(std::ceil(service.balancer.spill_at * cores - 1e-12));
                    all_busy *= mmc_at_least(cores, busy[h], busy_cores);
                    names += (names.empty() ? "" : ", ") + model.hosts[h].server.name;
                }
                if (all_busy > 0.01) {
                    out.notes.push_back(fmt::format(
                        "service '{}': {} are all busy at spill_at {:g} or more about {:.1f}% of the time; locality "
                        "then spills their site's calls to other sites, which the estimate leaves out",
                        service.name, names, service.balancer.spill_at, 100 * std::min(all_busy, 1.0)));
                }
            }
        } else if (policy != "round_robin" && policy != "random" && policy.rfind("weighted", 0) != 0) {
            out.notes.push_back("service '" + service.name + "': balancer '" + policy +
                                "' is estimated as an even split (independent M/M/c per server)");
        }
    }
    return out;
}

}  // namespace s2sim::models

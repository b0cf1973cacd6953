// Balancer picks over large pools (issue 15, item 3): each policy against round robin,
// in the same run, so the ratios hold however fast the machine is at the moment.
//   bench_balancers [SERVERS...]   default: 10000 100000
// For each pool size:
//   whole run   the supermarket model (scenarios/power_of_two.toml's shape: one-core
//               servers, exp(1 s) work, Poisson arrivals at 0.9 per server) through the
//               full stack, 1,000,000 requests, time of System::run() only (the set-up
//               of n servers is left out), per policy and as a ratio to round robin;
//   bare picks  the balancer alone: pick, then the view updates a service makes (in
//               flight +1 at the pick, -1 at the oldest of 4n outstanding requests,
//               queue lengths alike), 2,000,000 picks, ns per pick and ratio to round robin.
// Times are the process's CPU time (other agents' load on the shared machine stretches
// wall time, not this), the best of 3 rounds; each round runs every policy in turn.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "models/balancer.hpp"
#include "models/system.hpp"
#include "scenario/builder.hpp"
#include "scenario/loader.hpp"
#include "sim/random.hpp"

namespace {
using namespace s2sim;

double cpu_s() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

const std::vector<std::string> kPolicies = {"round_robin", "random",       "least_connections",
                                            "join_shortest_queue", "power_of_two", "peak_ewma"};

std::string scenario_text(std::size_t servers, const std::string& policy, double requests) {
    const double rate = 0.9 * static_cast<double>(servers);
    return "[scenario]\nname = \"balancers\"\nduration = \"" + std::to_string(requests / rate) +
           "s\"\nwarmup = \"0s\"\n"
           "[[server]]\nname = \"s\"\ncount = " +
           std::to_string(servers) +
           "\n[service.pool]\nservers = [\"s\"]\nbalancer = \"" + policy +
           "\"\n[service.pool.op.serve]\nwork = \"exp(1s)\"\n"
           "[[workload]]\nname = \"jobs\"\nto = \"pool\"\narrival = \"poisson(" +
           std::to_string(rate) + "/s)\"\n";
}

struct Run {
    double wall_s;
    std::uint64_t requests;
};

Run whole_run(std::size_t servers, const std::string& policy) {
    const scenario::Spec spec = scenario::parse(scenario_text(servers, policy, 1e6), "balancers.toml");
    models::System system(scenario::build(spec, 1));
    const double start = cpu_s();
    const models::RunResults r = system.run();
    const double wall = cpu_s() - start;
    std::uint64_t requests = 0;
    for (const auto& q : r.requests) requests += q.count;
    return {wall, requests};
}

// The balancer alone, fed the view changes a service would make.
double ns_per_pick(std::size_t n, const std::string& policy) {
    models::BalancerOptions options;
    options.policy = policy;
    auto balancer = models::make_balancer(options, n);
    std::vector<models::ServerView> views(n);
    RandomStream rng(1, "bench/" + policy);
    // A ring of the 4n outstanding requests: each pick retires the oldest.
    std::vector<models::ServerIndex> outstanding(4 * n, static_cast<models::ServerIndex>(n));
    std::size_t oldest = 0;
    constexpr std::size_t picks = 2'000'000;
    Time now = Time::zero();
    std::uint64_t checksum = 0;
    const double start = cpu_s();
    for (std::size_t k = 0; k < picks; ++k) {
        now += Time::from_seconds(1e-6);
        const models::ServerIndex done = outstanding[oldest];
        if (done < n) {
            --views[done].in_flight;
            --views[done].queue_length;
            balancer->on_view_changed(done, views[done]);
            balancer->on_response(done, 1e-3, now);
        }
        const models::ServerIndex i = balancer->pick(models::PickContext{k, 0, now, rng}, views);
        ++views[i].in_flight;
        ++views[i].queue_length;
        balancer->on_view_changed(i, views[i]);
        balancer->on_sent(i, now);
        outstanding[oldest] = i;
        oldest = oldest + 1 == outstanding.size() ? 0 : oldest + 1;
        checksum += i;
    }
    const double wall = cpu_s() - start;
    if (checksum == 1) std::puts("");  // keeps the loop observable
    return wall / static_cast<double>(picks) * 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::size_t> sizes;
    for (int a = 1; a < argc; ++a) sizes.push_back(static_cast<std::size_t>(std::stoull(argv[a])));
    if (sizes.empty()) sizes = {10000, 100000};
    constexpr int rounds = 3;
    for (const std::size_t n : sizes) {
        std::vector<Run> runs(kPolicies.size(), Run{1e300, 0});
        for (int round = 0; round < rounds; ++round) {
            for (std::size_t p = 0; p < kPolicies.size(); ++p) {
                const Run r = whole_run(n, kPolicies[p]);
                if (r.wall_s < runs[p].wall_s) runs[p] = r;
            }
        }
        std::printf("%zu servers, whole run (1,000,000 requests, CPU s of System::run(), best of %d):\n", n, rounds);
        for (std::size_t p = 0; p < kPolicies.size(); ++p) {
            std::printf("  %-20s %8llu requests in %6.3f s: %6.2f x round robin\n", kPolicies[p].c_str(),
                        static_cast<unsigned long long>(runs[p].requests), runs[p].wall_s,
                        runs[p].wall_s / runs[0].wall_s);
        }
        std::vector<double> ns(kPolicies.size(), 1e300);
        for (int round = 0; round < rounds; ++round) {
            for (std::size_t p = 0; p < kPolicies.size(); ++p) ns[p] = std::min(ns[p], ns_per_pick(n, kPolicies[p]));
        }
        std::printf("%zu servers, bare picks (2,000,000 picks with their view updates, best of %d):\n", n, rounds);
        for (std::size_t p = 0; p < kPolicies.size(); ++p) {
            std::printf("  %-20s %8.1f ns per pick: %6.2f x round robin\n", kPolicies[p].c_str(), ns[p], ns[p] / ns[0]);
        }
        std::fflush(stdout);
    }
    return 0;
}

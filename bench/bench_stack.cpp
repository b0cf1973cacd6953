// Whole-stack benchmarks: TOML, workload, services, servers, network, statistics.
//   bench_stack mm1        the M/M/1 scenario over 2,000,000 requests: events/s
//   bench_stack ecommerce  scenarios/ecommerce.toml: simulated requests per wall second and
//                          per CPU-second (issue 15's figure), and peak memory for growing
//                          durations (it must stay flat)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "bench/reference_mm1.hpp"
#include "scenario/builder.hpp"
#include "scenario/loader.hpp"

namespace {
using namespace s2sim;

struct Figures {
    double wall_s;
    double cpu_s;  // user + system CPU time of this process during the run
    std::uint64_t events;
    std::uint64_t requests;
};

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Figures run(const std::string& file, const std::vector<std::string>& overrides) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    const scenario::Spec spec = scenario::load_file(file, overrides);
    models::System system(scenario::build(spec, spec.run.seed));
    const models::RunResults r = system.run();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = cpu_seconds() - cpu_start;
    std::uint64_t requests = 0;
    for (const auto& q : r.requests) requests += q.count;
    return {wall, cpu, r.events, requests};
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}
}  // namespace

int main(int argc, char** argv) {
    const std::string which = argc > 1 ? argv[1] : "mm1";
    const std::string dir = S2SIM_SCENARIOS;
    if (which == "mm1") {
        // 2,000,000 requests at 0.8/s take 2,500,000 simulated seconds.
        const Figures f = run(dir + "/mm1.toml", {"scenario.duration=\"2500000s\"", "scenario.warmup=\"0s\""});
        const double reference = s2sim::bench::reference_events_per_s(2'000'000);
        const double rate = static_cast<double>(f.events) / f.wall_s;
        std::printf("mm1 through the stack: %llu requests, %llu events in %.3f s: %.2f M events/s, %.2f M requests/s;\n"
                    "  the hand-written loop: %.2f M events/s, so the stack runs at %.2f of it\n",
                    static_cast<unsigned long long>(f.requests), static_cast<unsigned long long>(f.events), f.wall_s,
                    rate / 1e6, static_cast<double>(f.requests) / f.wall_s / 1e6, reference / 1e6, rate / reference);
    } else {
        std::uint64_t all_requests = 0;
        double all_cpu_s = 0.0;
        for (const char* duration : {"30s", "120s", "480s"}) {
            const Figures f = run(dir + "/ecommerce.toml", {std::string("scenario.duration=\"") + duration + "\""});
            std::printf("ecommerce %5s: %8llu requests in %6.2f s wall, %6.2f CPU-s: %7.0f requests/s, %7.0f per CPU-s, "
                        "%5.2f M events/s, peak RSS %ld KiB\n",
                        duration, static_cast<unsigned long long>(f.requests), f.wall_s, f.cpu_s,
                        static_cast<double>(f.requests) / f.wall_s, static_cast<double>(f.requests) / f.cpu_s,
                        static_cast<double>(f.events) / f.wall_s / 1e6, peak_rss_kib());
            all_requests += f.requests;
            all_cpu_s += f.cpu_s;
        }
        // Measured requests (after the warm-up) over the CPU time of whole runs, set-up included.
        std::printf("ecommerce, the three runs: %llu requests in %.2f CPU-s: %.0f requests per CPU-second\n",
                    static_cast<unsigned long long>(all_requests), all_cpu_s,
                    static_cast<double>(all_requests) / all_cpu_s);
    }
    return 0;
}

// Many request classes: the same traffic split over 256 or 5,000 workloads (issue 15).
//   bench_classes [classes...]   default: 256 5000
// Each run is `s2sim run --quiet` of a generated scenario (one service of 16 four-core
// servers, 20,000 requests/s in all for 60 s, split evenly over the workloads), made in
// a child process so that its peak RSS and CPU time are its own (getrusage of the child).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "scenario/builder.hpp"
#include "scenario/loader.hpp"

namespace {
using namespace s2sim;

constexpr double total_rate_per_s = 20'000;

/// The scenario text: `classes` Poisson workloads of equal rate on one op whose
/// latencies span about two decades (lognormal work, queueing on 64 cores at 60% load).
std::string scenario_text(int classes) {
    std::string text = R"toml([scenario]
name = "classes"
duration = "60s"
warmup = "1s"
seed = 1

[[server]]
name = "api"
count = 16
cores = 4

[service.api]
servers = ["api"]

[service.api.op.get]
work = "lognormal(2ms, 1ms)"
)toml";
    for (int i = 0; i < classes; ++i) {
        text += fmt::format("\n[[workload]]\nname = \"c{}\"\nto = \"api\"\narrival = \"poisson({}/s)\"\n", i,
                            total_rate_per_s / classes);
    }
    return text;
}

/// Runs the scenario of `classes` workloads the way `s2sim run --quiet` does; prints
/// the requests completed. Returns the process exit status.
int run(int classes) {
    try {
        const scenario::Spec spec = scenario::parse(scenario_text(classes), "classes.toml");
        models::System system(scenario::build(spec, spec.run.seed));
        const models::RunResults r = system.run();
        std::uint64_t requests = 0;
        std::size_t histogram_bytes = 0;
        for (const auto& q : r.requests) {
            requests += q.count;
            histogram_bytes += q.latency.allocated_bytes();
        }
        std::printf("%5d classes: %llu requests, latency histogram %.1f KiB per class", classes,
                    static_cast<unsigned long long>(requests),
                    static_cast<double>(histogram_bytes) / 1024 / static_cast<double>(classes));
        std::fflush(stdout);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_classes: %s\n", e.what());
        return 1;
    }
}

struct Usage {
    double cpu_s;
    double peak_rss_mib;
};

/// Runs `run(classes)` in a child process and returns what the child used.
Usage in_child(int classes) {
    std::fflush(stdout);  // else the child would print the parent's buffered lines again
    const pid_t pid = fork();
    if (pid < 0) {
        std::perror("fork");
        std::exit(1);
    }
    if (pid == 0) _exit(run(classes));
    int status = 0;
    rusage usage{};
    if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench_classes: the run of %d classes failed\n", classes);
        std::exit(1);
    }
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
    return {cpu, static_cast<double>(usage.ru_maxrss) / 1024.0};
}
}  // namespace

int main(int argc, char** argv) {
    std::vector<int> classes;
    for (int i = 1; i < argc; ++i) classes.push_back(std::atoi(argv[i]));
    if (classes.empty()) classes = {256, 5000};
    double reference_cpu = 0;
    for (const int n : classes) {
        const Usage u = in_child(n);
        if (reference_cpu == 0) reference_cpu = u.cpu_s;
        std::printf(": CPU %.2f s (%.2f of the first), peak RSS %.1f MiB (%.1f KiB per class)\n", u.cpu_s,
                    u.cpu_s / reference_cpu, u.peak_rss_mib, u.peak_rss_mib * 1024 / n);
    }
    return 0;
}

// Trace replay in constant memory: generates a trace of N lines (default 10 million)
// in /tmp, replays it through one server, and prints the peak resident memory before
// and after, with the replay rate.
//
//     ./build/bench/bench_trace [lines]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "models/system.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: KiB
}

}  // namespace

int main(int argc, char** argv) {
    const long lines = argc > 1 ? std::atol(argv[1]) : 10'000'000;
    const std::string path = (std::filesystem::temp_directory_path() / "s2sim_bench_trace.csv").string();
    {
        // 1,000 requests per second of trace, three ops, keys and sizes: ~30 bytes a line.
        std::ofstream out(path);
        out << "time,op,key,size\n";
        static const char* ops[] = {"home", "search", "checkout"};
        std::string line;
        for (long i = 0; i < lines; ++i) {
            line = fmt::format("{:.3f},{},u{},{}\n", static_cast<double>(i) * 1e-3, ops[i % 3], i % 100'003,
                               1000 + i % 977);
            out << line;
        }
    }
    const double file_mib = static_cast<double>(std::filesystem::file_size(path)) / (1024.0 * 1024.0);
    const double rss_before = peak_rss_mib();

    SystemModel m;
    m.name = "bench_trace";
    m.duration_s = static_cast<double>(lines) * 1e-3 + 1;
    m.window_s = m.duration_s / 100;
    HostModel host;
    host.server.name = "s";
    host.server.cores = 4;
    m.hosts.push_back(host);
    ServiceModel service;
    service.name = "frontend";
    service.servers = {0};
    for (const char* name : {"home", "search", "checkout"}) {
        OpModel op;
        op.name = name;
        op.work = make_exponential(0.002);
        service.ops.push_back(op);
    }
    m.services.push_back(std::move(service));
    WorkloadModel w;
    w.name = "replay";
    w.ops = {0, 1, 2};
    w.weights = {1, 1, 1};
    w.arrival = TraceArrivals{path, 1.0};
    m.workloads.push_back(std::move(w));

    const auto scan_start = std::chrono::steady_clock::now();
    const TraceSummary summary = scan_trace(path, {"home", "search", "checkout"}, "frontend");
    const double scan_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - scan_start).count();
    System system(std::move(m));
    const RunResults r = system.run();
    std::uint64_t replayed = 0;
    for (const auto& q : r.requests) replayed += q.count;
    fmt::print("trace: {} lines, {:.0f} MiB ({})\n", lines, file_mib, path);
    fmt::print("validation pass: {} records in {:.2f} s ({:.1f} M lines/s)\n", summary.records, scan_s,
               static_cast<double>(summary.records) / scan_s / 1e6);
    fmt::print("replay: {} requests in {:.2f} s wall ({:.2f} M requests/s), {} events\n", replayed, r.wall_s,
               static_cast<double>(replayed) / r.wall_s / 1e6, r.events);
    fmt::print("peak RSS: {:.1f} MiB after writing the trace, {:.1f} MiB after the replay\n", rss_before,
               peak_rss_mib());
    std::filesystem::remove(path);
    return replayed == static_cast<std::uint64_t>(lines) ? 0 : 1;
}

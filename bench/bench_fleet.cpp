// A fleet of K servers behind one round-robin service (issue "Scale"), with and
// without a network, through the normal scenario path (TOML text, loader, builder,
// System::run). Each run is a child process, so its peak RSS is its own.
//   bench_fleet [K ...]        default: 1000 10000 100000
//   bench_fleet --toml K net   prints the scenario text (net: 0 or 1) and exits
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "scenario/builder.hpp"
#include "scenario/loader.hpp"

namespace {
using namespace s2sim;

constexpr int tors = 10;
constexpr double requests = 1e6;
constexpr double rate_per_s = 100'000;  // 1,000,000 requests in 10 s simulated

// With the network: client -- core switch -- 10 ToRs -- K/10 servers each.
// Without: the same servers and service; requests appear at the servers.
std::string fleet_toml(long servers, bool network) {
    std::string t = fmt::format(
        "[scenario]\nname = \"fleet\"\nduration = \"{}s\"\nseed = 1\n\n", requests / rate_per_s);
    std::string groups;
    for (int r = 0; r < tors; ++r) {
        const long count = servers / tors + (r < servers % tors ? 1 : 0);
        t += fmt::format("[[server]]\nname = \"rack{}\"\ncount = {}\ncores = 1\n\n", r, count);
        groups += fmt::format("{}\"rack{}\"", r == 0 ? "" : ", ", r);
    }
    if (network) {
        t += "[[client]]\nname = \"users\"\n\n[[switch]]\nname = \"core\"\n\n";
        t += "[[link]]\nbetween = [\"users\", \"core\"]\nbandwidth = \"400Gbps\"\nlatency = \"1ms\"\n\n";
        for (int r = 0; r < tors; ++r) {
            t += fmt::format("[[switch]]\nname = \"tor{}\"\n\n", r);
            t += fmt::format("[[link]]\nbetween = [\"core\", \"tor{}\"]\n", r);
            t += "bandwidth = \"100Gbps\"\nlatency = \"5us\"\n\n";
            t += fmt::format("[[link]]\nbetween = [\"rack{}\", \"tor{}\"]\n", r, r);
            t += "bandwidth = \"10Gbps\"\nlatency = \"2us\"\n\n";
        }
    }
    t += fmt::format("[service.web]\nservers = [{}]\nbalancer = \"round_robin\"\n", groups);
    t += "op.get = { work = \"exp(1ms)\", request = \"1KB\", response = \"4KB\" }\n\n";
    t += fmt::format("[[workload]]\nname = \"users\"\n{}to = \"web\"\narrival = \"poisson({}/s)\"\n",
                     network ? "from = \"users\"\n" : "", rate_per_s);
    return t;
}

struct Figures {
    bool ok = false;
    double wall_s = 0;
    double peak_mib = 0;
    unsigned long long requests = 0;
};

// Runs one configuration in a child process: wall time from load to results,
// peak RSS of the child alone (wait4), requests completed.
Figures run_child(long servers, bool network) {
    int fds[2];
    if (pipe(fds) != 0) return {};
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        Figures f;
        try {
            const auto start = std::chrono::steady_clock::now();
            const scenario::Spec spec = scenario::parse(fleet_toml(servers, network), "fleet.toml");
            models::System system(scenario::build(spec, spec.run.seed));
            const models::RunResults r = system.run();
            f.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            for (const auto& q : r.requests) f.requests += q.count;
            f.ok = true;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "K=%ld network=%d: %s\n", servers, network ? 1 : 0, e.what());
        }
        const ssize_t written = write(fds[1], &f, sizeof f);
        _exit(written == sizeof f ? 0 : 1);
    }
    close(fds[1]);
    Figures f;
    const ssize_t got = read(fds[0], &f, sizeof f);
    close(fds[0]);
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    if (got != sizeof f || !WIFEXITED(status)) f.ok = false;
    f.peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::strcmp(argv[1], "--toml") == 0) {
        std::fputs(fleet_toml(std::strtol(argv[2], nullptr, 10), std::strcmp(argv[3], "0") != 0).c_str(), stdout);
        return 0;
    }
    std::vector<long> fleet;
    for (int i = 1; i < argc; ++i) fleet.push_back(std::strtol(argv[i], nullptr, 10));
    if (fleet.empty()) fleet = {1000, 10000, 100000};

    std::printf("%9s  %10s %10s  %10s %10s  %10s %10s\n", "servers", "bare s", "bare MiB", "network s", "network MiB",
                "net/bare", "vs first");
    double first_network_s = 0;
    for (const long k : fleet) {
        const Figures bare = run_child(k, false);
        const Figures net = run_child(k, true);
        if (first_network_s == 0 && net.ok) first_network_s = net.wall_s;
        auto cell = [](const Figures& f, double v) { return f.ok ? fmt::format("{:.2f}", v) : std::string("failed"); };
        std::printf("%9ld  %10s %10s  %10s %10s  %10s %10s   (requests %llu / %llu)\n", k,
                    cell(bare, bare.wall_s).c_str(), cell(bare, bare.peak_mib).c_str(), cell(net, net.wall_s).c_str(),
                    cell(net, net.peak_mib).c_str(),
                    bare.ok && net.ok ? fmt::format("{:.2f}", net.wall_s / bare.wall_s).c_str() : "-",
                    net.ok ? fmt::format("{:.2f}", net.wall_s / first_network_s).c_str() : "-", bare.requests,
                    net.requests);
        std::fflush(stdout);
    }
    return 0;
}

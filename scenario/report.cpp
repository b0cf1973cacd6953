#include "scenario/report.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "scenario/experiment.hpp"
#include "scenario/figures.hpp"
#include "scenario/timeseries.hpp"
#include "sim/error.hpp"

namespace s2sim::scenario {
namespace {

constexpr std::pair<const char*, double> percentiles[] = {
    {"p50", 0.50}, {"p90", 0.90}, {"p95", 0.95}, {"p99", 0.99}, {"p999", 0.999}};

}  // namespace

std::string csv_quoted(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

bool too_few_samples(std::uint64_t count, double q) {
    return static_cast<double>(count) * (1.0 - q) < min_samples_beyond_percentile;
}

namespace {

}  // namespace

nlohmann::json latency_json(const stats::LogHistogram& h) {
    nlohmann::json j;
    if (h.count() == 0) {
        j["mean"] = nullptr;
        for (const auto& [name, q] : percentiles) j[name] = nullptr;
        j["max"] = nullptr;
        return j;
    }
    j["mean"] = h.mean();
    nlohmann::json few = nlohmann::json::array();
    for (const auto& [name, q] : percentiles) {
        j[name] = h.quantile(q);
        if (too_few_samples(h.count(), q)) few.push_back(name);
    }
    j["max"] = h.max();
    if (!few.empty()) j["few_samples"] = few;
    return j;
}

namespace {

/// Milliseconds for the table; a percentile resting on too few samples gets a '~'.
std::string ms(const stats::LogHistogram& h, double q) {
    if (h.count() == 0) return "-";
    if (q < 0) return fmt::format("{:.3f}", 1e3 * h.mean());
    return fmt::format("{}{:.3f}", too_few_samples(h.count(), q) ? "~" : "", 1e3 * h.quantile(q));
}

std::string csv_latency(const stats::LogHistogram& h) {
    if (h.count() == 0) return ",,,,,,";
    std::string out = fmt::format("{:.9g}", h.mean());
    for (const auto& [name, q] : percentiles) out += fmt::format(",{:.9g}", h.quantile(q));
    return out + fmt::format(",{:.9g}", h.max());
}

}  // namespace

nlohmann::json number_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

nlohmann::json replication_json(const models::ReplicationResult& p) {
    return {{"count", p.count},
            {"failed", p.failed},
            {"lag_s", latency_json(p.lag)},
            {"backlog", {{"mean", p.mean_backlog}, {"max", p.max_backlog}}}};
}

void add_resilience_timeseries_json(nlohmann::json& json, const models::RunResults& r) {
    const models::TimeSeries& ts = r.timeseries;
    if (ts.empty() || !json.contains("timeseries")) return;
    nlohmann::json& j = json["timeseries"];
    for (const models::RequestSeries& q : ts.requests) {
        if (!j["requests"].contains(q.name) || q.timeouts.size() != ts.windows()) continue;
        j["requests"][q.name]["timeouts"] = q.timeouts;
        j["requests"][q.name]["retries"] = q.retries;
    }
    if (ts.replication.empty()) return;
    j["replication"] = nlohmann::json::object();
    for (const models::ReplicationSeries& p : ts.replication) {
        nlohmann::json lag = nlohmann::json::array();
        for (const double x : p.lag_p99_s) lag.push_back(number_or_null(x));
        j["replication"][p.name] = {{"backlog", p.backlog}, {"lag_p99_s", std::move(lag)}};
    }
}

nlohmann::json to_json(const models::RunResults& r) {
    nlohmann::json j;
    j["s2sim"] = version;
    j["scenario"] = r.scenario;
    j["seed"] = r.seed;
    j["replications"] = 1;
    j["simulated_s"] = r.simulated_s;
    j["wall_s"] = r.wall_s;
    j["events"] = r.events;
    if (!r.stopped_early.empty()) j["partial"] = r.stopped_early;
    j["requests"] = nlohmann::json::object();
    for (const auto& q : r.requests) {
        j["requests"][q.name] = {
            {"count", q.count},
            {"throughput_per_s", r.simulated_s > 0 ? static_cast<double>(q.count) / r.simulated_s : 0.0},
            {"errors", q.errors},
            {"timeouts", q.timeouts},
            {"retries", q.retries},
            {"rejected", q.rejected},
            {"latency_s", latency_json(q.latency)},
            {"error_latency_s", latency_json(q.error_latency)}};
    }
    j["ops"] = nlohmann::json::object();
    for (const auto& o : r.ops) {
        j["ops"][o.name] = {{"count", o.count},       {"errors", o.errors},     {"timeouts", o.timeouts},
                            {"retries", o.retries},   {"rejected", o.rejected}, {"latency_s", latency_json(o.latency)},
                            {"error_latency_s", latency_json(o.error_latency)}};
    }
    j["servers"] = nlohmann::json::object();
    for (const auto& s : r.servers) {
        j["servers"][s.name] = {{"utilization", s.utilization}, {"mean_queue", s.mean_queue},
                                {"max_queue", s.max_queue},     {"completed", s.completed},
                                {"rejected", s.rejected}};
    }
    j["links"] = nlohmann::json::object();
    for (const auto& l : r.links) j["links"][l.name] = {{"utilization", l.utilization}, {"bytes", l.bytes}};
    if (!r.replication.empty()) {
        j["replication"] = nlohmann::json::object();
        for (const auto& p : r.replication) j["replication"][p.name] = replication_json(p);
    }
    add_timeseries_json(j, r);
    add_resilience_timeseries_json(j, r);
    j["units"] = units_json();
    add_recorded_json(j, r);
    return j;
}

std::string format_table(const models::RunResults& r) {
    std::string out;
    out += fmt::format("scenario '{}'  seed {}  {:.6g} s simulated in {:.2f} s wall  ({:.3g} events)\n",
                       r.scenario, r.seed, r.simulated_s, r.wall_s, static_cast<double>(r.events));
    if (!r.stopped_early.empty()) out += fmt::format("PARTIAL RESULTS: the run stopped early: {}\n", r.stopped_early);
    out += fmt::format("\n{:<28} {:>9} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}\n", "request", "count", "per s",
                       "errors", "mean ms", "p50 ms", "p99 ms", "max ms");
    for (const auto& q : r.requests) {
        out += fmt::format("{:<28} {:>9} {:>9.1f} {:>7} {:>9} {:>9} {:>9} {:>9}\n", q.name, q.count,
                           r.simulated_s > 0 ? static_cast<double>(q.count) / r.simulated_s : 0.0, q.errors,
                           ms(q.latency, -1), ms(q.latency, 0.5), ms(q.latency, 0.99),
                           q.latency.count() ? fmt::format("{:.3f}", 1e3 * q.latency.max()) : "-");
        if (q.count == 0) out += "    (no request of this class completed: no latency to report)\n";
    }
    const bool rough = std::any_of(r.requests.begin(), r.requests.end(), [](const auto& q) {
        return q.latency.count() > 0 && too_few_samples(q.latency.count(), 0.99);
    });
    if (rough) {
        out += fmt::format("  ~ fewer than {:g} samples above this percentile: a rough figure (run longer)\n",
                           min_samples_beyond_percentile);
    }
    out += fmt::format("\n{:<28} {:>7} {:>11} {:>10} {:>10} {:>9}\n", "server", "util", "mean queue", "max queue",
                       "completed", "rejected");
    for (const auto& s : r.servers) {
        out += fmt::format("{:<28} {:>6.1f}% {:>11.2f} {:>10.0f} {:>10} {:>9}\n", s.name, 100 * s.utilization,
                           s.mean_queue, s.max_queue, s.completed, s.rejected);
    }
    const bool any_retries = std::any_of(r.requests.begin(), r.requests.end(), [](const auto& q) {
        return q.timeouts + q.retries + q.rejected > 0;
    });
    if (any_retries) {
        out += fmt::format("\n{:<28} {:>9} {:>9} {:>9}\n", "request", "timeouts", "retries", "rejected");
        for (const auto& q : r.requests) {
            out += fmt::format("{:<28} {:>9} {:>9} {:>9}\n", q.name, q.timeouts, q.retries, q.rejected);
        }
    }
    if (!r.replication.empty()) {
        out += fmt::format("\n{:<36} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}\n", "replication", "writes", "failed",
                           "lag ms", "p99 ms", "max ms", "backlog");
        for (const auto& p : r.replication) {
            out += fmt::format("{:<36} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9.2f}\n", p.name, p.count, p.failed,
                               ms(p.lag, -1), ms(p.lag, 0.99),
                               p.lag.count() ? fmt::format("{:.3f}", 1e3 * p.lag.max()) : "-", p.mean_backlog);
        }
    }
    if (!r.links.empty()) {
        std::vector<const models::LinkResult*> busiest;
        for (const auto& l : r.links) busiest.push_back(&l);
        std::sort(busiest.begin(), busiest.end(), [](const auto* a, const auto* b) {
            return a->utilization != b->utilization ? a->utilization > b->utilization : a->name < b->name;
        });
        const std::size_t shown = std::min<std::size_t>(busiest.size(), 8);
        out += fmt::format("\n{:<36} {:>7} {:>12}   (the {} busiest of {} link directions)\n", "link", "util",
                           "MB", shown, busiest.size());
        for (std::size_t i = 0; i < shown; ++i) {
            out += fmt::format("{:<36} {:>6.2f}% {:>12.2f}\n", busiest[i]->name, 100 * busiest[i]->utilization,
                               busiest[i]->bytes / 1e6);
        }
    }
    if (!r.tables.empty()) out += format_tables(pool_tables({r}), 1);
    return out + format_log(r.log);
}

// write_file_atomically is in scenario/files.cpp, with the other checks of results paths.

void write_csv(const models::RunResults& r, const std::string& folder) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) throw Error("cannot create folder '" + folder + "': " + ec.message());
    const std::string latency_header = "mean_s,p50_s,p90_s,p95_s,p99_s,p999_s,max_s";
    // Columns are only ever added at the end: scripts read them by position too.
    const std::string error_latency_header =
        "error_mean_s,error_p50_s,error_p90_s,error_p95_s,error_p99_s,error_p999_s,error_max_s";
    std::string requests = "request,count,throughput_per_s,errors,timeouts,retries,rejected," + latency_header + "," +
                           error_latency_header + "\n";
    for (const auto& q : r.requests) {
        requests += fmt::format("{},{},{:.9g},{},{},{},{},{},{}\n", csv_quoted(q.name), q.count,
                                r.simulated_s > 0 ? static_cast<double>(q.count) / r.simulated_s : 0.0, q.errors,
                                q.timeouts, q.retries, q.rejected, csv_latency(q.latency),
                                csv_latency(q.error_latency));
    }
    std::string ops = "op,count,errors,timeouts,retries,rejected," + latency_header + "," + error_latency_header + "\n";
    for (const auto& o : r.ops) {
        ops += fmt::format("{},{},{},{},{},{},{},{}\n", csv_quoted(o.name), o.count, o.errors, o.timeouts, o.retries,
                           o.rejected, csv_latency(o.latency), csv_latency(o.error_latency));
    }
    std::string servers = "server,utilization,mean_queue,max_queue,completed,rejected\n";
    for (const auto& s : r.servers) {
        servers += fmt::format("{},{:.9g},{:.9g},{:.9g},{},{}\n", csv_quoted(s.name), s.utilization, s.mean_queue,
                               s.max_queue, s.completed, s.rejected);
    }
    std::string links = "link,utilization,bytes\n";
    for (const auto& l : r.links) links += fmt::format("{},{:.9g},{:.9g}\n", csv_quoted(l.name), l.utilization, l.bytes);
    const std::filesystem::path dir(folder);
    write_file_atomically((dir / "requests.csv").string(), requests);
    write_file_atomically((dir / "ops.csv").string(), ops);
    write_file_atomically((dir / "servers.csv").string(), servers);
    write_file_atomically((dir / "links.csv").string(), links);
    write_replication_csv(r, folder);
    write_tables_csv(pool_tables({r}), 1, folder);
    write_timeseries_csv(r, folder);
}

void write_replication_csv(const models::RunResults& r, const std::string& folder) {
    if (r.replication.empty()) return;
    const std::filesystem::path dir(folder);
    std::string pairs = "replication,count,failed,lag_mean_s,lag_p50_s,lag_p90_s,lag_p95_s,lag_p99_s,lag_p999_s,"
                        "lag_max_s,mean_backlog,max_backlog\n";
    for (const auto& p : r.replication) {
        pairs += fmt::format("{},{},{},{},{:.9g},{:.9g}\n", csv_quoted(p.name), p.count, p.failed, csv_latency(p.lag),
                             p.mean_backlog, p.max_backlog);
    }
    write_file_atomically((dir / "replication.csv").string(), pairs);
    const models::TimeSeries& ts = r.timeseries;
    if (ts.empty() || ts.replication.empty()) return;
    std::string series = "replication,start_s,length_s,backlog,lag_p99_s\n";
    for (const auto& p : ts.replication) {
        for (std::size_t i = 0; i < ts.windows(); ++i) {
            series += fmt::format("{},{:.9g},{:.9g},{:.9g},{}\n", csv_quoted(p.name), ts.start_s[i], ts.length_s[i],
                                  p.backlog[i], std::isfinite(p.lag_p99_s[i]) ? fmt::format("{:.9g}", p.lag_p99_s[i])
                                                                              : std::string());
        }
    }
    write_file_atomically((dir / "timeseries_replication.csv").string(), series);
}

}  // namespace s2sim::scenario

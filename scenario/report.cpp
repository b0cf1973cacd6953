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

std::string csv_latency(const stats::LogHistogram& h) {
    if (h.count() == 0) return ",,,,,,";
    std::string out = fmt::format("{:.9g}", h.mean());
    for (const auto& [name, q] : percentiles) out += fmt::format(",{:.9g}", h.quantile(q));
    return out + fmt::format(",{:.9g}", h.max());
}

}  // namespace

nlohmann::json number_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

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

// A run is a 1-replication experiment: one writer (experiment.cpp) for both.
nlohmann::json to_json(const models::RunResults& r) { return to_json(one_run(r)); }

std::string format_table(const models::RunResults& r) { return format_table(one_run(r)); }

void write_csv(const models::RunResults& r, const std::string& folder) { write_csv(one_run(r), folder); }

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

#pragma once
#include <string_view>

#include <nlohmann/json.hpp>

/// The catalogue of the figures the results report: where each lives, its unit and its
/// kind. Reports write it into the JSON ("units"), so readers (the Python plots) take a
/// figure's unit from here rather than guess it from its name. docs/results.md explains
/// each figure. These are the five core tables' own figures; a new figure, of a core table
/// or not, is declared through the recorder with its unit (models::core_table_row_key,
/// add_tables_json in experiment.hpp) and needs no line here.
namespace s2sim::scenario {

/// One figure: its table, its name in that table, its unit, its kind.
struct FigureInfo {
    std::string_view table;  ///< "requests", "ops", "servers", "links", "replication", or "timeseries.<table>"
    std::string_view name;   ///< the JSON key (CSV column) of the figure
    std::string_view unit;   ///< "s", "1/s", "bytes", "fraction", or what is counted ("requests", "jobs", ...)
    std::string_view kind;   ///< "counter", "rate", "latency", "gauge" (time-weighted), "fraction"
};

inline constexpr FigureInfo figures[] = {
    {"requests", "count", "requests", "counter"},
    {"requests", "throughput_per_s", "1/s", "rate"},
    {"requests", "errors", "requests", "counter"},
    {"requests", "timeouts", "requests", "counter"},
    {"requests", "retries", "retries", "counter"},
    {"requests", "rejected", "requests", "counter"},
    {"requests", "error_rate", "fraction", "fraction"},
    {"requests", "latency_s", "s", "latency"},
    {"requests", "error_latency_s", "s", "latency"},
    {"ops", "count", "calls", "counter"},
    {"ops", "errors", "calls", "counter"},
    {"ops", "timeouts", "attempts", "counter"},
    {"ops", "retries", "retries", "counter"},
    {"ops", "rejected", "calls", "counter"},
    {"ops", "latency_s", "s", "latency"},
    {"ops", "error_latency_s", "s", "latency"},
    {"servers", "utilization", "fraction", "gauge"},
    {"servers", "mean_queue", "jobs", "gauge"},
    {"servers", "max_queue", "jobs", "gauge"},
    {"servers", "completed", "jobs", "counter"},
    {"servers", "rejected", "jobs", "counter"},
    {"links", "utilization", "fraction", "gauge"},
    {"links", "bytes", "bytes", "counter"},
    {"replication", "count", "writes", "counter"},
    {"replication", "failed", "writes", "counter"},
    {"replication", "lag_s", "s", "latency"},
    {"replication", "backlog", "writes", "gauge"},
    {"timeseries.requests", "count", "requests", "counter"},
    {"timeseries.requests", "throughput_per_s", "1/s", "rate"},
    {"timeseries.requests", "errors", "requests", "counter"},
    {"timeseries.requests", "p50_s", "s", "latency"},
    {"timeseries.requests", "p99_s", "s", "latency"},
    {"timeseries.requests", "timeouts", "requests", "counter"},
    {"timeseries.requests", "retries", "retries", "counter"},
    {"timeseries.servers", "utilization", "fraction", "gauge"},
    {"timeseries.servers", "mean_queue", "jobs", "gauge"},
    {"timeseries.links", "utilization", "fraction", "gauge"},
    {"timeseries.links", "bytes", "bytes", "counter"},
    {"timeseries.replication", "backlog", "writes", "gauge"},
    {"timeseries.replication", "lag_p99_s", "s", "latency"},
};

/// {"requests": {"count": "requests", ...}, ..., "timeseries": {"requests": {...}, ...}}:
/// the unit of every figure, as the results JSON carries it under "units".
[[nodiscard]] inline nlohmann::json units_json() {
    nlohmann::json j = nlohmann::json::object();
    for (const FigureInfo& f : figures) {
        const std::string table(f.table);
        if (table.rfind("timeseries.", 0) == 0) {
            j["timeseries"][table.substr(11)][std::string(f.name)] = std::string(f.unit);
        } else {
            j[table][std::string(f.name)] = std::string(f.unit);
        }
    }
    return j;
}

}  // namespace s2sim::scenario

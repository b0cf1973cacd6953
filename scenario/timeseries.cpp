#include "scenario/timeseries.hpp"

#include <cmath>

#include <fmt/format.h>

#include "scenario/experiment.hpp"
#include "scenario/report.hpp"

namespace s2sim::scenario {

void add_timeseries_json(nlohmann::json& json, const models::RunResults& results) {
    const models::TimeSeries& ts = results.timeseries;
    if (ts.empty()) return;
    // Column-oriented: one array per figure, index i is window i (start_s[i]).
    nlohmann::json j;
    j["window_s"] = ts.window_s;
    j["start_s"] = ts.start_s;
    j["length_s"] = ts.length_s;
    j["requests"] = nlohmann::json::object();
    for (const models::RequestSeries& r : ts.requests) {
        nlohmann::json throughput = nlohmann::json::array(), p50 = nlohmann::json::array(),
                       p99 = nlohmann::json::array();
        for (std::size_t i = 0; i < ts.windows(); ++i) {
            throughput.push_back(static_cast<double>(r.count[i]) / ts.length_s[i]);
            p50.push_back(number_or_null(r.p50_s[i]));
            p99.push_back(number_or_null(r.p99_s[i]));
        }
        j["requests"][r.name] = {{"count", r.count},
                                 {"throughput_per_s", std::move(throughput)},
                                 {"errors", r.errors},
                                 {"p50_s", std::move(p50)},
                                 {"p99_s", std::move(p99)}};
    }
    j["servers"] = nlohmann::json::object();
    for (const models::ServerSeries& s : ts.servers) {
        j["servers"][s.name] = {{"utilization", s.utilization}, {"mean_queue", s.mean_queue}};
    }
    if (!ts.links.empty()) {
        j["links"] = nlohmann::json::object();
        for (const models::LinkSeries& l : ts.links) {
            j["links"][l.name] = {{"utilization", l.utilization}, {"bytes", l.bytes}};
        }
    }
    nlohmann::json events = nlohmann::json::array();
    for (const models::SeriesEvent& e : ts.events) {
        nlohmann::json event = {{"at_s", e.at_s}, {"action", e.action}, {"target", e.target}};
        if (e.for_s > 0) event["for_s"] = e.for_s;
        events.push_back(std::move(event));
    }
    // The random failures and recoveries of [[failure]] entries, from the run's log, after
    // the scheduled ones.
    for (const models::RecordedEntry& e : results.log) {
        if (e.table != random_failure_log_table || (e.what != "fail" && e.what != "recover")) continue;
        events.push_back({{"at_s", e.at_s}, {"action", e.what}, {"target", e.row}, {"random", true}});
    }
    if (!events.empty()) j["events"] = std::move(events);
    json["timeseries"] = std::move(j);
}

void write_timeseries_csv(const models::RunResults& results, const std::string& folder) {
    const models::TimeSeries& ts = results.timeseries;
    if (ts.empty()) return;
    // Long format: one row per (class, window), ready for pandas / a spreadsheet pivot.
    // timeouts and retries come last: columns are only ever added at the end.
    // Series components added to the core tables: columns after the core's own.
    const AddedSeries added_requests(results, "requests"), added_servers(results, "servers"),
        added_links(results, "links");
    std::string requests = "request,start_s,length_s,count,throughput_per_s,errors,p50_s,p99_s,timeouts,retries" +
                           added_requests.header() + "\n";
    for (const models::RequestSeries& r : ts.requests) {
        const bool resilience = r.timeouts.size() == ts.windows() && r.retries.size() == ts.windows();
        for (std::size_t i = 0; i < ts.windows(); ++i) {
            requests += fmt::format("{},{:.9g},{:.9g},{},{:.9g},{},{},{},{},{}{}\n", csv_quoted(r.name), ts.start_s[i],
                                    ts.length_s[i], r.count[i], static_cast<double>(r.count[i]) / ts.length_s[i],
                                    r.errors[i], csv_number(r.p50_s[i]), csv_number(r.p99_s[i]),
                                    resilience ? std::to_string(r.timeouts[i]) : std::string(),
                                    resilience ? std::to_string(r.retries[i]) : std::string(),
                                    added_requests.fields(r.name, i));
        }
    }
    std::string servers = "server,start_s,length_s,utilization,mean_queue" + added_servers.header() + "\n";
    for (const models::ServerSeries& s : ts.servers) {
        for (std::size_t i = 0; i < ts.windows(); ++i) {
            servers += fmt::format("{},{:.9g},{:.9g},{:.9g},{:.9g}{}\n", csv_quoted(s.name), ts.start_s[i],
                                   ts.length_s[i], s.utilization[i], s.mean_queue[i], added_servers.fields(s.name, i));
        }
    }
    write_file_atomically(folder + "/timeseries_requests.csv", requests);
    write_file_atomically(folder + "/timeseries_servers.csv", servers);
    write_recorded_timeseries_csv(results, folder);
    if (ts.links.empty()) return;  // no network
    std::string links = "link,start_s,length_s,utilization,bytes" + added_links.header() + "\n";
    for (const models::LinkSeries& l : ts.links) {
        for (std::size_t i = 0; i < ts.windows(); ++i) {
            links += fmt::format("{},{:.9g},{:.9g},{:.9g},{:.9g}{}\n", csv_quoted(l.name), ts.start_s[i],
                                 ts.length_s[i], l.utilization[i], l.bytes[i], added_links.fields(l.name, i));
        }
    }
    write_file_atomically(folder + "/timeseries_links.csv", links);
}

}  // namespace s2sim::scenario

#include "scenario/run_results_io.hpp"

#include <concepts>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/error.hpp"
#include "sim/stats/log_histogram.hpp"

namespace s2sim::scenario {
namespace {

using nlohmann::json;

// Why CBOR through nlohmann-json rather than a hand-made binary layout: the library is
// already here, the encoding names its fields (a mismatch reads as a clear error, not as
// shifted bytes), CBOR keeps doubles exact including NaN and infinities, and the bytes
// are compact (histograms stored sparsely: about 60 KB for 6 s of multi_region.toml with
// time series, 260 KB for the 60 s of ecommerce.toml).
constexpr const char* format_name = "s2sim run results";
// Version 2: histograms of 512 sub-buckets per power of two (version 1 had 128), so
// bucket indexes of the two versions mean different values.
// Version 3: the Recorder's tables and log (RunResults::tables, ::log).
constexpr int format_version = 3;

// ---------------------------------------------------------------- histogram state

/// The non-empty buckets as two parallel arrays (a histogram has 32,768 buckets, a run's
/// latencies fill a few hundred to a few thousand), then the exact count, sum, extremes and
/// out-of-range counts.
json encode_histogram(const stats::LogHistogram& h) {
    json index = json::array();
    json count = json::array();
    for (const stats::LogHistogram::Bucket& b : h.buckets()) {
        index.push_back(b.index);
        count.push_back(b.count);
    }
    return {{"count", h.count()},               {"sum", h.sum()},
            {"min", h.min()},                   {"max", h.max()},
            {"underflow", h.underflow()},       {"overflow", h.overflow()},
            {"bucket_index", std::move(index)}, {"bucket_count", std::move(count)}};
}

void decode_histogram(const json& j, stats::LogHistogram& h) {
    const auto index = j.at("bucket_index").get<std::vector<std::uint64_t>>();
    const auto count = j.at("bucket_count").get<std::vector<std::uint64_t>>();
    if (index.size() != count.size()) {
        throw Error(fmt::format("run results: a histogram has {} bucket indexes but {} counts", index.size(),
                                count.size()));
    }
    std::vector<stats::LogHistogram::Bucket> buckets(index.size());
    for (std::size_t i = 0; i < index.size(); ++i) {
        // Checked here too: a huge index must not be cut into range by a 32-bit size_t.
        if (index[i] >= stats::LogHistogram::bucket_count()) {
            throw Error(fmt::format("run results: histogram bucket {} is out of range (0 to {})", index[i],
                                    stats::LogHistogram::bucket_count() - 1));
        }
        buckets[i] = {static_cast<std::size_t>(index[i]), count[i]};
    }
    const auto underflow = j.at("underflow").get<std::uint64_t>();
    const auto overflow = j.at("overflow").get<std::uint64_t>();
    const auto total = j.at("count").get<std::uint64_t>();
    const auto sum = j.at("sum").get<double>();
    const auto min = j.at("min").get<double>();
    const auto max = j.at("max").get<double>();
    try {
        // from_state() refuses any state that record() and merge() could not have reached
        // (buckets out of range, out of order or empty, counts that do not add up, ...):
        // such a histogram would answer wrong quantiles.
        h = stats::LogHistogram::from_state(buckets, underflow, overflow, total, sum, min, max);
    } catch (const Error& e) {
        throw Error(fmt::format("run results: {}", e.what()));
    }
}

// ---------------------------------------------------------------- the fields of each result

// One list of fields per type serves encoding and decoding. Each list starts with a
// structured binding of the whole struct: a field added to models/results.hpp stops this
// file compiling until it is listed here too, rather than being dropped in transit.
template <typename R, typename T>
concept MaybeConst = std::same_as<std::remove_const_t<R>, T>;

void fields(MaybeConst<models::RequestResult> auto& r, auto&& visit) {
    auto& [name, count, errors, timeouts, rejected, latency, retries, error_latency] = r;
    visit("name", name);
    visit("count", count);
    visit("errors", errors);
    visit("timeouts", timeouts);
    visit("rejected", rejected);
    visit("latency", latency);
    visit("retries", retries);
    visit("error_latency", error_latency);
}

void fields(MaybeConst<models::OpResult> auto& r, auto&& visit) {
    auto& [name, count, errors, latency, timeouts, retries, rejected, error_latency] = r;
    visit("name", name);
    visit("count", count);
    visit("errors", errors);
    visit("latency", latency);
    visit("timeouts", timeouts);
    visit("retries", retries);
    visit("rejected", rejected);
    visit("error_latency", error_latency);
}

void fields(MaybeConst<models::ReplicationResult> auto& r, auto&& visit) {
    auto& [name, count, failed, lag, mean_backlog, max_backlog] = r;
    visit("name", name);
    visit("count", count);
    visit("failed", failed);
    visit("lag", lag);
    visit("mean_backlog", mean_backlog);
    visit("max_backlog", max_backlog);
}

void fields(MaybeConst<models::ServerResult> auto& r, auto&& visit) {
    auto& [name, utilization, mean_queue, max_queue, completed, rejected] = r;
    visit("name", name);
    visit("utilization", utilization);
    visit("mean_queue", mean_queue);
    visit("max_queue", max_queue);
    visit("completed", completed);
    visit("rejected", rejected);
}

void fields(MaybeConst<models::LinkResult> auto& r, auto&& visit) {
    auto& [name, utilization, bytes] = r;
    visit("name", name);
    visit("utilization", utilization);
    visit("bytes", bytes);
}

void fields(MaybeConst<models::RequestSeries> auto& r, auto&& visit) {
    auto& [name, count, errors, p50_s, p99_s, timeouts, retries] = r;
    visit("name", name);
    visit("count", count);
    visit("errors", errors);
    visit("p50_s", p50_s);
    visit("p99_s", p99_s);
    visit("timeouts", timeouts);
    visit("retries", retries);
}

void fields(MaybeConst<models::ReplicationSeries> auto& r, auto&& visit) {
    auto& [name, backlog, lag_p99_s] = r;
    visit("name", name);
    visit("backlog", backlog);
    visit("lag_p99_s", lag_p99_s);
}

void fields(MaybeConst<models::ServerSeries> auto& r, auto&& visit) {
    auto& [name, utilization, mean_queue] = r;
    visit("name", name);
    visit("utilization", utilization);
    visit("mean_queue", mean_queue);
}

void fields(MaybeConst<models::LinkSeries> auto& r, auto&& visit) {
    auto& [name, utilization, bytes] = r;
    visit("name", name);
    visit("utilization", utilization);
    visit("bytes", bytes);
}

void fields(MaybeConst<models::SeriesEvent> auto& r, auto&& visit) {
    auto& [at_s, action, target, for_s] = r;
    visit("at_s", at_s);
    visit("action", action);
    visit("target", target);
    visit("for_s", for_s);
}

void fields(MaybeConst<models::TimeSeries> auto& r, auto&& visit) {
    auto& [window_s, start_s, length_s, requests, servers, replication, links, events] = r;
    visit("window_s", window_s);
    visit("start_s", start_s);
    visit("length_s", length_s);
    visit("requests", requests);
    visit("servers", servers);
    visit("replication", replication);
    visit("links", links);
    visit("events", events);
}

void fields(MaybeConst<models::FigureSpec> auto& r, auto&& visit) {
    auto& [name, unit, kind, brief] = r;
    visit("name", name);
    visit("unit", unit);
    visit("kind", kind);
    visit("brief", brief);
}

void fields(MaybeConst<models::RecordedFigure> auto& r, auto&& visit) {
    auto& [count, value, max, latency] = r;
    visit("count", count);
    visit("value", value);
    visit("max", max);
    visit("latency", latency);
}

void fields(MaybeConst<models::RecordedRow> auto& r, auto&& visit) {
    auto& [name, figures, series] = r;
    visit("name", name);
    visit("figures", figures);
    visit("series", series);
}

void fields(MaybeConst<models::SeriesSpec> auto& r, auto&& visit) {
    auto& [name, unit, figure] = r;
    visit("name", name);
    visit("unit", unit);
    visit("figure", figure);
}

void fields(MaybeConst<models::RecordedTable> auto& r, auto&& visit) {
    auto& [name, row_key, figures, rows, per_window, series] = r;
    visit("name", name);
    visit("row_key", row_key);
    visit("figures", figures);
    visit("rows", rows);
    visit("per_window", per_window);
    visit("series", series);
}

void fields(MaybeConst<models::RecordedEntry> auto& r, auto&& visit) {
    auto& [at_s, table, row, what, text, values] = r;
    visit("at_s", at_s);
    visit("table", table);
    visit("row", row);
    visit("what", what);
    visit("text", text);
    visit("values", values);
}

void fields(MaybeConst<models::RunResults> auto& r, auto&& visit) {
    auto& [scenario, seed, simulated_s, wall_s, events, stopped_early, requests, ops, servers, links, replication,
           timeseries, tables, log] = r;
    visit("scenario", scenario);
    visit("seed", seed);
    visit("simulated_s", simulated_s);
    visit("wall_s", wall_s);
    visit("events", events);
    visit("stopped_early", stopped_early);
    visit("requests", requests);
    visit("ops", ops);
    visit("servers", servers);
    visit("links", links);
    visit("replication", replication);
    visit("timeseries", timeseries);
    visit("tables", tables);
    visit("log", log);
}

template <typename T>
concept Record = requires(T& value) { fields(value, [](const char*, auto&) {}); };

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};

template <typename T>
json encode(const T& value) {
    if constexpr (std::is_same_v<T, stats::LogHistogram>) {
        return encode_histogram(value);
    } else if constexpr (Record<T>) {
        json j = json::object();
        fields(value, [&j](const char* key, const auto& field) { j[key] = encode(field); });
        return j;
    } else if constexpr (IsVector<T>::value) {
        json j = json::array();
        for (const auto& item : value) j.push_back(encode(item));
        return j;
    } else {
        return value;  // numbers and strings
    }
}

template <typename T>
void decode(const json& j, T& value) {
    if constexpr (std::is_same_v<T, stats::LogHistogram>) {
        decode_histogram(j, value);
    } else if constexpr (Record<T>) {
        fields(value, [&j](const char* key, auto& field) { decode(j.at(key), field); });
    } else if constexpr (IsVector<T>::value) {
        value.resize(j.get_ref<const json::array_t&>().size());
        for (std::size_t i = 0; i < value.size(); ++i) decode(j[i], value[i]);
    } else {
        j.get_to(value);
    }
}

}  // namespace

std::string encode_run_results(const models::RunResults& results) {
    json j = encode(results);
    j["format"] = format_name;
    j["version"] = format_version;
    const std::vector<std::uint8_t> bytes = json::to_cbor(j);
    return {bytes.begin(), bytes.end()};
}

models::RunResults decode_run_results(std::string_view bytes) {
    try {
        const json j = json::from_cbor(bytes.begin(), bytes.end());
        if (!j.is_object() || j.value("format", "") != format_name) {
            throw Error("run results: not an encoding of s2sim run results");
        }
        if (const int version = j.at("version").get<int>(); version != format_version) {
            throw Error(fmt::format("run results: encoded in format version {}, this s2sim reads version {} "
                                    "(run the same s2sim everywhere)",
                                    version, format_version));
        }
        models::RunResults results;
        decode(j, results);
        return results;
    } catch (const json::exception& e) {
        throw Error(fmt::format("run results: malformed encoding ({})", e.what()));
    }
}

}  // namespace s2sim::scenario

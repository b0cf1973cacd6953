// The serial form of one run's results: a round trip must give back the same JSON,
// the same pooled percentiles and the same bytes, histograms and NaNs included.
#include "scenario/run_results_io.hpp"

#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "scenario/experiment.hpp"
#include "scenario/loader.hpp"
#include "scenario/report.hpp"
#include "sim/error.hpp"

using namespace s2sim;
namespace sc = s2sim::scenario;
using Catch::Matchers::Contains;

namespace {

models::RunResults round_trip(const models::RunResults& r) {
    return sc::decode_run_results(sc::encode_run_results(r));
}

/// Probabilities from 0 to 1 in steps of 0.001: every bucket a rank can land in shows.
std::vector<double> quantile_grid() {
    std::vector<double> qs;
    for (int i = 0; i <= 1000; ++i) qs.push_back(i / 1000.0);
    return qs;
}

/// Every observable figure of two histograms is equal, bit for bit.
void check_same_histogram(const stats::LogHistogram& a, const stats::LogHistogram& b) {
    REQUIRE(a.count() == b.count());
    CHECK(a.sum() == b.sum());
    if (a.count() == 0) return;
    CHECK(a.min() == b.min());
    CHECK(a.max() == b.max());
    for (const double q : quantile_grid()) CHECK(a.quantile(q) == b.quantile(q));
}

}  // namespace

TEST_CASE("run results io: a round trip keeps every figure of real runs", "[scenario]") {
    // Two regions with replicated writes: requests, ops, servers, links, replication lag
    // and time series with empty windows (NaN percentiles) all show up.
    const sc::Spec spec = sc::load_file(std::string(S2SIM_SOURCE_DIR) + "/scenarios/multi_region.toml",
                                        {"scenario.duration=\"6s\""});
    const auto runs = sc::run_replications(spec, 11, 0, 3, 1);
    REQUIRE(runs.size() == 3);
    REQUIRE_FALSE(runs[0].replication.empty());
    REQUIRE_FALSE(runs[0].links.empty());
    REQUIRE_FALSE(runs[0].timeseries.empty());

    std::vector<models::RunResults> decoded;
    for (const auto& r : runs) {
        decoded.push_back(round_trip(r));
        // The JSON carries each run's latency percentiles: it differs if a histogram was lost.
        CHECK(sc::to_json(decoded.back()).dump() == sc::to_json(r).dump());
        CHECK(decoded.back().wall_s == r.wall_s);
        CHECK(sc::encode_run_results(decoded.back()) == sc::encode_run_results(r));
    }

    const sc::ExperimentResults local = sc::pool(runs);
    const sc::ExperimentResults remote = sc::pool(decoded);
    CHECK(sc::to_json(remote).dump() == sc::to_json(local).dump());
    REQUIRE(remote.requests.size() == local.requests.size());
    for (std::size_t i = 0; i < local.requests.size(); ++i) {
        INFO(local.requests[i].name);
        check_same_histogram(local.requests[i].latency, remote.requests[i].latency);
    }
    REQUIRE(remote.ops.size() == local.ops.size());
    for (std::size_t i = 0; i < local.ops.size(); ++i) check_same_histogram(local.ops[i].latency, remote.ops[i].latency);
    REQUIRE(remote.replication.size() == local.replication.size());
    for (std::size_t i = 0; i < local.replication.size(); ++i) {
        check_same_histogram(local.replication[i].lag, remote.replication[i].lag);
    }
}

TEST_CASE("run results io: histograms keep out-of-range values; series keep NaN", "[scenario]") {
    models::RunResults r;
    r.scenario = "hand made";
    r.seed = 0xFFFFFFFFFFFFFFFFULL;  // the largest seed survives as an unsigned integer
    r.simulated_s = 10;
    r.stopped_early = "interrupted";
    models::RequestResult request;
    request.name = "users/home";
    request.count = 7;
    // 1e-15 s is below the bucketed range (2^-40 s), 1e8 s above it (2^24 s).
    for (const double v : {0.0, 1e-15, 0.001, 0.0015, 0.0015, 2.0, 1e8}) request.latency.record(v);
    r.requests.push_back(request);
    models::RequestResult empty;
    empty.name = "users/none";
    r.requests.push_back(empty);
    models::OpResult op;  // values only outside the range: no counters allocated
    op.name = "db.read";
    op.latency.record(1e-15);
    op.latency.record(1e9);
    r.ops.push_back(op);
    r.timeseries.window_s = 1;
    r.timeseries.start_s = {0, 1};
    r.timeseries.length_s = {1, 0.5};
    r.timeseries.requests.push_back({"users/home", {0, 7}, {0, 1}, {std::nan(""), 0.0015}, {std::nan(""), 2.0},
                                     {0, 0}, {0, 3}});

    const models::RunResults back = round_trip(r);
    CHECK(back.seed == r.seed);
    CHECK(back.stopped_early == "interrupted");
    REQUIRE(back.requests.size() == 2);
    check_same_histogram(back.requests[0].latency, r.requests[0].latency);
    CHECK(back.requests[0].latency.min() == 0.0);
    CHECK(back.requests[0].latency.max() == 1e8);
    CHECK(back.requests[1].latency.count() == 0);
    CHECK(back.requests[1].latency.allocated_buckets() == 0);
    check_same_histogram(back.ops[0].latency, r.ops[0].latency);
    CHECK(back.ops[0].latency.allocated_buckets() == 0);
    // Merged with another histogram, the copy behaves exactly as the original.
    stats::LogHistogram a, b;
    a.record(0.0015);
    b.record(0.0015);
    a.merge(r.requests[0].latency);
    b.merge(back.requests[0].latency);
    check_same_histogram(a, b);
    REQUIRE(back.timeseries.requests.size() == 1);
    CHECK(std::isnan(back.timeseries.requests[0].p50_s[0]));
    CHECK(back.timeseries.requests[0].p99_s[1] == 2.0);
    CHECK(back.timeseries.requests[0].retries == std::vector<std::uint64_t>{0, 3});
    CHECK(back.timeseries.length_s == std::vector<double>{1, 0.5});
}

TEST_CASE("run results io: counts past 2^32 in a bucket survive", "[scenario]") {
    // Histograms hold 32-bit counters and carry the rest: the serial form has whole counts.
    const std::uint64_t big = (std::uint64_t{3} << 32) + 5;
    const std::vector<stats::LogHistogram::Bucket> state{{stats::LogHistogram::bucket_index(0.001), big},
                                                         {stats::LogHistogram::bucket_index(0.002), 1}};
    models::RunResults r;
    r.requests.emplace_back();
    r.requests[0].name = "users/home";
    r.requests[0].count = big + 1;
    const double sum = 0.001 * static_cast<double>(big) + 0.002;
    r.requests[0].latency = stats::LogHistogram::from_state(state, 0, 0, big + 1, sum, 0.001, 0.002);
    const models::RunResults back = round_trip(r);
    CHECK(back.requests[0].latency.buckets() == state);
    check_same_histogram(back.requests[0].latency, r.requests[0].latency);
}

TEST_CASE("run results io: bad bytes are a clear error", "[scenario][errors]") {
    models::RunResults r;
    r.requests.emplace_back();
    r.requests[0].name = "users/home";
    r.requests[0].count = 2;
    r.requests[0].latency.record(0.001);
    r.requests[0].latency.record(0.002);
    const std::string bytes = sc::encode_run_results(r);

    CHECK_THROWS_WITH(sc::decode_run_results(std::string("\xff\x01", 2)), Contains("run results: malformed encoding"));
    // Valid CBOR (a text string: 'n' is the header of 14 characters) but not a RunResults.
    CHECK_THROWS_WITH(sc::decode_run_results("not cbor at all"),
                      Contains("run results: not an encoding of s2sim run results"));
    CHECK_THROWS_WITH(sc::decode_run_results(bytes.substr(0, bytes.size() / 2)),
                      Contains("run results: malformed encoding"));
    const auto cbor = [](const nlohmann::json& j) {
        const auto v = nlohmann::json::to_cbor(j);
        return std::string(v.begin(), v.end());
    };
    CHECK_THROWS_WITH(sc::decode_run_results(cbor({{"requests", 1}})),
                      Contains("run results: not an encoding of s2sim run results"));

    nlohmann::json j = nlohmann::json::from_cbor(bytes);
    j["version"] = 99;
    CHECK_THROWS_WITH(sc::decode_run_results(cbor(j)), Contains("encoded in format version 99"));
    // Version 1 had 128 sub-buckets per power of two: its bucket indexes mean other values.
    j["version"] = 1;
    CHECK_THROWS_WITH(sc::decode_run_results(cbor(j)),
                      Contains("encoded in format version 1, this s2sim reads version 3"));

    j = nlohmann::json::from_cbor(bytes);
    j["requests"][0]["latency"]["count"] = 3;  // the buckets hold 2
    CHECK_THROWS_WITH(sc::decode_run_results(cbor(j)),
                      Contains("run results: a histogram's buckets hold 2 values but its count is 3"));

    j = nlohmann::json::from_cbor(bytes);
    j["requests"][0]["latency"]["bucket_index"][0] = 1u << 20;
    CHECK_THROWS_WITH(sc::decode_run_results(cbor(j)), Contains("histogram bucket 1048576 is out of range"));

    j = nlohmann::json::from_cbor(bytes);
    j["requests"][0]["latency"]["bucket_index"][0] = j["requests"][0]["latency"]["bucket_index"][0].get<int>() - 1;
    CHECK_THROWS_WITH(sc::decode_run_results(cbor(j)), Contains("lies outside its min 0.001 and max 0.002"));

    j = nlohmann::json::from_cbor(bytes);
    j["requests"][0]["latency"]["bucket_index"][1] = j["requests"][0]["latency"]["bucket_index"][0];
    CHECK_THROWS_WITH(sc::decode_run_results(cbor(j)), Contains("(expected increasing indexes)"));

    j = nlohmann::json::from_cbor(bytes);
    j["requests"][0]["latency"]["bucket_count"][0] = 0;
    j["requests"][0]["latency"]["count"] = 1;
    CHECK_THROWS_WITH(sc::decode_run_results(cbor(j)), Contains("is listed but holds no value"));

    j = nlohmann::json::from_cbor(bytes);
    j["requests"][0]["latency"]["min"] = 0.003;
    CHECK_THROWS_WITH(sc::decode_run_results(cbor(j)), Contains("min 0.003 and max 0.002 are not 0 <= min <= max"));

    j = nlohmann::json::from_cbor(bytes);
    j["requests"][0].erase("errors");
    CHECK_THROWS_AS(sc::decode_run_results(cbor(j)), Error);
}

TEST_CASE("run results io: the recorder's tables and log survive a round trip and reach the JSON", "[scenario]") {
    models::Recorder rec;
    const auto t = rec.add_table("connections", "service",
                                 {{"opened", "connections", models::FigureKind::counter, ""},
                                  {"handshake_s", "s", models::FigureKind::latency, ""},
                                  {"open", "connections", models::FigureKind::level, ""},
                                  {"ratio", "fraction", models::FigureKind::value, ""}},
                                 true);
    const auto row = rec.add_row(t, "db");
    rec.start_measuring(Time::zero());
    rec.counter(t, row, 0).add(3);
    rec.latency(t, row, 1).record(0.02);
    rec.level(t, row, 2).set(Time::from_seconds(1), 2);
    rec.value(t, row, 3).set(std::nan(""));
    rec.close_window(Time::zero(), Time::from_seconds(2));
    rec.log(Time::from_seconds(1), "connections", "db", "note", "db: a note", {{"x", 1.5}});
    models::RunResults r;
    r.scenario = "s";
    r.simulated_s = 2;
    r.timeseries.window_s = 2;
    r.timeseries.start_s = {0};
    r.timeseries.length_s = {2};
    r.tables = rec.collect(Time::from_seconds(2), true);
    r.log = rec.take_log();

    const models::RunResults back = round_trip(r);
    CHECK(sc::encode_run_results(back) == sc::encode_run_results(r));
    const nlohmann::json j = sc::to_json(back);
    CHECK(j.dump() == sc::to_json(r).dump());
    CHECK(j["connections"]["db"]["opened"] == 3);
    CHECK(j["connections"]["db"]["handshake_s"]["p50"].get<double>() == Approx(0.02).epsilon(1e-3));
    CHECK(j["connections"]["db"]["open"]["mean"].get<double>() == Approx(1.0));  // 0 for 1 s, 2 for 1 s
    CHECK(j["connections"]["db"]["ratio"].is_null());
    CHECK(j["timeseries"]["connections"]["db"]["opened"] == nlohmann::json::array({3}));
    CHECK(j["units"]["connections"]["handshake_s"] == "s");
    CHECK(j["units"]["timeseries"]["connections"]["handshake_p99_s"] == "s");
    CHECK(j["log"][0]["values"]["x"] == 1.5);
    CHECK(j["log"][0]["what"] == "note");
}

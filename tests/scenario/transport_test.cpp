// [network] transport = "tcp", connections and encodings, from TOML to results.
#include <catch2/catch.hpp>

#include <string>

#include "models/system.hpp"
#include "scenario/builder.hpp"
#include "scenario/loader.hpp"

namespace {

// One 1 KB request a second from a client 10 ms away (2,000 km of fibre), 1 KB back.
std::string scenario(const std::string& network, const std::string& service, const std::string& op = "") {
    return R"toml(
[scenario]
duration = "20s"
warmup = "1.5s"  # the first request (at 1 s) opens the connection
[network]
)toml" + network + R"toml(
[[server]]
name = "db"
cores = 4
[[client]]
name = "users"
[[link]]
between = ["users", "db"]
bandwidth = "10Gbps"
distance = "2000km"
[service.db]
servers = ["db"]
)toml" + service + R"toml(
[service.db.op.get]
work = "const(0s)"
request = "1KB"
response = "1KB"
)toml" + op + R"toml(
[[workload]]
name = "w"
from = "users"
to = "db"
arrival = "constant(1/s)"
)toml";
}

s2sim::models::RunResults run(const std::string& text) {
    const auto spec = s2sim::scenario::parse(text, "transport.toml");
    s2sim::models::System system(s2sim::scenario::build(spec, 1));
    return system.run();
}

const s2sim::models::RecordedFigure& figure(const s2sim::models::RunResults& r, const std::string& name,
                                            const std::string& table = "connections", const std::string& row = "db") {
    for (const auto& t : r.tables) {
        if (t.name != table) continue;
        for (std::size_t i = 0; i < t.figures.size(); ++i) {
            if (t.figures[i].name != name) continue;
            for (const auto& rw : t.rows) {
                if (rw.name == row) return rw.figures.at(i);
            }
        }
    }
    FAIL("no figure " << name);
    throw;
}

}  // namespace

TEST_CASE("transport: TLS 1.3 on a new connection per request costs 3 round trips", "[scenario][transport]") {
    const auto r = run(scenario("transport = \"tcp\"\ntls = \"1.3\"", "connections = { max = 0 }"));
    REQUIRE(r.requests.at(0).count >= 19);
    CHECK(r.requests.at(0).latency.mean() * 1e3 == Approx(60).epsilon(0.001));
    CHECK(figure(r, "opened").count == r.requests.at(0).count);
    CHECK(figure(r, "reused").count == 0);
    CHECK(figure(r, "handshake_share").value == Approx(40.0 / 60).epsilon(0.001));
    // Per link direction, caller to server: the one link carries every connection.
    CHECK(figure(r, "opened", "connections_by_link", "users->db").count == r.requests.at(0).count);
    CHECK(figure(r, "handshake_s", "connections_by_link", "users->db").latency.mean() * 1e3 ==
          Approx(40).epsilon(0.001));
}

TEST_CASE("transport: a kept-alive connection costs one round trip", "[scenario][transport]") {
    const auto r = run(scenario("transport = \"tcp\"\ntls = \"1.2\"", ""));
    REQUIRE(r.requests.at(0).count >= 19);
    // Opened in the warm-up (forgotten), reused since.
    CHECK(r.requests.at(0).latency.mean() * 1e3 == Approx(20).epsilon(0.001));
    CHECK(figure(r, "opened").count == 0);
    CHECK(figure(r, "reused").count == r.requests.at(0).count);
    CHECK(figure(r, "open").value == Approx(1.0));
}

TEST_CASE("transport: the fluid default has no connections table", "[scenario][transport]") {
    const auto r = run(scenario("", ""));
    CHECK(r.requests.at(0).latency.mean() * 1e3 == Approx(20).epsilon(0.001));
    CHECK(r.tables.empty());
}

TEST_CASE("transport: a response encoding shows on the wire and on the server's cores", "[scenario][transport]") {
    const auto r = run(scenario("", "",
                                "response_encoding = { compression = 4, encode_per_byte = \"1us\", overhead = \"50B\" }"));
    // 1 KB encoded in 1 ms on db's cores, sent as 250 + 50 bytes.
    CHECK(r.requests.at(0).latency.mean() * 1e3 == Approx(21).epsilon(0.001));
    for (const auto& l : r.links) {
        if (l.name == "db->users") CHECK(l.bytes == Approx(300.0 * static_cast<double>(r.requests.at(0).count)));
    }
}

TEST_CASE("transport: cross_region.toml: pooling, TLS 1.3 and compression each shorten pages", "[scenario][transport]") {
    const std::string file = std::string(S2SIM_SOURCE_DIR) + "/scenarios/cross_region.toml";
    const auto mean_ms = [&](std::vector<std::string> overrides) {
        overrides.push_back("scenario.duration=\"5s\"");
        overrides.push_back("scenario.warmup=\"1s\"");
        s2sim::models::System system(s2sim::scenario::build(s2sim::scenario::load_file(file, overrides), 1));
        return system.run().requests.at(0).latency.mean() * 1e3;
    };
    const double as_written = mean_ms({});
    const double tls13 = mean_ms({"network.tls=\"1.3\""});
    const double pooled = mean_ms({"service.catalog.connections.keep_alive=true"});
    const double compressed = mean_ms({"service.catalog.op.query.response_encoding.compression=5"});
    // TLS 1.2 to 1.3 saves one round trip (20.2 ms) per call; pooling saves the 3
    // handshake round trips and the 3 slow-start rounds; compression 2 of those rounds.
    CHECK(as_written - tls13 == Approx(20.2).epsilon(0.02));
    CHECK(as_written - pooled > 6 * 20.2 * 0.95);
    CHECK(as_written - compressed == Approx(2 * 20.2).epsilon(0.05));
}

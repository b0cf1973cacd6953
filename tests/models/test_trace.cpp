// Trace replay: the CSV reader's errors (file, line, column) and a replay's counts,
// keys and sizes, through a running System.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "models/workload/trace_reader.hpp"
#include "sim/error.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;
namespace fs = std::filesystem;

std::string write_trace(const std::string& name, const std::string& text) {
    const fs::path dir = fs::temp_directory_path() / ("s2sim-trace-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path file = dir / name;
    std::ofstream(file) << text;
    return file.string();
}

const std::vector<std::string> shop_ops = {"home", "search", "checkout"};

/// Reads every record of `text`; returns the ConfigError it raised (fails if none).
ConfigError trace_error(const std::string& text) {
    const std::string path = write_trace("bad.csv", text);
    try {
        const TraceSummary s = scan_trace(path, shop_ops, "frontend");
        FAIL("expected a ConfigError, read " << s.records << " records");
    } catch (const ConfigError& e) {
        CHECK(e.where().file == path);
        return e;
    }
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("trace: records, keys and sizes are read by column name", "[models][trace]") {
    const std::string path = write_trace("ok.csv", "size, op,time,key\r\n100,home,0,7\r\n, search , 0.5 ,user-1\r\n");
    // The second line has an empty size: that is an error, not a default.
    CHECK_THROWS_AS(scan_trace(path, shop_ops, "frontend"), ConfigError);
    const std::string good = write_trace("good.csv", "size,op,time,key\n100,home,0,7\n2048, search , 0.5 ,user-1\n");
    TraceReader reader(good, shop_ops, "frontend");
    CHECK(reader.has_key_column());
    CHECK(reader.has_size_column());
    TraceRecord r;
    REQUIRE(reader.next(r));
    CHECK(r.time_s == 0);
    CHECK(r.op == 0);
    CHECK(r.key == 7);
    CHECK(r.size_bytes == 100);
    CHECK(r.line == 2);
    REQUIRE(reader.next(r));
    CHECK(r.time_s == 0.5);
    CHECK(r.op == 1);
    CHECK(r.key == stable_hash("user-1"));
    CHECK(r.size_bytes == 2048);
    CHECK_FALSE(reader.next(r));
    const std::string plain = write_trace("plain.csv", "time,op\n1,checkout\n");
    TraceReader minimal(plain, shop_ops, "frontend");
    CHECK_FALSE(minimal.has_key_column());
    REQUIRE(minimal.next(r));
    CHECK(r.size_bytes < 0);
    CHECK(r.op == 2);
}

TEST_CASE("trace: a missing or unknown column is an error on the header line", "[models][trace][errors]") {
    ConfigError e = trace_error("time,key\n0,1\n");
    CHECK(e.where().line == 1);
    CHECK(e.where().column == 1);
    CHECK_THAT(e.message(), Catch::Matchers::Contains("no 'op' column"));
    e = trace_error("time,op,sise\n0,home,1\n");
    CHECK(e.where().line == 1);
    CHECK(e.where().column == 9);
    CHECK_THAT(e.message(), Catch::Matchers::Contains("unknown trace column 'sise' (expected: time, op, key, size)"));
    e = trace_error("");
    CHECK(e.where().line == 1);
    CHECK_THAT(e.message(), Catch::Matchers::Contains("empty trace"));
}

TEST_CASE("trace: a time that goes backwards points at its line and column", "[models][trace][errors]") {
    const ConfigError e = trace_error("op,time\nhome,1\nhome,2\nsearch,1.5\nhome,3\n");
    CHECK(e.where().line == 4);
    CHECK(e.where().column == 8);
    CHECK_THAT(e.message(), Catch::Matchers::Contains("time 1.5 goes backwards"));
}

TEST_CASE("trace: a number that does not parse points at its field", "[models][trace][errors]") {
    ConfigError e = trace_error("time,op\n0,home\n1.2.3,home\n");
    CHECK(e.where().line == 3);
    CHECK(e.where().column == 1);
    CHECK_THAT(e.message(), Catch::Matchers::Contains("'1.2.3' is not a time"));
    e = trace_error("time,op,size\n0,home,12\n1,home,-4\n");
    CHECK(e.where().line == 3);
    CHECK(e.where().column == 8);
    CHECK_THAT(e.message(), Catch::Matchers::Contains("'-4' is not a size"));
    e = trace_error("time,op\n0,home\n,home\n");
    CHECK(e.where().line == 3);
    CHECK_THAT(e.message(), Catch::Matchers::Contains("'' is not a time"));
}

TEST_CASE("trace: an op the entry service does not offer is an error, even on the last line",
          "[models][trace][errors]") {
    std::string text = "time,op\n";
    for (int i = 0; i < 5000; ++i) text += std::to_string(i) + ",home\n";
    text += "5000,  chekout\n";
    const ConfigError e = trace_error(text);
    CHECK(e.where().line == 5002);
    CHECK(e.where().column == 8);  // after "5000," and two spaces
    CHECK_THAT(e.message(), Catch::Matchers::Contains(
                                "op 'chekout' is not offered by service 'frontend' (expected: home, search, checkout)"));
}

TEST_CASE("trace: wrong field counts and empty lines are errors, not skipped", "[models][trace][errors]") {
    ConfigError e = trace_error("time,op\n0,home\n1,home,extra\n");
    CHECK(e.where().line == 3);
    CHECK_THAT(e.message(), Catch::Matchers::Contains("expected 2 fields"));
    e = trace_error("time,op\n0,home\n\n2,home\n");
    CHECK(e.where().line == 3);
    CHECK_THAT(e.message(), Catch::Matchers::Contains("empty line"));
}

TEST_CASE("trace: replay sends each record at its time, with its op, key and size", "[models][trace]") {
    // Client c -- server s over 1 MB/s and no latency; two servers behind consistent
    // hashing. Trace: 300 requests over 30 s (speedup 2: 15 s), ops home x200, search x100;
    // all keys "cart-42" (one server takes all), sizes 5000 B on searches, none on homes
    // (the op's 1000 B).
    std::string text = "time,op,key,size\n";
    double bytes = 0;
    for (int i = 0; i < 300; ++i) {
        const bool search = i % 3 == 2;
        text += std::to_string(i * 0.1) + "," + (search ? "search" : "home") + ",cart-42," + (search ? "5000" : "1000") + "\n";
        bytes += search ? 5000 : 1000;
    }
    const std::string path = write_trace("replay.csv", text);
    SystemModel m;
    m.name = "replay";
    m.duration_s = 20;
    m.window_s = 5;
    m.topology = std::make_unique<Topology>();
    for (const char* name : {"s-1", "s-2"}) {
        HostModel host;
        host.server.name = name;
        host.node = m.topology->add_node(name, NodeKind::server);
        m.hosts.push_back(host);
    }
    const NodeId client = m.topology->add_node("c", NodeKind::client);
    const NodeId sw = m.topology->add_node("sw", NodeKind::switch_);
    m.topology->add_link(client, sw, 1e6, 0);
    m.topology->add_link(0, sw, 1e9, 0);
    m.topology->add_link(1, sw, 1e9, 0);
    ServiceModel service;
    service.name = "frontend";
    service.servers = {0, 1};
    service.balancer.policy = "consistent_hash";
    for (const char* name : {"home", "search", "checkout"}) {
        OpModel op;
        op.name = name;
        op.request_bytes = make_constant(1000);
        op.work = make_constant(0.001);
        service.ops.push_back(op);
    }
    m.services.push_back(std::move(service));
    WorkloadModel w;
    w.name = "replay";
    w.from = client;
    w.ops = {0, 1};  // as the builder sets them: the ops the trace names
    w.weights = {1, 1};
    w.arrival = TraceArrivals{path, 2.0};
    m.workloads.push_back(std::move(w));
    System system(std::move(m));
    const RunResults r = system.run();
    REQUIRE(r.requests.size() == 2);
    CHECK(r.requests[0].name == "replay/home");
    CHECK(r.requests[0].count == 200);
    CHECK(r.requests[1].count == 100);
    // Halved times: every request arrived in the first 15 s, three windows of 100.
    REQUIRE(r.timeseries.windows() == 4);
    for (int i = 0; i < 3; ++i) CHECK(r.timeseries.requests[0].count[i] + r.timeseries.requests[1].count[i] == 100);
    CHECK(r.timeseries.requests[0].count[3] == 0);
    // One key: one server served everything.
    CHECK(r.servers[0].completed + r.servers[1].completed == 300);
    CHECK((r.servers[0].completed == 0 || r.servers[1].completed == 0));
    bool found = false;
    for (const LinkResult& l : r.links) {
        if (l.name != "c->sw") continue;
        found = true;
        CHECK(l.bytes == Approx(bytes));
    }
    CHECK(found);
}

TEST_CASE("trace: without key and size columns, keys are drawn and sizes are the op's", "[models][trace]") {
    std::string text = "time,op\n";
    for (int i = 0; i < 400; ++i) text += std::to_string(i * 0.01) + ",home\n";
    const std::string path = write_trace("plain_replay.csv", text);
    SystemModel m;
    m.duration_s = 10;
    for (const char* name : {"s-1", "s-2"}) {
        HostModel host;
        host.server.name = name;
        m.hosts.push_back(host);
    }
    ServiceModel service;
    service.name = "frontend";
    service.servers = {0, 1};
    service.balancer.policy = "consistent_hash";
    OpModel op;
    op.name = "home";
    op.work = make_constant(0.001);
    service.ops.push_back(op);
    m.services.push_back(std::move(service));
    WorkloadModel w;
    w.name = "replay";
    w.ops = {0};
    w.weights = {1};
    w.arrival = TraceArrivals{path, 1.0};
    m.workloads.push_back(std::move(w));
    System system(std::move(m));
    const RunResults r = system.run();
    CHECK(r.requests[0].count == 400);
    // Random 64-bit keys: both servers get a share (each with probability ~1/2 per request).
    CHECK(r.servers[0].completed > 100);
    CHECK(r.servers[1].completed > 100);
}

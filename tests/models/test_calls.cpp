// Where the call engine sends a call's response (Call::reply_to, set when the call is sent).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <memory>

#include "models/network/topology.hpp"
#include "models/replication.hpp"
#include "models/system.hpp"
#include "models/system/call.hpp"
#include "tests/models/fixtures.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;

constexpr double ms = 1e-3;

// Services a, b and c on hosts a, b and c (at `nodes`), one op each of 1 ms of work,
// 100-byte requests and `response_bytes(i)`-byte responses; a calls b in its step and fires c
// asynchronously.
template <class ResponseBytes>
void add_a_calling_b_and_c(SystemModel& m, const NodeId (&nodes)[3], ResponseBytes response_bytes) {
    const char* names[] = {"a", "b", "c"};
    for (std::uint32_t i = 0; i < 3; ++i) {
        HostModel h;
        h.server.name = names[i];
        h.server.cores = 4;
        h.node = nodes[i];
        m.hosts.push_back(h);
        ServiceModel s;
        s.name = names[i];
        s.servers = {i};
        OpModel op;
        op.name = "op";
        op.work = make_constant(1 * ms);
        op.request_bytes = make_constant(100);
        op.response_bytes = make_constant(response_bytes(i));
        s.ops.push_back(op);
        m.services.push_back(std::move(s));
    }
    m.services[0].ops[0].steps = {{CallModel{1, 0}}};
    m.services[0].ops[0].async_calls = {CallModel{2, 0}};
}

}  // namespace

TEST_CASE("calls: responses go back to the caller's node; an async call's never crosses the network",
          "[models][calls]") {
    // Clients -> a; a calls b in its step and fires c asynchronously. Slots of answered calls
    // are reused by the next requests' calls: an async call in a slot that held b's call must
    // not send its response back to a.
    SystemModel m;
    m.duration_s = 5;
    m.seed = 3;
    auto topology = std::make_unique<Topology>();
    const NodeId users = topology->add_node("users", NodeKind::client);
    const NodeId na = topology->add_node("a", NodeKind::server);
    const NodeId nb = topology->add_node("b", NodeKind::server);
    const NodeId nc = topology->add_node("c", NodeKind::server);
    const LinkId user_link = topology->add_link(users, na, 1e9, 1 * ms);
    const LinkId ab = topology->add_link(na, nb, 1e9, 0.1 * ms);
    const LinkId ac = topology->add_link(na, nc, 1e9, 0.1 * ms);
    m.topology = std::move(topology);
    add_a_calling_b_and_c(m, {na, nb, nc}, [](std::uint32_t i) { return 1000.0 * (i + 1); });
    m.workloads.push_back(testing::one_op_workload("users", 0, ConstantArrivals{10.0}));
    m.workloads[0].from = users;
    const RunResults r = testing::run(std::move(m));
    REQUIRE(r.requests.size() == 1);
    REQUIRE(r.requests[0].count >= 45);
    const double n = static_cast<double>(r.requests[0].count);
    const auto bytes = [&r](LinkId link, Direction d) { return r.links[Topology::directed_link(link, d)].bytes; };
    // Requests of 100 bytes out; responses of a (1000), b (2000) back to their callers.
    CHECK(bytes(user_link, Direction::a_to_b) >= 100 * n);
    CHECK(bytes(user_link, Direction::b_to_a) >= 1000 * n);
    CHECK(bytes(ab, Direction::a_to_b) >= 100 * n);
    CHECK(bytes(ab, Direction::b_to_a) >= 2000 * n);
    CHECK(bytes(ac, Direction::a_to_b) >= 100 * n);
    CHECK(bytes(ac, Direction::b_to_a) == 0);  // c's 3000-byte responses go nowhere
}

TEST_CASE("calls: nodes without a network are ignored: every message arrives at once", "[models][calls]") {
    // Hosts and a workload that name nodes, in a model without a topology: the call engine has
    // no network to send through, so requests and responses arrive at once and a request takes
    // exactly a's work and then b's (c's async call is not waited for).
    SystemModel m;
    m.duration_s = 5;
    m.seed = 3;
    add_a_calling_b_and_c(m, {NodeId{1}, NodeId{2}, NodeId{3}}, [](std::uint32_t) { return 1000.0; });
    m.workloads.push_back(testing::one_op_workload("users", 0, ConstantArrivals{10.0}));
    m.workloads[0].from = NodeId{0};
    const RunResults r = testing::run(std::move(m));
    REQUIRE(r.requests.size() == 1);
    REQUIRE(r.requests[0].count >= 45);
    CHECK(r.requests[0].errors == 0);
    CHECK(r.requests[0].latency.min() == Approx(2 * ms).epsilon(1e-9));
    CHECK(r.requests[0].latency.max() == Approx(2 * ms).epsilon(1e-9));
    CHECK(r.links.empty());
}

TEST_CASE("calls: an op is a leaf without replication, async calls, steps or work after", "[models][calls]") {
    // CallEngine::work_done() answers a leaf op at once: each of the four must make it no leaf.
    const auto leaf = [](const OpModel& op) { return system::OpState(RandomStream(1, "op"), 0, 0, op).leaf; };
    OpModel op;
    op.work = make_constant(1 * ms);
    CHECK(leaf(op));
    OpModel with_steps = op;
    with_steps.steps = {{CallModel{1, 0}}};
    CHECK_FALSE(leaf(with_steps));
    OpModel with_async = op;
    with_async.async_calls = {CallModel{1, 0}};
    CHECK_FALSE(leaf(with_async));
    OpModel with_work_after = op;
    with_work_after.work_after = make_constant(1 * ms);
    CHECK_FALSE(leaf(with_work_after));
    OpModel with_replication = op;
    with_replication.replicate = ReplicationModel{};
    CHECK_FALSE(leaf(with_replication));
    OpModel no_work;  // no work at all is still a leaf
    CHECK(leaf(no_work));
}

TEST_CASE("calls: a step call is launched with its probability", "[models][calls]") {
    // a's one step calls b with probability 0.25, c with 1 and d with 0: b runs for about a
    // quarter of the requests (a draw each), c for all, d for none.
    SystemModel m;
    m.duration_s = 50;
    m.seed = 5;
    const char* names[] = {"a", "b", "c", "d"};
    for (std::uint32_t i = 0; i < 4; ++i) {
        HostModel h;
        h.server.name = names[i];
        h.server.cores = 4;
        m.hosts.push_back(h);
        ServiceModel s;
        s.name = names[i];
        s.servers = {i};
        OpModel op;
        op.name = "op";
        op.work = make_constant(1 * ms);
        s.ops.push_back(op);
        m.services.push_back(std::move(s));
    }
    m.services[0].ops[0].steps = {{CallModel{1, 0, 0.25, true}, CallModel{2, 0, 1.0, true}, CallModel{3, 0, 0.0, true}}};
    m.workloads.push_back(testing::one_op_workload("users", 0, ConstantArrivals{40.0}));
    const RunResults r = testing::run(std::move(m));
    REQUIRE(r.ops.size() == 4);
    const double n = static_cast<double>(r.ops[0].count);
    REQUIRE(n >= 1900);
    CHECK(static_cast<double>(r.ops[1].count) == Approx(0.25 * n).margin(4 * std::sqrt(n * 0.25 * 0.75)));
    CHECK(r.ops[1].count < r.ops[0].count);
    CHECK(r.ops[2].count == r.ops[0].count);
    CHECK(r.ops[3].count == 0);
}

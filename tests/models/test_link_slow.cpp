// A `slow` event on a link divides its bandwidth during a run, and reverting restores it.
#include <catch2/catch.hpp>

#include "models/network/flow_network.hpp"
#include "models/network/topology.hpp"
#include "sim/error.hpp"
#include "sim/simulation.hpp"

TEST_CASE("flow network: changing a link's capacity mid-transfer changes the rate at once", "[models][network]") {
    using namespace s2sim;
    using namespace s2sim::models;
    Simulation sim;
    Topology topology;
    const NodeId a = topology.add_node("a", NodeKind::server);
    const NodeId b = topology.add_node("b", NodeKind::server);
    const LinkId link = topology.add_link(a, b, 1e6, 0.0);  // 1 MB/s, no latency
    FlowNetwork network(sim, topology);
    double done_at = -1;
    network.send(a, b, 2e6, [&](bool ok) {
        REQUIRE(ok);
        done_at = sim.now().seconds();
    });
    // After 1 s, 1e6 bytes are left; at 0.25 MB/s (slowed by 4) they take 4 s more,
    // so without the revert the message would arrive at 5 s.
    sim.schedule_at(Time::from_seconds(1.0), [&] { network.set_link_capacity(link, 0.25e6, 0.25e6); });
    // At 3 s, 0.5e6 bytes are left; back at 1 MB/s they take 0.5 s: arrival at 3.5 s.
    sim.schedule_at(Time::from_seconds(3.0), [&] { network.set_link_capacity(link, 1e6, 1e6); });
    sim.run();
    CHECK(done_at == Approx(3.5).epsilon(1e-9));
    // Bytes over capacity offered: 2e6 / (1e6 * 1 + 0.25e6 * 2 + 1e6 * 0.5) = 1.
    CHECK(network.link_stats(Topology::directed_link(link, Direction::a_to_b)).utilization == Approx(1.0));
    CHECK_THROWS_AS(topology.set_capacity(0, 0.0), s2sim::Error);
}

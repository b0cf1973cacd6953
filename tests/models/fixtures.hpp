// Small SystemModels shared by the model tests (no network unless a test adds one).
#pragma once
#include <string>
#include <utility>

#include "models/system.hpp"

namespace s2sim::testing {

/// A workload sending every request to op 0 of `service`.
inline models::WorkloadModel one_op_workload(std::string name, std::uint32_t service,
                                             models::ArrivalModel arrival) {
    models::WorkloadModel w;
    w.name = std::move(name);
    w.service = service;
    w.ops = {0};
    w.weights = {1.0};
    w.arrival = std::move(arrival);
    return w;
}

/// Service "a" (one 64-core server, no work) calls service "b" (`b_servers` servers
/// of `b_cores` cores, work `b_work`) with `call` (whose service and op are set to
/// b's one op). Requests of workload "users" arrive at a with `arrival`.
inline models::SystemModel a_calls_b(models::CallModel call, DistributionPtr b_work,
                                     models::ArrivalModel arrival, double duration_s, unsigned b_servers,
                                     unsigned b_cores) {
    using namespace s2sim::models;
    SystemModel m;
    m.duration_s = duration_s;
    HostModel a;
    a.server.name = "a";
    a.server.cores = 64;
    m.hosts.push_back(a);
    ServiceModel sa;
    sa.name = "a";
    sa.servers = {0};
    OpModel front;
    front.name = "front";
    call.service = 1;
    call.op = 0;
    front.steps = {{std::move(call)}};
    sa.ops.push_back(front);
    ServiceModel sb;
    sb.name = "b";
    for (unsigned i = 0; i < b_servers; ++i) {
        HostModel b;
        b.server.name = "b-" + std::to_string(i + 1);
        b.server.cores = b_cores;
        sb.servers.push_back(static_cast<std::uint32_t>(m.hosts.size()));
        m.hosts.push_back(b);
    }
    OpModel back;
    back.name = "back";
    back.work = std::move(b_work);
    sb.ops.push_back(back);
    m.services.push_back(std::move(sa));
    m.services.push_back(std::move(sb));
    m.workloads.push_back(one_op_workload("users", 0, std::move(arrival)));
    return m;
}

/// Builds a System from `m` and runs it to the end.
inline models::RunResults run(models::SystemModel m) {
    models::System system(std::move(m));
    return system.run();
}

}  // namespace s2sim::testing

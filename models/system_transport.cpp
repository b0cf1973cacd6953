// The System's hooks into the transport layer (models/network/transport.hpp): kept
// apart from system.cpp so that the call engine only hands messages over.
#include "models/system.hpp"

namespace s2sim::models {

void System::make_transport() {
    if (!network_) return;
    bool encodings = false;
    for (const ServiceModel& s : model_.services) {
        for (const OpModel& op : s.ops) encodings |= op.request_encoding.has_value() || op.response_encoding.has_value();
    }
    // Neither TCP nor an encoding: messages go straight to the network, as they always did.
    if (!model_.tcp && !encodings) return;
    std::vector<ConnectionPolicy> policies;
    std::vector<std::string> names;
    for (const ServiceModel& s : model_.services) {
        policies.push_back(s.connections);
        names.push_back(s.name);
    }
    auto submit = [this](std::uint32_t host, double work_s, std::uint64_t token) {
        return hosts_[host].server->submit(work_s, transport_token | token, 0);
    };
    transport_ = std::make_unique<Transport>(sim_, *network_, *model_.topology, model_.tcp ? &*model_.tcp : nullptr,
                                             std::move(policies), std::move(names), std::move(submit), recorder_,
                                             RandomStream(model_.seed, "transport"), model_.link_loss);
}

void System::deliver_by_transport(NodeId from, NodeId to, double bytes, std::uint32_t id, bool request,
                                  Transport::Done on_done) {
    const Call& call = calls_[id];
    const OpModel& op = services_[call.service].model->ops[call.op];
    if (request) {
        const std::uint32_t caller_host = call.parent != none ? calls_[call.parent].host : Transport::no_host;
        transport_->send_request(id, from, caller_host, to, call.host, call.service, bytes,
                                 op.request_encoding ? &*op.request_encoding : nullptr, std::move(on_done));
    } else {
        transport_->send_response(id, bytes, op.response_encoding ? &*op.response_encoding : nullptr,
                                  std::move(on_done));
    }
}

}  // namespace s2sim::models

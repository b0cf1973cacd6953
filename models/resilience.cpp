// Wiring of the resilience features of the call engine a model may ask for: hedged calls and
// retry throttling (the metastability report is System's). Nothing is built (and nothing recorded) when none is asked for.
#include "models/system/call_engine.hpp"
#include "models/system/hosts.hpp"
#include "sim/error.hpp"

namespace s2sim::models::system {

void CallEngine::build_resilience() {
    const SystemModel& model = context_.model;
    std::vector<std::string> service_names;
    for (const ServiceModel& s : model.services) service_names.push_back(s.name);
    std::vector<bool> hedged(model.services.size(), false);
    bool any_hedge = false;
    for (const ServiceModel& s : model.services) {
        for (const OpModel& op : s.ops) {
            for (const auto& step : op.steps) {
                for (const CallModel& c : step) {
                    if (!c.hedge) continue;
                    const std::string where = "call from '" + s.name + "." + op.name + "' to '" +
                                              model.services.at(c.service).name + "'";
                    if (c.retries > 0) throw Error(where + ": a call hedges or retries, not both (as in gRPC)");
                    if (c.hedge->max < 1 || c.hedge->max > HedgeModel::max_hedges) {
                        throw Error(where + ": hedge max must be 1 to " + std::to_string(HedgeModel::max_hedges));
                    }
                    if (c.hedge->percentile > 0 ? !(c.hedge->percentile < 1) : !(c.hedge->after_s > 0)) {
                        throw Error(where + ": hedge needs a delay > 0 or a percentile in (0, 1)");
                    }
                    hedged[c.service] = true;
                    any_hedge = true;
                }
            }
            for (const CallModel& c : op.async_calls) {
                if (c.hedge) throw Error("async call from '" + s.name + "." + op.name + "' cannot hedge: nobody waits");
            }
        }
    }
    if (any_hedge) hedges_ = std::make_unique<HedgeGroups>(context_.recorder, service_names, hedged);
    std::vector<std::string> host_names;
    for (const Host& h : hosts_) host_names.push_back(h.server->name());
    for (std::size_t s = 0; s < model.services.size(); ++s) {
        const auto& throttling = model.services[s].retry_throttling;
        if (!throttling) continue;
        if (!(throttling->max_tokens > 0 && throttling->max_tokens <= 1000) || !(throttling->token_ratio > 0)) {
            throw Error("service '" + model.services[s].name +
                        "': retry throttling needs max_tokens in (0, 1000] and token_ratio > 0");
        }
        if (throttles_.empty()) throttles_.resize(model.services.size());
        throttles_[s] = std::make_unique<RetryThrottles>(*throttling, model.services[s].name, context_.recorder, host_names);
    }
}

}  // namespace s2sim::models::system

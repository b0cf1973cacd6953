// Wiring of the resilience features a model may ask for: hedged calls, retry throttling and
// the metastability report. Nothing is built (and nothing recorded) when none is asked for.
#include "models/system.hpp"
#include "sim/error.hpp"

namespace s2sim::models {

void System::build_resilience() {
    std::vector<std::string> service_names;
    for (const ServiceModel& s : model_.services) service_names.push_back(s.name);
    std::vector<bool> hedged(model_.services.size(), false);
    bool any_hedge = false;
    for (const ServiceModel& s : model_.services) {
        for (const OpModel& op : s.ops) {
            for (const auto& step : op.steps) {
                for (const CallModel& c : step) {
                    if (!c.hedge) continue;
                    const std::string where = "call from '" + s.name + "." + op.name + "' to '" +
                                              model_.services.at(c.service).name + "'";
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
    if (any_hedge) hedges_ = std::make_unique<HedgeGroups>(recorder_, service_names, hedged);
    std::vector<std::string> host_names;
    for (const Host& h : hosts_) host_names.push_back(h.server->name());
    for (std::size_t s = 0; s < model_.services.size(); ++s) {
        const auto& throttling = model_.services[s].retry_throttling;
        if (!throttling) continue;
        if (!(throttling->max_tokens > 0 && throttling->max_tokens <= 1000) || !(throttling->token_ratio > 0)) {
            throw Error("service '" + model_.services[s].name +
                        "': retry throttling needs max_tokens in (0, 1000] and token_ratio > 0");
        }
        if (throttles_.empty()) throttles_.resize(model_.services.size());
        throttles_[s] = std::make_unique<RetryThrottles>(*throttling, model_.services[s].name, recorder_, host_names);
    }
    if (model_.metastability) {
        std::vector<const Server*> servers;
        for (const Host& h : hosts_) servers.push_back(h.server.get());
        metastability_ = std::make_unique<MetastabilityReport>(*model_.metastability, model_, servers, recorder_);
    }
}

}  // namespace s2sim::models

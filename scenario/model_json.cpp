#include "scenario/model_json.hpp"

#include <algorithm>
#include <cmath>

#include "scenario/report.hpp"

namespace s2sim::scenario {
namespace {

using nlohmann::json;

json optional_number(const std::optional<double>& x) { return x ? json(*x) : json(nullptr); }

json site_of(const std::optional<std::string>& site) { return site ? json(*site) : json(nullptr); }

json call_json(const Spec& spec, const CallSpec& c) {
    const ServiceSpec& to = spec.services.at(static_cast<std::size_t>(c.service));
    return {{"target", c.target},
            {"service", to.name},
            {"op", to.ops.at(static_cast<std::size_t>(c.op)).name},
            {"probability", c.probability},
            {"timeout_s", optional_number(c.timeout)},
            {"retries", c.retries},
            {"required", c.required}};
}

const char* arrival_kind(const ArrivalProcess& p) {
    static constexpr const char* names[] = {"poisson", "constant", "mmpp", "schedule", "closed", "trace"};
    return names[p.index()];
}

}  // namespace

json model_json(const Spec& spec) {
    json m;
    m["name"] = spec.run.name;
    m["file"] = spec.file;
    m["duration_s"] = spec.run.duration;
    m["warmup_s"] = spec.run.warmup;
    m["warmup_auto"] = spec.run.warmup_auto;
    m["window_s"] = spec.run.window;
    m["propagation_speed_m_per_s"] = spec.network.propagation_speed;

    // Sites in order of first appearance, so the drawing keeps the file's order.
    json sites = json::array();
    const auto add_site = [&](const std::optional<std::string>& site) {
        if (site && std::find(sites.begin(), sites.end(), json(*site)) == sites.end()) sites.push_back(*site);
    };
    json nodes = json::array();
    for (const ServerSpec& s : spec.servers) {
        add_site(s.site);
        nodes.push_back({{"name", s.name},
                         {"kind", "server"},
                         {"site", site_of(s.site)},
                         {"group", spec.groups.at(static_cast<std::size_t>(s.group)).name},
                         {"cores", s.cores},
                         {"speed", s.speed},
                         {"discipline", to_string(s.discipline)},
                         {"queue", s.queue ? json(*s.queue) : json(nullptr)},
                         {"threads", s.threads ? json(*s.threads) : json(nullptr)}});
    }
    for (const SwitchSpec& s : spec.switches) {
        add_site(s.site);
        nodes.push_back({{"name", s.name}, {"kind", "switch"}, {"site", site_of(s.site)}});
    }
    for (const ClientSpec& c : spec.clients) {
        add_site(c.site);
        nodes.push_back({{"name", c.name}, {"kind", "client"}, {"site", site_of(c.site)}});
    }
    m["sites"] = std::move(sites);
    m["nodes"] = std::move(nodes);

    json groups = json::array();
    for (const ServerGroupSpec& g : spec.groups) {
        json members = json::array();
        for (const int i : g.members) members.push_back(spec.servers.at(static_cast<std::size_t>(i)).name);
        groups.push_back({{"name", g.name}, {"servers", std::move(members)}});
    }
    m["groups"] = std::move(groups);

    json links = json::array();
    for (const LinkSpec& l : spec.links) {
        links.push_back({{"a", spec.node_name(l.a)},
                         {"b", spec.node_name(l.b)},
                         {"bandwidth_ab_bytes_per_s", l.bandwidth_ab},
                         {"bandwidth_ba_bytes_per_s", l.bandwidth_ba},
                         {"distance_m", l.distance},
                         // what a message waits on this link beyond its transfer time
                         {"latency_s", l.latency + l.distance / spec.network.propagation_speed},
                         {"entry", l.entry}});
    }
    m["links"] = std::move(links);

    json services = json::array();
    for (const ServiceSpec& s : spec.services) {
        json servers = json::array();
        for (const int i : s.servers) servers.push_back(spec.servers.at(static_cast<std::size_t>(i)).name);
        json ops = json::array();
        for (const OpSpec& o : s.ops) {
            json steps = json::array();
            for (const CallStep& step : o.calls) {
                json calls = json::array();
                for (const CallSpec& c : step.calls) calls.push_back(call_json(spec, c));
                steps.push_back(std::move(calls));
            }
            json async_calls = json::array();
            for (const CallSpec& c : o.async_calls) async_calls.push_back(call_json(spec, c));
            json op = {{"name", o.name},
                       {"work", o.work.text},
                       {"work_after", o.work_after ? json(o.work_after->text) : json(nullptr)},
                       {"request", o.request.text},
                       {"response", o.response.text},
                       {"steps", std::move(steps)},
                       {"async", std::move(async_calls)},
                       {"replicate", nullptr}};
            if (o.replicate) {
                json to = json::array();
                for (const int i : o.replicate->to) to.push_back(spec.servers.at(static_cast<std::size_t>(i)).name);
                op["replicate"] = {{"to", std::move(to)},
                                   {"mode", to_string(o.replicate->mode)},
                                   {"acks", o.replicate->acks}};
            }
            ops.push_back(std::move(op));
        }
        services.push_back({{"name", s.name},
                            {"servers", std::move(servers)},
                            {"balancer", s.balancer.policy},
                            {"ops", std::move(ops)}});
    }
    m["services"] = std::move(services);

    json workloads = json::array();
    for (const WorkloadSpec& w : spec.workloads) {
        const ServiceSpec& entry = spec.services.at(static_cast<std::size_t>(w.to));
        json mix = json::array();
        for (const MixEntry& e : w.mix) {
            mix.push_back({{"op", entry.ops.at(static_cast<std::size_t>(e.op)).name}, {"weight", e.weight}});
        }
        json keys = nullptr;
        if (w.keys) keys = {{"count", w.keys->count}, {"skew", w.keys->skew}};
        workloads.push_back(
            {{"name", w.name},
             {"from", w.from ? json(spec.clients.at(static_cast<std::size_t>(*w.from)).name) : json(nullptr)},
             {"to", entry.name},
             {"arrival", w.arrival.text},
             {"arrival_kind", arrival_kind(w.arrival.process)},
             {"mix", std::move(mix)},
             {"keys", std::move(keys)}});
    }
    m["workloads"] = std::move(workloads);

    json events = json::array();
    for (const EventSpec& e : spec.events) {
        events.push_back({{"at_s", e.at},
                          {"action", to_string(e.action)},
                          {"target", e.target_text},
                          {"for_s", optional_number(e.duration)},
                          {"factor", e.factor}});
    }
    m["events"] = std::move(events);
    json failures = json::array();
    for (const FailureSpec& f : spec.failures) {
        failures.push_back({{"target", f.target_text}, {"mtbf", f.mtbf.text}, {"mttr", f.mttr.text}});
    }
    m["failures"] = std::move(failures);
    return m;
}

const std::vector<double>& latency_cdf_grid() {
    static const std::vector<double> grid = [] {
        std::vector<double> q{0.0005, 0.001, 0.002, 0.005};  // as python/s2sim QUANTILE_GRID
        for (int i = 1; i < 100; ++i) q.push_back(i / 100.0);
        for (const double t : {0.995, 0.998, 0.999, 0.9995, 0.9999}) q.push_back(t);
        return q;
    }();
    return grid;
}

namespace {
json quantiles_of(const stats::LogHistogram& h) {
    json out = json::array();
    for (const double q : latency_cdf_grid()) out.push_back(h.count() ? json(h.quantile(q)) : json(nullptr));
    return out;
}
}  // namespace

json latency_cdf_json(const models::RunResults& results) {
    json requests = json::object();
    for (const models::RequestResult& r : results.requests) requests[r.name] = quantiles_of(r.latency);
    return {{"q", latency_cdf_grid()}, {"requests", std::move(requests)}};
}

json latency_cdf_json(const ExperimentResults& results) {
    json requests = json::object();
    for (const ClassFigures& r : results.requests) requests[r.name] = quantiles_of(r.latency);
    return {{"q", latency_cdf_grid()}, {"requests", std::move(requests)}};
}

std::vector<std::string> model_warnings(const Spec& spec) {
    try {
        return saturation_warnings(analyze(spec));
    } catch (const std::exception&) {
        return {};  // the estimate is advice: a model it cannot handle has no warnings from it
    }
}

namespace {
template <class Results>
void add_inputs(json& j, const Spec& spec, const Results& results, const std::string& command) {
    j["model"] = model_json(spec);
    j["latency_cdf"] = latency_cdf_json(results);
    j["warnings"] = model_warnings(spec);
    if (!command.empty()) j["command"] = command;
}
}  // namespace

void add_report_inputs(json& j, const Spec& spec, const models::RunResults& results, const std::string& command) {
    add_inputs(j, spec, results, command);
}

void add_report_inputs(json& j, const Spec& spec, const ExperimentResults& results, const std::string& command) {
    add_inputs(j, spec, results, command);
}

std::string with_report_inputs(const std::string& json_text, const Spec& spec, const ExperimentResults& results) {
    json j = json::parse(json_text);
    add_report_inputs(j, spec, results, "");
    return j.dump();
}

std::string command_line(int argc, const char* const* argv) {
    std::string out = "s2sim";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-_./=:,+@%").find(c) != std::string_view::npos;
        });
        out += ' ';
        if (plain) {
            out += arg;
            continue;
        }
        // Single quotes keep everything but a single quote, which closes, escapes and reopens.
        out += '\'';
        for (const char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        out += '\'';
    }
    return out;
}

}  // namespace s2sim::scenario

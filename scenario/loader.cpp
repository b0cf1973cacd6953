#include "scenario/loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <climits>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "models/consistency.hpp"
#include "scenario/arguments.hpp"
#include "scenario/files.hpp"
#include "scenario/footprint.hpp"
#include "scenario/overrides.hpp"
#include "scenario/suggest.hpp"
#include "sim/distribution.hpp"
#include "sim/units.hpp"

namespace s2sim::scenario {

namespace {

namespace fs = std::filesystem;

/// What a unit-carrying value measures; picks the parser and the example in messages.
enum class Unit { time, size, bandwidth, distance, rate, speed };

const char* unit_noun(Unit u) {
    switch (u) {
        case Unit::time: return "time";
        case Unit::size: return "size";
        case Unit::bandwidth: return "bandwidth";
        case Unit::distance: return "distance";
        case Unit::rate: return "rate";
        case Unit::speed: return "speed";
    }
    return "value";
}

const char* unit_example(Unit u) {
    switch (u) {
        case Unit::time: return "5ms";
        case Unit::size: return "4KB";
        case Unit::bandwidth: return "10Gbps";
        case Unit::distance: return "2km";
        case Unit::rate: return "800/s";
        case Unit::speed: return "200000km/s";
    }
    return "";
}

double parse_unit(Unit u, std::string_view text) {
    switch (u) {
        case Unit::time: return units::parse_time(text);
        case Unit::size: return units::parse_size(text);
        case Unit::bandwidth: return units::parse_bandwidth(text);
        case Unit::distance: return units::parse_distance(text);
        case Unit::rate: return units::parse_rate(text);
        case Unit::speed: return units::parse_speed(text);
    }
    return 0;
}

const char* type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time of day";
        case toml::node_type::date_time: return "a date-time";
        default: return "nothing";
    }
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += sep;
        out += items[i];
    }
    return out;
}

/// Names of servers, groups, switches, clients, services, ops and workloads:
/// letters, digits, '-' and '_', so "a--b" (links) and "service.op" (calls) stay unambiguous.
bool valid_name(std::string_view s) {
    if (s.empty() || s.find("--") != std::string_view::npos) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_';
    });
}

/// 1, 2 or 5 times a power of ten, at most `x`: a readable default window.
double nice_floor(double x) {
    if (!(x > 0)) return 1;
    const double p = std::pow(10.0, std::floor(std::log10(x)));
    for (const double m : {5.0, 2.0, 1.0}) {
        if (m * p <= x * (1 + 1e-12)) return m * p;
    }
    return p;
}

bool is_prime(std::int64_t n) {
    if (n < 2) return false;
    for (std::int64_t d = 2; d * d <= n; ++d) {
        if (n % d == 0) return false;
    }
    return true;
}

const std::vector<std::string> kPolicies = {
    "round_robin", "random",          "least_connections", "join_shortest_queue", "power_of_two", "weighted_round_robin",
    "weighted_random", "consistent_hash", "maglev",        "peak_ewma",           "locality"};

/// The options each policy reads (besides `policy`).
std::vector<std::string> policy_options(std::string_view policy) {
    if (policy == "power_of_two") return {"choices"};
    if (policy == "weighted_round_robin" || policy == "weighted_random") return {"weights"};
    if (policy == "consistent_hash") return {"vnodes"};
    if (policy == "maglev") return {"table_size"};
    if (policy == "peak_ewma") return {"decay"};
    if (policy == "locality") return {"spill_at"};
    return {};
}

const std::vector<std::string> kAllPolicyOptions = {"choices", "weights", "vnodes", "table_size", "decay", "spill_at"};

/// Mix weights near the largest double add up to infinity: divides them by the largest
/// (their ratios are what count) and returns their new, finite total.
double rescale_overflowing(std::vector<MixEntry>& mix) {
    double largest = 0;
    for (const MixEntry& m : mix) largest = std::max(largest, m.weight);
    double total = 0;
    for (MixEntry& m : mix) {
        m.weight /= largest;
        total += m.weight;
    }
    return total;
}

/// Arrivals faster than this would fall less than a nanosecond apart, on the same tick of
/// the clock (Time counts whole nanoseconds): time would stop while arrivals run.
constexpr double max_arrival_rate = 1e9;

enum class NameKind { server, group, switch_, client };

struct NameEntry {
    NameKind kind;
    int index;  // server, group, switch or client index
    SourcePos pos;
};

/// A table being read: checks its keys up front and remembers how to name it in messages.
struct Fields {
    const toml::table* table = nullptr;
    std::string what;  // "[scenario]", "[[server]] 'web'", ...
    SourcePos where;

    [[nodiscard]] const toml::node* get(std::string_view key) const { return table->get(key); }
};

class Loader {
public:
    Loader(std::string file, std::string base_dir) : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

    Spec load(const toml::table& root);

private:
    std::string file_;
    std::string base_dir_;
    Spec spec_;
    std::map<std::string, NameEntry, std::less<>> nodes_;
    const toml::node* replications_node_ = nullptr;
    double server_bytes_ = 0;  // estimated bytes of the servers loaded so far
    const toml::node* window_node_ = nullptr;  // or the duration's, when the window is implied

    // ---- memory ----

    /// Refuses `what` ("2000000000 servers") at `p` when its estimated `bytes` exceed the
    /// budget: checked before anything that large is allocated (see scenario/footprint.hpp).
    void check_fits(const SourcePos& p, double bytes, const std::string& what) const {
        if (bytes > static_cast<double>(memory_budget())) {
            fail(p, fmt::format("{} would need about {} of memory, more than the {} a run may use", what, bytes_text(bytes),
                                bytes_text(static_cast<double>(memory_budget()))));
        }
    }
    void check_memory() const;

    // ---- positions and errors ----

    [[nodiscard]] SourcePos pos(const toml::source_region& r) const {
        return SourcePos{r.path ? *r.path : file_, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
    }
    [[nodiscard]] SourcePos pos(const toml::node& n) const { return pos(n.source()); }

    /// Implicit tables (made by a dotted header like [service.a.op.b]) have no position of
    /// their own: use their earliest child's.
    [[nodiscard]] SourcePos table_pos(const toml::table& t) const {
        if (t.source().begin.line > 0) return pos(t);
        SourcePos best = pos(t);
        for (auto&& [k, v] : t) {
            SourcePos p = k.source().begin.line > 0 ? pos(k.source()) : pos(v);
            if (p.line > 0 && (best.line == 0 || p.line < best.line ||
                               (p.line == best.line && p.column < best.column))) {
                best = p;
            }
        }
        if (best.line == 0) best = SourcePos{file_, 1, 1};
        return best;
    }

    [[noreturn]] void fail(const toml::node& n, const std::string& message) const { throw ConfigError(pos(n), message); }
    [[noreturn]] static void fail(const SourcePos& p, const std::string& message) { throw ConfigError(p, message); }

    /// Keys of `t` in file order (keys added by overrides last), for deterministic indices.
    [[nodiscard]] std::vector<std::pair<const toml::key*, const toml::node*>> ordered(const toml::table& t) const {
        std::vector<std::pair<const toml::key*, const toml::node*>> out;
        for (auto&& [k, v] : t) out.emplace_back(&k, &v);
        auto rank = [this](const std::pair<const toml::key*, const toml::node*>& e) {
            SourcePos p = e.first->source().begin.line > 0 ? pos(e.first->source()) : SourcePos{};
            if (e.second->is_table() && p.line == 0) p = table_pos(*e.second->as_table());
            const bool from_file = p.file == file_ && p.line > 0;
            return std::make_tuple(from_file ? 0 : 1, p.line, p.column);
        };
        std::stable_sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
        return out;
    }

    /// Opens `n` as a table named `what`, rejecting keys not in `allowed`.
    Fields open(const toml::node& n, std::string what, const std::vector<std::string>& allowed) const {
        const auto* t = n.as_table();
        if (t == nullptr) fail(n, fmt::format("expected a table for {}, got {}", what, type_name(n)));
        for (auto&& [k, v] : *t) {
            if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
                const SourcePos p = k.source().begin.line > 0 ? pos(k.source()) : pos(v);
                fail(p, fmt::format("unknown key '{}' in {}{}", k.str(), what, did_you_mean(k.str(), allowed)));
            }
        }
        return Fields{t, std::move(what), table_pos(*t)};
    }

    const toml::node& need(const Fields& f, std::string_view key) const {
        const auto* n = f.get(key);
        if (n == nullptr) fail(f.where, fmt::format("missing key '{}' in {}", key, f.what));
        return *n;
    }

    // ---- typed values ----

    std::string str(const toml::node& n) const {
        if (const auto* s = n.as_string()) return s->get();
        fail(n, fmt::format("expected a string, got {}", type_name(n)));
    }

    std::int64_t integer(const toml::node& n) const {
        if (const auto* i = n.as_integer()) return i->get();
        fail(n, fmt::format("expected an integer, got {}", type_name(n)));
    }

    std::int64_t integer_at_least(const toml::node& n, std::int64_t min, std::string_view what) const {
        const auto v = integer(n);
        if (v < min) fail(n, fmt::format("{} must be at least {}, got {}", what, min, v));
        return v;
    }

    int small_int(const toml::node& n, std::int64_t min, std::string_view what) const {
        const auto v = integer_at_least(n, min, what);
        if (v > INT_MAX) fail(n, fmt::format("{} is too large: {}", what, v));
        return static_cast<int>(v);
    }

    double number(const toml::node& n) const {
        if (const auto* i = n.as_integer()) return static_cast<double>(i->get());
        if (const auto* f = n.as_floating_point()) {
            if (!std::isfinite(f->get())) fail(n, "expected a finite number");
            return f->get();
        }
        fail(n, fmt::format("expected a number, got {}", type_name(n)));
    }

    bool boolean(const toml::node& n) const {
        if (const auto* b = n.as_boolean()) return b->get();
        fail(n, fmt::format("expected a boolean, got {}", type_name(n)));
    }

    std::string name(const toml::node& n, std::string_view what) const {
        auto s = str(n);
        if (!valid_name(s)) {
            fail(n, fmt::format("invalid {} name '{}' (use letters, digits, '-' and '_', without '--')", what, s));
        }
        return s;
    }

    /// A string with a unit, in SI base units. Units are required: a bare number is an error.
    double quantity(const toml::node& n, Unit u) const {
        if (n.is_integer() || n.is_floating_point()) {
            const std::string shown =
                n.is_integer() ? std::to_string(n.as_integer()->get()) : fmt::format("{:g}", n.as_floating_point()->get());
            fail(n, fmt::format("number without unit {} (expected a {} string such as \"{}\")", shown, unit_noun(u),
                                unit_example(u)));
        }
        if (!n.is_string()) {
            fail(n, fmt::format("expected a {} such as \"{}\", got {}", unit_noun(u), unit_example(u), type_name(n)));
        }
        try {
            return parse_unit(u, n.as_string()->get());
        } catch (const ConfigError&) {
            throw;
        } catch (const Error& e) {
            fail(n, e.what());
        }
    }

    double positive(const toml::node& n, Unit u) const {
        const double v = quantity(n, u);
        if (!(v > 0)) fail(n, fmt::format("expected a positive {}, got '{}'", unit_noun(u), str(n)));
        return v;
    }

    double fraction(const toml::node& n, std::string_view what) const {
        const double v = number(n);
        if (v < 0 || v > 1) fail(n, fmt::format("{} {:g} is outside [0, 1]", what, v));
        return v;
    }

    /// An arrival rate the clock can resolve (see max_arrival_rate).
    void check_rate(const toml::node& n, double rate) const {
        if (rate > max_arrival_rate) {
            fail(n, fmt::format("rate {:g}/s is above 1e9/s: arrivals less than a nanosecond apart would all fall on "
                                "the same tick of the clock, which counts whole nanoseconds, and time would stop",
                                rate));
        }
    }

    std::string resolve_path(const std::string& p) const {
        fs::path path(p);
        if (path.is_relative()) path = fs::path(base_dir_.empty() ? "." : base_dir_) / path;
        return path.lexically_normal().string();
    }

    DistSpec empirical(const toml::node& n, Quantity q) const {
        const Fields f = open(n, "empirical distribution", {"empirical", "unit"});
        const auto& path_node = need(f, "empirical");
        const auto& unit_node = need(f, "unit");
        const std::string rel = str(path_node);
        const std::string unit = str(unit_node);
        double scale = 1;
        try {
            scale = q == Quantity::time ? units::parse_time("1" + unit) : units::parse_size("1" + unit);
        } catch (const Error& e) {
            fail(unit_node, e.what());
        }
        const std::string path = resolve_path(rel);
        if (const auto problem = input_file_problem(path, max_empirical_bytes)) {
            fail(path_node, fmt::format("cannot read empirical data '{}': {}", rel, *problem));
        }
        std::ifstream in(path);
        if (!in) fail(path_node, fmt::format("cannot read empirical data '{}' (looked for '{}')", rel, path));
        std::vector<double> values;
        std::string line;
        int line_no = 0;
        while (std::getline(in, line)) {
            ++line_no;
            const auto comma = line.find(',');
            std::string cell = line.substr(0, comma);
            cell.erase(0, cell.find_first_not_of(" \t\r"));
            cell.erase(cell.find_last_not_of(" \t\r") + 1);
            if (cell.empty() || cell[0] == '#') continue;
            char* end = nullptr;
            errno = 0;
            const double v = std::strtod(cell.c_str(), &end);
            if (end != cell.c_str() + cell.size() || errno != 0) {
                if (values.empty() && line_no == 1) continue;  // a header line
                fail(path_node, fmt::format("'{}' line {}: not a number '{}'", rel, line_no, cell));
            }
            values.push_back(v * scale);
        }
        const std::string text = fmt::format("empirical({}, {})", rel, unit);
        try {
            return DistSpec{text, make_empirical(std::move(values), text), pos(n)};
        } catch (const Error& e) {
            fail(path_node, fmt::format("'{}': {}", rel, e.what()));
        }
    }

    /// "exp(2ms)" or { empirical = "...", unit = "ms" }.
    DistSpec dist(const toml::node& n, Quantity q = Quantity::time) const {
        if (n.is_table()) return empirical(n, q);
        if (n.is_integer() || n.is_floating_point()) {
            fail(n, fmt::format("number without unit {} (expected a distribution string such as \"exp(2ms)\" or "
                                "\"const(1ms)\")",
                                n.is_integer() ? std::to_string(n.as_integer()->get())
                                               : fmt::format("{:g}", n.as_floating_point()->get())));
        }
        const std::string text = str(n);
        try {
            return DistSpec{text, parse_distribution(text, q), pos(n)};
        } catch (const Error& e) {
            fail(n, e.what());
        }
    }

    /// A size ("40KB") or a size distribution ("exp(40KB)", { empirical = ..., unit = "KB" }).
    DistSpec size_dist(const toml::node& n) const {
        if (n.is_string() && n.as_string()->get().find('(') == std::string::npos) {
            const double bytes = quantity(n, Unit::size);
            return DistSpec{n.as_string()->get(), make_constant(bytes), pos(n)};
        }
        return dist(n, Quantity::size);
    }

    // ---- names ----

    void add_node(const toml::node& name_node, const std::string& nm, NameKind kind, int index) {
        if (auto it = nodes_.find(nm); it != nodes_.end()) {
            fail(name_node, fmt::format("duplicate name '{}' (already used at {}:{}:{})", nm, it->second.pos.file,
                                        it->second.pos.line, it->second.pos.column));
        }
        nodes_.emplace(nm, NameEntry{kind, index, pos(name_node)});
    }

    std::vector<std::string> names_of(std::initializer_list<NameKind> kinds) const {
        std::vector<std::string> out;
        for (const auto& [nm, e] : nodes_) {
            if (std::find(kinds.begin(), kinds.end(), e.kind) != kinds.end()) out.push_back(nm);
        }
        return out;
    }

    static const char* describe_kind(NameKind k) {
        switch (k) {
            case NameKind::server: return "a server";
            case NameKind::group: return "a server group";
            case NameKind::switch_: return "a switch";
            case NameKind::client: return "a client";
        }
        return "";
    }

    /// Servers named by a server or group name.
    std::vector<int> servers_named(const toml::node& n) const {
        const std::string nm = str(n);
        const auto it = nodes_.find(nm);
        if (it == nodes_.end()) {
            fail(n, fmt::format("unknown server '{}'{}", nm, did_you_mean(nm, names_of({NameKind::server, NameKind::group}))));
        }
        const NameEntry& e = it->second;
        if (e.kind == NameKind::server) return {e.index};
        if (e.kind == NameKind::group) return spec_.groups[static_cast<std::size_t>(e.index)].members;
        fail(n, fmt::format("'{}' is {}, not a server or group", nm, describe_kind(e.kind)));
    }

    /// A string or an array of strings, each a server or group; repeats are an error.
    std::vector<int> server_list(const toml::node& n, std::string_view what) const {
        std::vector<const toml::node*> items;
        if (const auto* a = n.as_array()) {
            for (const auto& item : *a) items.push_back(&item);
            if (items.empty()) fail(n, fmt::format("{} needs at least one server", what));
        } else if (n.is_string()) {
            items.push_back(&n);
        } else {
            fail(n, fmt::format("expected a server name or an array of them, got {}", type_name(n)));
        }
        std::vector<int> out;
        std::vector<bool> listed(spec_.servers.size());  // a search of `out` per server is quadratic in a big fleet
        for (const auto* item : items) {
            for (const int s : servers_named(*item)) {
                if (listed[static_cast<std::size_t>(s)]) {
                    fail(*item, fmt::format("server '{}' is listed twice in {}", spec_.servers[static_cast<std::size_t>(s)].name, what));
                }
                listed[static_cast<std::size_t>(s)] = true;
                out.push_back(s);
            }
        }
        return out;
    }

    // ---- sections ----

    void load_scenario(const toml::table& root);
    void load_network(const toml::table& root);
    void load_transport(const Fields& f);
    EncodingSpec load_encoding(const toml::node& n, const std::string& what);
    void load_connections(const toml::node& n, ServiceSpec& s);
    void load_servers(const toml::table& root);
    void load_switches_and_clients(const toml::table& root);
    void load_links(const toml::table& root);
    void load_services(const toml::table& root);
    void load_ops(const toml::table& service_table, ServiceSpec& service, const std::string& where);
    BalancerSpec load_balancer(const toml::node& n, const ServiceSpec& service) const;
    /// autoscale, outlier, queue_deadline, concurrency_limit of a service (docs/elasticity.md).
    void load_elastic(const Fields& f, ServiceSpec& service) const;
    CallSpec load_call(const toml::node& n) const;
    void load_op(const toml::node& n, ServiceSpec& service, OpSpec& op);
    void check_cycles() const;
    void load_workloads(const toml::table& root);
    void load_keyed_data(const Fields& f, OpSpec& op);
    void check_keyed_data() const;
    ArrivalSpec load_arrival(const toml::node& n) const;
    void check_closed_loop(const WorkloadSpec& w, const Fields& f) const;
    void load_events(const toml::table& root);
    void load_failures(const toml::table& root);
    // Resilience (docs/resilience.md): hedges, retry throttling, the metastability report.
    [[nodiscard]] HedgeSpec load_hedge(const toml::node& n) const;
    [[nodiscard]] RetryThrottlingSpec load_retry_throttling(const toml::node& n) const;
    /// A number of tokens: in (0, max], with at most 3 decimals (gRPC counts thousandths).
    double tokens(const toml::node& n, std::string_view what, double max) const;
    void load_metastability(const toml::table& root);

    /// The array of tables `key` ([[server]]), or an empty list when absent.
    std::vector<const toml::table*> table_array(const toml::table& root, std::string_view key) const {
        std::vector<const toml::table*> out;
        const auto* n = root.get(key);
        if (n == nullptr) return out;
        const auto* a = n->as_array();
        if (a == nullptr) {
            fail(*n, fmt::format("expected an array of tables ([[{}]]), got {}", key, type_name(*n)));
        }
        for (const auto& item : *a) {
            if (!item.is_table()) {
                fail(item, fmt::format("expected a table in [[{}]], got {}", key, type_name(item)));
            }
            out.push_back(item.as_table());
        }
        return out;
    }

    /// Pre-pass data so that calls may name services and ops defined later in the file.
    std::vector<std::pair<std::string, const toml::table*>> service_tables_;
    std::vector<std::vector<std::pair<std::string, const toml::node*>>> op_nodes_;
};

Spec Loader::load(const toml::table& root) {
    const std::vector<std::string> sections = {"scenario", "network", "server",  "switch", "client",
                                               "link",     "service", "workload", "event",  "failure",
                                               "metastability"};
    (void)open(root, "the scenario file", sections);
    spec_.file = file_;
    spec_.base_dir = base_dir_;
    load_scenario(root);
    load_network(root);
    load_servers(root);
    load_switches_and_clients(root);
    load_links(root);
    load_services(root);
    load_workloads(root);
    load_events(root);
    load_failures(root);
    load_metastability(root);
    check_keyed_data();
    check_memory();
    return std::move(spec_);
}

void Loader::load_scenario(const toml::table& root) {
    const auto* n = root.get("scenario");
    if (n == nullptr) fail(SourcePos{file_, 1, 1}, "missing section [scenario] (it needs at least 'duration')");
    const Fields f = open(*n, "[scenario]",
                          {"name", "duration", "warmup", "seed", "replications", "window", "max_in_flight"});
    RunSpec& run = spec_.run;
    run.pos = f.where;
    if (const auto* v = f.get("name")) {
        run.name = str(*v);
        if (run.name.empty()) fail(*v, "the scenario name is empty");
    } else {
        run.name = fs::path(file_).stem().string();
    }
    run.duration = positive(need(f, "duration"), Unit::time);
    if (const auto* v = f.get("warmup")) {
        if (v->is_string() && v->as_string()->get() == "auto") {
            run.warmup_auto = true;
        } else {
            run.warmup = quantity(*v, Unit::time);
        }
    }
    if (const auto* v = f.get("seed")) run.seed = static_cast<std::uint64_t>(integer_at_least(*v, 0, "seed"));
    if (const auto* v = f.get("replications")) {
        run.replications = small_int(*v, 1, "replications");
        if (run.replications > max_replications_allowed) {
            fail(*v, fmt::format("replications = {} is too many (at most {})", run.replications,
                                 max_replications_allowed));
        }
        replications_node_ = v;
    }
    window_node_ = f.get("window") != nullptr ? f.get("window") : f.get("duration");
    if (const auto* v = f.get("window")) {
        run.window = positive(*v, Unit::time);
    } else {
        run.window = nice_floor(run.duration / 100);
    }
    if (const auto* v = f.get("max_in_flight")) run.max_in_flight = integer_at_least(*v, 1, "max_in_flight");
}

void Loader::load_network(const toml::table& root) {
    const auto* n = root.get("network");
    if (n == nullptr) return;
    const Fields f = open(*n, "[network]",
                          {"propagation_speed", "transport", "mss", "initial_window", "max_window", "tls", "header",
                           "slow_start_growth", "handshake_work"});
    spec_.network.pos = f.where;
    if (const auto* v = f.get("propagation_speed")) spec_.network.propagation_speed = positive(*v, Unit::speed);
    load_transport(f);
}

// [network] transport keys (docs/transport.md).
void Loader::load_transport(const Fields& f) {
    NetworkSpec& net = spec_.network;
    if (const auto* v = f.get("transport")) {
        const std::string t = str(*v);
        if (t != "fluid" && t != "tcp") fail(*v, fmt::format("unknown transport '{}'{}", t, did_you_mean(t, {"fluid", "tcp"})));
        net.tcp = t == "tcp";
    }
    for (const char* key : {"mss", "initial_window", "max_window", "tls", "header", "slow_start_growth", "handshake_work"}) {
        if (const auto* v = f.get(key); v != nullptr && !net.tcp) {
            fail(*v, fmt::format("'{}' applies to the TCP transport only (add transport = \"tcp\" to [network])", key));
        }
    }
    if (const auto* v = f.get("mss")) net.mss = positive(*v, Unit::size);
    if (const auto* v = f.get("initial_window")) net.initial_window = integer_at_least(*v, 1, "initial_window");
    if (const auto* v = f.get("max_window")) net.max_window = positive(*v, Unit::size);
    if (const auto* v = f.get("header")) net.header = quantity(*v, Unit::size);
    if (const auto* v = f.get("tls")) {
        if (v->is_floating_point()) fail(*v, "tls is a string: \"none\", \"1.2\" or \"1.3\" (quoted; on the command line --set 'network.tls=\"1.3\"')");
        const std::string t = str(*v);
        if (t == "none") {
            net.tls_round_trips = 0;
        } else if (t == "1.3") {
            net.tls_round_trips = 1;
        } else if (t == "1.2") {
            net.tls_round_trips = 2;
        } else {
            fail(*v, fmt::format("unknown tls '{}' (expected: none, 1.2, 1.3)", t));
        }
    }
    if (const auto* v = f.get("slow_start_growth")) {
        net.slow_start_growth = number(*v);
        if (!(net.slow_start_growth >= 1) || net.slow_start_growth > 16) {
            fail(*v, fmt::format("slow_start_growth must be in [1, 16], got {:g}", net.slow_start_growth));
        }
    }
    if (const auto* v = f.get("handshake_work")) net.handshake_work = dist(*v);
}

EncodingSpec Loader::load_encoding(const toml::node& n, const std::string& what) {
    const Fields f = open(n, what, {"compression", "encode_per_byte", "decode_per_byte", "overhead"});
    EncodingSpec e;
    e.pos = f.where;
    if (const auto* v = f.get("compression")) {
        e.compression = number(*v);
        if (!(e.compression >= 1)) fail(*v, fmt::format("compression must be at least 1 (message bytes per byte on the wire), got {:g}", e.compression));
    }
    if (const auto* v = f.get("encode_per_byte")) e.encode_per_byte = quantity(*v, Unit::time);
    if (const auto* v = f.get("decode_per_byte")) e.decode_per_byte = quantity(*v, Unit::time);
    if (const auto* v = f.get("overhead")) e.overhead = quantity(*v, Unit::size);
    return e;
}

void Loader::load_connections(const toml::node& n, ServiceSpec& s) {
    const std::string what = fmt::format("connections of service '{}'", s.name);
    if (!spec_.network.tcp) fail(n, fmt::format("{} apply to the TCP transport only (add transport = \"tcp\" to [network])", what));
    const Fields f = open(n, what, {"max", "idle_timeout", "keep_alive"});
    s.connections.pos = f.where;
    if (const auto* v = f.get("max")) s.connections.max = integer_at_least(*v, 0, "connections.max");
    if (const auto* v = f.get("idle_timeout")) s.connections.idle_timeout = positive(*v, Unit::time);
    if (const auto* v = f.get("keep_alive")) s.connections.keep_alive = boolean(*v);
}

void Loader::load_servers(const toml::table& root) {
    const auto tables = table_array(root, "server");
    for (std::size_t gi = 0; gi < tables.size(); ++gi) {
        const toml::table& t = *tables[gi];
        const Fields pre = open(t, fmt::format("[[server]] at index {}", gi),
                                {"name", "count", "cores", "speed", "discipline", "queue", "threads", "site"});
        const toml::node& name_node = need(pre, "name");
        const std::string nm = name(name_node, "server");
        const Fields f{pre.table, fmt::format("[[server]] '{}'", nm), pre.where};

        ServerSpec proto;
        proto.pos = f.where;
        proto.group = static_cast<int>(gi);
        int count = 1;
        if (const auto* v = f.get("count")) {
            if (v->is_integer() && v->as_integer()->get() <= 0) {
                fail(*v, fmt::format("empty group: server '{}' has count = {} (expected at least 1)", nm,
                                     v->as_integer()->get()));
            }
            count = small_int(*v, 1, "count");
        }
        if (const auto* v = f.get("cores")) proto.cores = small_int(*v, 1, "cores");
        if (const auto* v = f.get("speed")) {
            proto.speed = number(*v);
            if (!(proto.speed > 0)) fail(*v, fmt::format("speed must be positive, got {:g}", proto.speed));
        }
        if (const auto* v = f.get("discipline")) {
            const std::string d = str(*v);
            if (d == "fcfs") {
                proto.discipline = Discipline::fcfs;
            } else if (d == "ps") {
                proto.discipline = Discipline::ps;
            } else if (d == "priority") {
                proto.discipline = Discipline::priority;
            } else {
                fail(*v, fmt::format("unknown discipline '{}'{}", d, did_you_mean(d, {"fcfs", "ps", "priority"})));
            }
        }
        if (const auto* v = f.get("queue")) proto.queue = integer_at_least(*v, 0, "queue");
        if (const auto* v = f.get("threads")) proto.threads = integer_at_least(*v, 1, "threads");
        if (const auto* v = f.get("site")) proto.site = str(*v);
        {
            // Checked with the groups before, so that many groups cannot add up unchecked.
            const double cores = proto.discipline == Discipline::ps ? 0.0 : proto.cores;
            const double servers = static_cast<double>(spec_.servers.size()) + count;
            const toml::node* cores_node = f.get("cores");
            const bool cores_dominate = cores_node != nullptr && cores * footprint::per_core > footprint::per_server;
            const toml::node* blame = cores_dominate ? cores_node : f.get("count");
            server_bytes_ += count * (footprint::per_server + cores * footprint::per_core);
            check_fits(blame != nullptr ? pos(*blame) : f.where, server_bytes_,
                       cores_dominate ? (count == 1 ? fmt::format("a server with {} cores", proto.cores)
                                                    : fmt::format("{} servers x {} cores", count, proto.cores))
                                      : fmt::format("{} servers", static_cast<std::uint64_t>(servers)));
        }

        ServerGroupSpec group;
        group.name = nm;
        group.pos = f.where;
        if (count == 1) {
            add_node(name_node, nm, NameKind::server, static_cast<int>(spec_.servers.size()));
        } else {
            add_node(name_node, nm, NameKind::group, static_cast<int>(gi));
        }
        for (int i = 1; i <= count; ++i) {
            ServerSpec s = proto;
            s.name = count == 1 ? nm : fmt::format("{}-{}", nm, i);
            const int index = static_cast<int>(spec_.servers.size());
            if (count > 1) add_node(name_node, s.name, NameKind::server, index);
            group.members.push_back(index);
            spec_.servers.push_back(std::move(s));
        }
        spec_.groups.push_back(std::move(group));
    }
}

void Loader::load_switches_and_clients(const toml::table& root) {
    const auto switches = table_array(root, "switch");
    for (std::size_t i = 0; i < switches.size(); ++i) {
        const Fields f = open(*switches[i], fmt::format("[[switch]] at index {}", i), {"name", "site"});
        const auto& name_node = need(f, "name");
        SwitchSpec s{name(name_node, "switch"), std::nullopt, f.where};
        if (const auto* v = f.get("site")) s.site = str(*v);
        add_node(name_node, s.name, NameKind::switch_, static_cast<int>(spec_.switches.size()));
        spec_.switches.push_back(std::move(s));
    }
    const auto clients = table_array(root, "client");
    for (std::size_t i = 0; i < clients.size(); ++i) {
        const Fields f = open(*clients[i], fmt::format("[[client]] at index {}", i), {"name", "site"});
        const auto& name_node = need(f, "name");
        ClientSpec c{name(name_node, "client"), std::nullopt, f.where};
        if (const auto* v = f.get("site")) c.site = str(*v);
        add_node(name_node, c.name, NameKind::client, static_cast<int>(spec_.clients.size()));
        spec_.clients.push_back(std::move(c));
    }
}

void Loader::load_links(const toml::table& root) {
    const auto tables = table_array(root, "link");
    spec_.link_entries = static_cast<int>(tables.size());
    for (std::size_t li = 0; li < tables.size(); ++li) {
        const Fields f = open(*tables[li], fmt::format("[[link]] at index {}", li), {"between", "bandwidth", "distance", "latency", "jitter", "loss"});
        const auto& between = need(f, "between");
        const auto* ends = between.as_array();
        if (ends == nullptr || ends->size() != 2) {
            fail(between, ends == nullptr ? fmt::format("expected an array of two node names, got {}", type_name(between))
                                          : fmt::format("expected two node names, got {}", ends->size()));
        }
        std::vector<NodeRef> side[2];
        for (std::size_t e = 0; e < 2; ++e) {
            const toml::node& end = *ends->get(e);
            const std::string nm = str(end);
            const auto it = nodes_.find(nm);
            if (it == nodes_.end()) {
                fail(end, fmt::format("unknown node '{}'{}", nm,
                                      did_you_mean(nm, names_of({NameKind::server, NameKind::group, NameKind::switch_,
                                                                 NameKind::client}))));
            }
            const NameEntry& ne = it->second;
            switch (ne.kind) {
                case NameKind::server: side[e].push_back({NodeKind::server, ne.index}); break;
                case NameKind::switch_: side[e].push_back({NodeKind::switch_, ne.index}); break;
                case NameKind::client: side[e].push_back({NodeKind::client, ne.index}); break;
                case NameKind::group:
                    for (const int m : spec_.groups[static_cast<std::size_t>(ne.index)].members) {
                        side[e].push_back({NodeKind::server, m});
                    }
                    break;
            }
        }
        LinkSpec proto;
        proto.entry = static_cast<int>(li);
        proto.pos = f.where;
        const auto& bw = need(f, "bandwidth");
        if (const auto* pair = bw.as_array()) {
            if (pair->size() != 2) fail(bw, fmt::format("expected one bandwidth or two (a->b, b->a), got {}", pair->size()));
            proto.bandwidth_ab = positive(*pair->get(0), Unit::bandwidth);
            proto.bandwidth_ba = positive(*pair->get(1), Unit::bandwidth);
        } else {
            proto.bandwidth_ab = proto.bandwidth_ba = positive(bw, Unit::bandwidth);
        }
        if (const auto* v = f.get("distance")) proto.distance = quantity(*v, Unit::distance);
        if (const auto* v = f.get("latency")) proto.latency = quantity(*v, Unit::time);
        if (const auto* v = f.get("jitter")) {
            if (const auto* pair = v->as_array()) {
                if (pair->size() != 2) fail(*v, fmt::format("expected one jitter distribution or two (a->b, b->a), got {}", pair->size()));
                proto.jitter_ab = dist(*pair->get(0));
                proto.jitter_ba = dist(*pair->get(1));
            } else {
                proto.jitter_ab = proto.jitter_ba = dist(*v);
            }
        }
        if (const auto* v = f.get("loss")) {
            if (!spec_.network.tcp) fail(*v, "'loss' applies to the TCP transport only (add transport = \"tcp\" to [network])");
            proto.loss = number(*v);
            if (!(proto.loss >= 0 && proto.loss < 1)) fail(*v, fmt::format("loss must be in [0, 1), got {:g}", proto.loss));
        }
        for (const NodeRef a : side[0]) {
            for (const NodeRef b : side[1]) {
                if (a == b) fail(between, fmt::format("a link needs two different ends, got '{}' twice", spec_.node_name(a)));
                LinkSpec l = proto;
                l.a = a;
                l.b = b;
                spec_.links.push_back(l);
            }
        }
    }
}

void Loader::load_elastic(const Fields& f, ServiceSpec& s) const {
    const auto time_at_least_zero = [this](const toml::node& n) {
        const double v = quantity(n, Unit::time);
        if (v < 0) fail(n, fmt::format("expected a time of at least 0, got '{}'", str(n)));
        return v;
    };
    if (const auto* v = f.get("autoscale")) {
        const Fields a = open(*v, "autoscale", {"metric", "target", "min", "max", "interval", "tolerance", "boot",
                                                "stabilization", "up_servers", "up_percent", "down_percent",
                                                "rate_period"});
        AutoscaleSpec as;
        as.pos = pos(*v);
        static const std::vector<std::string> metrics = {"utilization", "queue", "in_flight", "latency_p99"};
        if (const auto* m = a.get("metric")) {
            as.metric = str(*m);
            if (std::find(metrics.begin(), metrics.end(), as.metric) == metrics.end()) {
                fail(*m, fmt::format("unknown autoscale metric '{}' (expected: {})", as.metric, join(metrics)));
            }
        }
        const auto& target = need(a, "target");
        if (as.metric == "latency_p99") {
            as.target = positive(target, Unit::time);
        } else {
            as.target = number(target);
            if (!(as.target > 0)) fail(target, fmt::format("autoscale target must be positive, got {:g}", as.target));
            if (as.metric == "utilization" && as.target > 1) {
                fail(target, fmt::format("utilization target {:g} is outside (0, 1]", as.target));
            }
        }
        const auto listed = static_cast<int>(s.servers.size());
        if (const auto* m = a.get("min")) {
            as.min = small_int(*m, 1, "autoscale min");
            if (as.min > listed) {
                fail(*m, fmt::format("autoscale min {} is above the {} servers the service starts with", as.min, listed));
            }
        }
        const auto& max = need(a, "max");
        as.max = small_int(max, 1, "autoscale max");
        if (as.max < listed) {
            fail(max, fmt::format("autoscale max {} is below the {} servers the service starts with", as.max, listed));
        }
        if (as.max > 100000) fail(max, fmt::format("autoscale max {} is above 100000 servers", as.max));
        if (const auto* m = a.get("interval")) as.interval = positive(*m, Unit::time);
        if (const auto* m = a.get("tolerance")) {
            as.tolerance = number(*m);
            if (as.tolerance < 0) fail(*m, fmt::format("tolerance must not be negative, got {:g}", as.tolerance));
        }
        if (const auto* m = a.get("boot")) as.boot = time_at_least_zero(*m);
        if (const auto* m = a.get("stabilization")) as.stabilization = time_at_least_zero(*m);
        if (const auto* m = a.get("up_servers")) as.up_servers = small_int(*m, 0, "up_servers");
        if (const auto* m = a.get("up_percent")) {
            as.up_percent = number(*m);
            if (as.up_percent < 0) fail(*m, fmt::format("up_percent must not be negative, got {:g}", as.up_percent));
        }
        if (const auto* m = a.get("down_percent")) {
            as.down_percent = number(*m);
            if (as.down_percent < 0 || as.down_percent > 100) {
                fail(*m, fmt::format("down_percent {:g} is outside [0, 100]", as.down_percent));
            }
        }
        if (const auto* m = a.get("rate_period")) as.rate_period = positive(*m, Unit::time);
        s.elastic.autoscale = as;
    }
    if (const auto* v = f.get("outlier")) {
        const Fields o = open(*v, "outlier", {"consecutive_errors", "ejection", "max_ejection", "max_ejection_time",
                                              "interval", "success_rate", "min_requests"});
        OutlierSpec os;
        os.pos = pos(*v);
        if (const auto* m = o.get("consecutive_errors")) os.consecutive_errors = small_int(*m, 0, "consecutive_errors");
        if (const auto* m = o.get("ejection")) os.ejection = positive(*m, Unit::time);
        if (const auto* m = o.get("max_ejection")) os.max_ejection = fraction(*m, "max_ejection");
        if (const auto* m = o.get("max_ejection_time")) os.max_ejection_time = time_at_least_zero(*m);
        if (const auto* m = o.get("interval")) os.interval = positive(*m, Unit::time);
        if (const auto* m = o.get("success_rate")) os.success_rate = fraction(*m, "success_rate");
        if (const auto* m = o.get("min_requests")) os.min_requests = small_int(*m, 1, "min_requests");
        if (os.consecutive_errors == 0 && !os.success_rate) {
            fail(*v, "outlier detection with consecutive_errors = 0 needs a success_rate (or it never ejects)");
        }
        s.elastic.outlier = os;
    }
    if (const auto* v = f.get("queue_deadline")) s.elastic.queue_deadline = positive(*v, Unit::time);
    if (const auto* v = f.get("concurrency_limit")) s.elastic.concurrency_limit = small_int(*v, 1, "concurrency_limit");
}

BalancerSpec Loader::load_balancer(const toml::node& n, const ServiceSpec& service) const {
    BalancerSpec b;
    b.pos = pos(n);
    const toml::node* policy_node = &n;
    const toml::table* options = nullptr;
    if (const auto* t = n.as_table()) {
        options = t;
        policy_node = t->get("policy");
        if (policy_node == nullptr) fail(table_pos(*t), "missing key 'policy' in balancer");
    } else if (!n.is_string()) {
        fail(n, fmt::format("expected a policy name or an inline table, got {}", type_name(n)));
    }
    b.policy = str(*policy_node);
    if (std::find(kPolicies.begin(), kPolicies.end(), b.policy) == kPolicies.end()) {
        const auto hint = closest(b.policy, kPolicies);
        fail(*policy_node, fmt::format("unknown policy '{}'{}", b.policy,
                                       hint ? " (did you mean '" + *hint + "'?)" : " (expected: " + join(kPolicies) + ")"));
    }
    if (options == nullptr) {
        if (b.policy == "weighted_round_robin" || b.policy == "weighted_random") b.weights.assign(service.servers.size(), 1.0);
        return b;
    }
    std::vector<std::string> allowed = policy_options(b.policy);
    for (auto&& [k, v] : *options) {
        if (k.str() == "policy" || std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
        const SourcePos p = k.source().begin.line > 0 ? pos(k.source()) : pos(v);
        if (std::find(kAllPolicyOptions.begin(), kAllPolicyOptions.end(), k.str()) != kAllPolicyOptions.end()) {
            fail(p, fmt::format("option '{}' does not apply to policy '{}'", k.str(), b.policy));
        }
        allowed.push_back("policy");
        fail(p, fmt::format("unknown key '{}' in balancer{}", k.str(), did_you_mean(k.str(), allowed)));
    }
    if (const auto* v = options->get("choices")) b.choices = small_int(*v, 1, "choices");
    if (const auto* v = options->get("vnodes")) b.vnodes = small_int(*v, 1, "vnodes");
    if (const auto* v = options->get("table_size")) {
        b.table_size = small_int(*v, 1, "table_size");
        if (!is_prime(b.table_size)) fail(*v, fmt::format("maglev table_size must be a prime, got {}", b.table_size));
    }
    if (const auto* v = options->get("decay")) b.decay = positive(*v, Unit::time);
    if (const auto* v = options->get("spill_at")) b.spill_at = fraction(*v, "spill_at");
    if (b.policy == "weighted_round_robin" || b.policy == "weighted_random") {
        b.weights.assign(service.servers.size(), 1.0);
        if (const auto* v = options->get("weights")) {
            const auto* wt = v->as_table();
            if (wt == nullptr) fail(*v, fmt::format("expected a table of server = weight, got {}", type_name(*v)));
            for (auto&& [k, w] : *wt) {
                const double weight = number(w);
                if (weight < 0) fail(w, fmt::format("weight must not be negative, got {:g}", weight));
                const auto it = nodes_.find(k.str());
                std::vector<int> named;
                if (it != nodes_.end() && it->second.kind == NameKind::server) named = {it->second.index};
                if (it != nodes_.end() && it->second.kind == NameKind::group) {
                    named = spec_.groups[static_cast<std::size_t>(it->second.index)].members;
                }
                std::vector<std::string> own;
                for (const int s : service.servers) own.push_back(spec_.servers[static_cast<std::size_t>(s)].name);
                const SourcePos kp = k.source().begin.line > 0 ? pos(k.source()) : pos(w);
                if (named.empty()) fail(kp, fmt::format("unknown server '{}' in weights{}", k.str(), did_you_mean(k.str(), own)));
                for (const int s : named) {
                    const auto at = std::find(service.servers.begin(), service.servers.end(), s);
                    if (at == service.servers.end()) {
                        fail(kp, fmt::format("server '{}' is not one of service '{}''s servers{}", k.str(), service.name,
                                             did_you_mean(k.str(), own)));
                    }
                    b.weights[static_cast<std::size_t>(at - service.servers.begin())] = weight;
                }
            }
            double total = 0;
            for (const double w : b.weights) total += w;
            if (!(total > 0)) fail(*v, "weights must not all be zero");
            // Weights near the largest double add up to infinity, and a balancer then sees
            // every share as 0 or NaN: scale them down first (their ratios are what count).
            if (!std::isfinite(total)) {
                const double largest = *std::max_element(b.weights.begin(), b.weights.end());
                for (double& w : b.weights) w /= largest;
            }
        }
    }
    return b;
}

CallSpec Loader::load_call(const toml::node& n) const {
    CallSpec c;
    c.pos = pos(n);
    const toml::node* target = &n;
    if (n.is_table()) {
        const Fields f =
            open(n, "call", {"op", "probability", "timeout", "retries", "backoff", "jitter", "required", "hedge"});
        target = &need(f, "op");
        if (const auto* v = f.get("probability")) c.probability = fraction(*v, "probability");
        if (const auto* v = f.get("timeout")) c.timeout = positive(*v, Unit::time);
        if (const auto* v = f.get("retries")) c.retries = small_int(*v, 0, "retries");
        if (const auto* v = f.get("backoff")) c.backoff = dist(*v);
        if (const auto* v = f.get("jitter")) c.jitter = fraction(*v, "jitter");
        if (const auto* v = f.get("required")) c.required = boolean(*v);
        if (const auto* v = f.get("hedge")) {
            c.hedge = load_hedge(*v);
            if (c.retries > 0) fail(*v, "a call hedges or retries, not both (as in gRPC): remove 'hedge' or 'retries'");
        }
    } else if (!n.is_string()) {
        fail(n, fmt::format("expected a call \"service.op\" or an inline table, got {}", type_name(n)));
    }
    c.target_pos = pos(*target);
    const std::string text = str(*target);
    const auto dot = text.find('.');
    const std::string svc = text.substr(0, dot);
    std::vector<std::string> services;
    for (const auto& [nm, t] : service_tables_) services.push_back(nm);
    const auto it = std::find(services.begin(), services.end(), svc);
    if (it == services.end()) fail(*target, fmt::format("unknown service '{}'{}", svc, did_you_mean(svc, services)));
    c.service = static_cast<int>(it - services.begin());
    std::vector<std::string> ops;
    for (const auto& [nm, node] : op_nodes_[static_cast<std::size_t>(c.service)]) ops.push_back(nm);
    if (dot == std::string::npos) {
        if (ops.size() != 1) {
            fail(*target, fmt::format("service '{}' offers several ops ({}): name one, e.g. '{}.{}'", svc, join(ops), svc,
                                      ops.front()));
        }
        c.op = 0;
    } else {
        const std::string op = text.substr(dot + 1);
        const auto oit = std::find(ops.begin(), ops.end(), op);
        if (oit == ops.end()) fail(*target, fmt::format("service '{}' has no op '{}'{}", svc, op, did_you_mean(op, ops)));
        c.op = static_cast<int>(oit - ops.begin());
    }
    c.target = svc + "." + ops[static_cast<std::size_t>(c.op)];
    return c;
}

void Loader::load_op(const toml::node& n, ServiceSpec& service, OpSpec& op) {
    const std::string what = fmt::format("[service.{}.op.{}]", service.name, op.name);
    const Fields f = open(n, what, {"work", "work_after", "request", "response", "calls", "async", "replicate", "priority",
                                    "reads", "read_quorum", "cache",
                                    "request_encoding", "response_encoding"});
    op.pos = f.where;
    if (const auto* v = f.get("request_encoding")) op.request_encoding = load_encoding(*v, what + " request_encoding");
    if (const auto* v = f.get("response_encoding")) op.response_encoding = load_encoding(*v, what + " response_encoding");
    op.work = dist(need(f, "work"));
    if (const auto* v = f.get("work_after")) op.work_after = dist(*v);
    op.request = f.get("request") ? size_dist(*f.get("request")) : DistSpec{"1KB", make_constant(1000), f.where};
    op.response = f.get("response") ? size_dist(*f.get("response")) : DistSpec{"1KB", make_constant(1000), f.where};
    if (const auto* v = f.get("calls")) {
        const auto* steps = v->as_array();
        if (steps == nullptr) fail(*v, fmt::format("expected an array of calls, got {}", type_name(*v)));
        for (const auto& step : *steps) {
            CallStep s;
            s.pos = pos(step);
            if (const auto* group = step.as_array()) {
                if (group->empty()) fail(step, "empty parallel group");
                for (const auto& call : *group) {
                    if (call.is_array()) fail(call, "parallel groups cannot nest: list the calls of a group side by side");
                    s.calls.push_back(load_call(call));
                }
            } else {
                s.calls.push_back(load_call(step));
            }
            op.calls.push_back(std::move(s));
        }
    }
    if (const auto* v = f.get("async")) {
        const auto* calls = v->as_array();
        if (calls == nullptr) fail(*v, fmt::format("expected an array of calls, got {}", type_name(*v)));
        for (const auto& call : *calls) {
            if (call.is_array()) fail(call, "async calls are not grouped: list them side by side");
            op.async_calls.push_back(load_call(call));
        }
    }
    if (const auto* v = f.get("replicate")) {
        const Fields r = open(*v, "replicate", {"to", "mode", "acks", "work", "size"});
        ReplicateSpec rep;
        rep.pos = r.where;
        rep.to = server_list(need(r, "to"), "replicate.to");
        if (const auto* m = r.get("mode")) {
            const std::string mode = str(*m);
            if (mode == "sync") {
                rep.mode = ReplicationMode::sync;
            } else if (mode == "quorum") {
                rep.mode = ReplicationMode::quorum;
            } else if (mode == "async") {
                rep.mode = ReplicationMode::async;
            } else {
                fail(*m, fmt::format("unknown replication mode '{}'{}", mode, did_you_mean(mode, {"sync", "quorum", "async"})));
            }
        }
        const int n_to = static_cast<int>(rep.to.size());
        if (const auto* a = r.get("acks")) {
            if (rep.mode != ReplicationMode::quorum) {
                fail(*a, fmt::format("acks applies only to mode 'quorum' (mode is '{}')", to_string(rep.mode)));
            }
            rep.acks = small_int(*a, 1, "acks");
            if (rep.acks > n_to) fail(*a, fmt::format("acks = {} but there are only {} replicas", rep.acks, n_to));
        } else {
            rep.acks = rep.mode == ReplicationMode::sync ? n_to : rep.mode == ReplicationMode::quorum ? n_to / 2 + 1 : 0;
        }
        if (const auto* w = r.get("work")) rep.work = dist(*w);
        rep.size = r.get("size") ? positive(*r.get("size"), Unit::size) : op.request.dist->mean();
        op.replicate = std::move(rep);
    }
    if (const auto* v = f.get("priority")) {
        const auto p = integer(*v);
        if (p < INT_MIN || p > INT_MAX) fail(*v, "priority is out of range");
        op.priority = static_cast<int>(p);
    }    load_keyed_data(f, op);
}

void Loader::load_keyed_data(const Fields& f, OpSpec& op) {
    if (const auto* v = f.get("reads")) {
        if (!v->is_string()) fail(*v, fmt::format("expected an op \"service.op\" for reads, got {}", type_name(*v)));
        const CallSpec target = load_call(*v);
        op.reads = ReadsSpec{target.service, target.op, target.target, pos(*v)};
    }
    if (const auto* v = f.get("read_quorum")) {
        const Fields q = open(*v, "read_quorum", {"from", "r", "repair"});
        if (!op.reads) fail(q.where, "read_quorum needs reads = \"service.op\" on the same op (the data it reads)");
        ReadQuorumSpec rq;
        rq.pos = q.where;
        rq.from = server_list(need(q, "from"), "read_quorum.from");
        if (rq.from.size() > 32) fail(need(q, "from"), fmt::format("read_quorum asks at most 32 servers, got {}", rq.from.size()));
        if (const auto* r = q.get("r")) {
            rq.r = small_int(*r, 1, "r");
            if (rq.r > static_cast<int>(rq.from.size())) {
                fail(*r, fmt::format("r = {} but read_quorum.from has only {} servers", rq.r, rq.from.size()));
            }
        }
        if (const auto* r = q.get("repair")) rq.repair = boolean(*r);
        op.read_quorum = std::move(rq);
    }
    if (const auto* v = f.get("cache")) {
        const Fields c = open(*v, "cache", {"capacity", "policy", "ttl", "miss", "writes", "on_write"});
        if (f.get("calls")) fail(*f.get("calls"), "an op with a cache makes no calls of its own: its one call is cache.miss");
        if (op.reads) fail(op.reads->pos, "an op with a cache takes what it reads from cache.writes, not reads");
        CacheSpec cache;
        cache.pos = c.where;
        if (const auto* n = c.get("capacity")) {
            // A number counts keys; a size ("64MB") counts the bytes of the entries.
            if (n->is_string()) {
                cache.capacity_bytes = quantity(*n, Unit::size);
                if (!(*cache.capacity_bytes > 0)) fail(*n, "cache.capacity in bytes must be > 0");
            } else {
                cache.capacity = integer_at_least(*n, 1, "cache.capacity");
            }
        }
        if (const auto* n = c.get("policy")) {
            cache.policy = str(*n);
            const std::vector<std::string> policies{"lru", "lfu", "fifo", "random"};
            if (std::find(policies.begin(), policies.end(), cache.policy) == policies.end()) {
                fail(*n, fmt::format("unknown cache policy '{}'{}", cache.policy, did_you_mean(cache.policy, policies)));
            }
        }
        if (const auto* n = c.get("ttl")) cache.ttl = positive(*n, Unit::time);
        const toml::node& miss = need(c, "miss");
        if (!miss.is_string()) fail(miss, fmt::format("expected an op \"service.op\" for cache.miss, got {}", type_name(miss)));
        cache.miss = load_call(miss);
        if (const auto* n = c.get("writes")) {
            if (!n->is_string()) fail(*n, fmt::format("expected an op \"service.op\" for cache.writes, got {}", type_name(*n)));
            const CallSpec w = load_call(*n);
            cache.writes = ReadsSpec{w.service, w.op, w.target, pos(*n)};
        }
        if (const auto* n = c.get("on_write")) {
            if (!cache.writes) fail(*n, "cache.on_write needs cache.writes (the op whose writes reach the cache)");
            cache.on_write = str(*n);
            const std::vector<std::string> actions{"invalidate", "update", "none"};
            if (std::find(actions.begin(), actions.end(), cache.on_write) == actions.end()) {
                fail(*n, fmt::format("unknown cache.on_write '{}'{}", cache.on_write, did_you_mean(cache.on_write, actions)));
            }
        }
        if (!cache.capacity && !cache.capacity_bytes && !cache.ttl) {
            fail(c.where, "a cache needs a capacity, a ttl or both (else it would grow to every key)");
        }
        CallStep step;
        step.pos = cache.miss.pos;
        step.calls.push_back(cache.miss);
        op.calls.push_back(std::move(step));
        if (cache.writes) op.reads = *cache.writes;  // a cache is a reader of the data it caches
        op.cache = std::move(cache);
    }
}

void Loader::check_keyed_data() const {
    bool any = false;
    for (const ServiceSpec& s : spec_.services) {
        for (const OpSpec& o : s.ops) {
            if (o.cache) {
                any = true;
                const CallSpec& miss = o.cache->miss;
                const OpSpec& backing = spec_.services[static_cast<std::size_t>(miss.service)].ops[static_cast<std::size_t>(miss.op)];
                if (o.cache->writes && (!backing.reads || backing.reads->service != o.cache->writes->service ||
                                        backing.reads->op != o.cache->writes->op)) {
                    fail(miss.target_pos, fmt::format("cache.miss '{}' must read what the cache caches (reads = \"{}\" on "
                                                      "it), so that the cache stores versions",
                                                      miss.target, o.cache->writes->target));
                }
                continue;
            }
            if (!o.reads) continue;
            any = true;
            const ServiceSpec& writer = spec_.services[static_cast<std::size_t>(o.reads->service)];
            const OpSpec& write = writer.ops[static_cast<std::size_t>(o.reads->op)];
            std::vector<int> copies = writer.servers;
            if (write.replicate) copies.insert(copies.end(), write.replicate->to.begin(), write.replicate->to.end());
            const auto holds = [&](int server) { return std::find(copies.begin(), copies.end(), server) != copies.end(); };
            const std::vector<int>& readers = o.read_quorum ? o.read_quorum->from : s.servers;
            for (const int server : readers) {
                if (holds(server)) continue;
                fail(o.read_quorum ? o.read_quorum->pos : o.reads->pos,
                     fmt::format("op '{}.{}' reads '{}' from server '{}', which holds no copy of it (copies: the servers "
                                 "of service '{}' and the replicas of its writes)",
                                 s.name, o.name, o.reads->target, spec_.servers[static_cast<std::size_t>(server)].name,
                                 writer.name));
            }
        }
    }
    if (!any) return;
    std::int64_t keys = 0;
    const WorkloadSpec* widest = nullptr;
    for (const WorkloadSpec& w : spec_.workloads) {
        if (!w.keys) {
            fail(w.pos, fmt::format("workload '{}' has no keys, but ops read keyed data (reads): give it keys = "
                                    "{{ count = N, skew = S }}",
                                    w.name));
        }
        if (w.keys->count > keys) {
            keys = w.keys->count;
            widest = &w;
        }
    }
    // Version state: per data set, keys x (4 bytes per copy + the commit history).
    double bytes = 0;
    std::vector<std::pair<int, int>> sets;
    for (const ServiceSpec& s : spec_.services) {
        for (const OpSpec& o : s.ops) {
            if (!o.reads) continue;
            const std::pair<int, int> set{o.reads->service, o.reads->op};
            if (std::find(sets.begin(), sets.end(), set) != sets.end()) continue;
            sets.push_back(set);
            const ServiceSpec& writer = spec_.services[static_cast<std::size_t>(set.first)];
            const OpSpec& write = writer.ops[static_cast<std::size_t>(set.second)];
            const double copies = static_cast<double>(writer.servers.size() + (write.replicate ? write.replicate->to.size() : 0));
            bytes += static_cast<double>(keys) * (4.0 * copies + 8.0 * models::KeyedData::history + 8.0);
        }
    }
    if (widest != nullptr) {
        check_fits(widest->pos, bytes,
                   fmt::format("keyed data of {} keys x {} data set(s) and their copies", keys, sets.size()));
        if (bytes > models::KeyedData::max_bytes) {
            fail(widest->pos, fmt::format("keyed data of {} keys and their copies would need {}, more than the {} of "
                                          "version state a run may hold (use fewer keys)",
                                          keys, bytes_text(bytes), bytes_text(models::KeyedData::max_bytes)));
        }
    }
}

void Loader::load_services(const toml::table& root) {
    const auto* n = root.get("service");
    if (n == nullptr) return;
    const auto* services = n->as_table();
    if (services == nullptr) fail(*n, fmt::format("expected [service.NAME] tables, got {}", type_name(*n)));

    // Pass 1: names of services and their ops, so calls can point forward.
    for (const auto& [key, node] : ordered(*services)) {
        const std::string nm(key->str());
        const SourcePos kp = key->source().begin.line > 0 ? pos(key->source()) : pos(*node);
        if (!valid_name(nm)) fail(kp, fmt::format("invalid service name '{}' (use letters, digits, '-' and '_')", nm));
        const auto* t = node->as_table();
        if (t == nullptr) fail(*node, fmt::format("expected a table for [service.{}], got {}", nm, type_name(*node)));
        service_tables_.emplace_back(nm, t);
        std::vector<std::pair<std::string, const toml::node*>> ops;
        if (const auto* o = t->get("op")) {
            const auto* ot = o->as_table();
            if (ot == nullptr) fail(*o, fmt::format("expected [service.{}.op.NAME] tables, got {}", nm, type_name(*o)));
            for (const auto& [okey, onode] : ordered(*ot)) {
                const std::string opname(okey->str());
                if (!valid_name(opname)) {
                    fail(okey->source().begin.line > 0 ? pos(okey->source()) : pos(*onode),
                         fmt::format("invalid op name '{}' (use letters, digits, '-' and '_')", opname));
                }
                ops.emplace_back(opname, onode);
            }
        }
        op_nodes_.push_back(std::move(ops));
    }

    // Pass 2: everything else.
    for (std::size_t si = 0; si < service_tables_.size(); ++si) {
        const auto& [nm, t] = service_tables_[si];
        const std::string what = fmt::format("[service.{}]", nm);
        const Fields f = open(*t, what, {"servers", "balancer", "health_check", "retry_budget", "retry_throttling", "op", "connections",
                                         "autoscale", "outlier", "queue_deadline", "concurrency_limit"});
        ServiceSpec s;
        s.name = nm;
        s.pos = f.where;
        const auto& servers = need(f, "servers");
        s.servers_pos = pos(servers);
        s.servers = server_list(servers, fmt::format("service '{}'", nm));
        if (const auto* v = f.get("balancer")) s.balancer = load_balancer(*v, s);
        else s.balancer.pos = f.where;
        if (const auto* v = f.get("health_check")) s.health_check = positive(*v, Unit::time);
        if (const auto* v = f.get("retry_budget")) {
            s.retry_budget = number(*v);
            if (*s.retry_budget < 0) fail(*v, fmt::format("retry_budget must not be negative, got {:g}", *s.retry_budget));
        }
        if (const auto* v = f.get("retry_throttling")) s.retry_throttling = load_retry_throttling(*v);
        if (const auto* v = f.get("connections")) load_connections(*v, s);
        load_elastic(f, s);
        if (op_nodes_[si].empty()) {
            fail(f.where, fmt::format("service '{}' offers no op (add a [service.{}.op.NAME] table)", nm, nm));
        }
        spec_.services.push_back(std::move(s));
    }
    for (std::size_t si = 0; si < service_tables_.size(); ++si) {
        ServiceSpec& s = spec_.services[si];
        for (const auto& [opname, node] : op_nodes_[si]) {
            OpSpec op;
            op.name = opname;
            load_op(*node, s, op);
            s.ops.push_back(std::move(op));
        }
    }
    check_cycles();
}

void Loader::check_cycles() const {
    // Nodes are (service, op); edges are calls, sequential, parallel and async alike.
    std::vector<int> first(spec_.services.size() + 1, 0);
    for (std::size_t i = 0; i < spec_.services.size(); ++i) {
        first[i + 1] = first[i] + static_cast<int>(spec_.services[i].ops.size());
    }
    const int total = first.back();
    struct Edge {
        int to;
        const CallSpec* call;
    };
    std::vector<std::vector<Edge>> edges(static_cast<std::size_t>(total));
    std::vector<std::string> label(static_cast<std::size_t>(total));
    for (std::size_t si = 0; si < spec_.services.size(); ++si) {
        const auto& s = spec_.services[si];
        for (std::size_t oi = 0; oi < s.ops.size(); ++oi) {
            const auto from = static_cast<std::size_t>(first[si]) + oi;
            label[from] = s.name + "." + s.ops[oi].name;
            auto add = [&](const CallSpec& c) {
                edges[from].push_back({first[static_cast<std::size_t>(c.service)] + c.op, &c});
            };
            for (const auto& step : s.ops[oi].calls) {
                for (const auto& c : step.calls) add(c);
            }
            for (const auto& c : s.ops[oi].async_calls) add(c);
        }
    }
    // Iterative depth-first search; `stack` holds the current path.
    std::vector<int> state(static_cast<std::size_t>(total), 0);  // 0 new, 1 on path, 2 done
    for (int root = 0; root < total; ++root) {
        if (state[static_cast<std::size_t>(root)] != 0) continue;
        std::vector<std::pair<int, std::size_t>> stack{{root, 0}};
        state[static_cast<std::size_t>(root)] = 1;
        while (!stack.empty()) {
            auto& [node, next] = stack.back();
            const auto& out = edges[static_cast<std::size_t>(node)];
            if (next == out.size()) {
                state[static_cast<std::size_t>(node)] = 2;
                stack.pop_back();
                continue;
            }
            const Edge e = out[next++];
            if (state[static_cast<std::size_t>(e.to)] == 1) {
                std::string cycle;
                bool on = false;
                for (const auto& [n, unused] : stack) {
                    if (n == e.to) on = true;
                    if (on) cycle += label[static_cast<std::size_t>(n)] + " -> ";
                }
                cycle += label[static_cast<std::size_t>(e.to)];
                fail(e.call->target_pos, "call cycle: " + cycle);
            }
            if (state[static_cast<std::size_t>(e.to)] == 0) {
                state[static_cast<std::size_t>(e.to)] = 1;
                stack.emplace_back(e.to, 0);
            }
        }
    }
}

ArrivalSpec Loader::load_arrival(const toml::node& n) const {
    ArrivalSpec a;
    a.pos = pos(n);
    const std::vector<std::string> processes = {"poisson", "constant", "mmpp"};
    if (n.is_string()) {
        const std::string text = n.as_string()->get();
        a.text = text;
        const auto open_paren = text.find('(');
        if (open_paren == std::string::npos || text.back() != ')') {
            fail(n, fmt::format("cannot read arrival '{}' (expected e.g. \"poisson(800/s)\", \"constant(100/s)\" or "
                                "\"mmpp(100/s, 10s, 1000/s, 1s)\")",
                                text));
        }
        std::string kind = text.substr(0, open_paren);
        kind.erase(kind.find_last_not_of(' ') + 1);
        std::vector<std::string> args;
        std::stringstream inner(text.substr(open_paren + 1, text.size() - open_paren - 2));
        for (std::string arg; std::getline(inner, arg, ',');) {
            arg.erase(0, arg.find_first_not_of(' '));
            arg.erase(arg.find_last_not_of(' ') + 1);
            args.push_back(arg);
        }
        auto parse = [&](Unit u, const std::string& s) {
            try {
                const double v = parse_unit(u, s);
                if (!(v > 0) && u == Unit::time) fail(n, fmt::format("expected a positive time, got '{}'", s));
                return v;
            } catch (const ConfigError&) {
                throw;
            } catch (const Error& e) {
                fail(n, e.what());
            }
        };
        if (kind == "poisson" || kind == "constant") {
            if (args.size() != 1) fail(n, fmt::format("{}() takes one rate, e.g. \"{}(800/s)\"", kind, kind));
            const double rate = parse(Unit::rate, args[0]);
            if (!(rate > 0)) fail(n, fmt::format("expected a positive rate, got '{}'", args[0]));
            check_rate(n, rate);
            if (kind == "poisson") a.process = PoissonArrival{rate};
            else a.process = ConstantArrival{rate};
        } else if (kind == "mmpp") {
            if (args.size() < 4 || args.size() % 2 != 0) {
                fail(n, "mmpp() takes pairs of rate and mean dwell time, at least two states, e.g. "
                        "\"mmpp(100/s, 10s, 1000/s, 1s)\"");
            }
            MmppArrival m;
            for (std::size_t i = 0; i < args.size(); i += 2) {
                m.states.push_back({parse(Unit::rate, args[i]), parse(Unit::time, args[i + 1])});
                check_rate(n, m.states.back().rate);
            }
            a.process = std::move(m);
        } else {
            fail(n, fmt::format("unknown arrival process '{}'{}", kind, did_you_mean(kind, processes)));
        }
        if (const auto* m = std::get_if<MmppArrival>(&a.process)) {
            if (std::none_of(m->states.begin(), m->states.end(), [](const MmppState& s) { return s.rate > 0; })) {
                fail(n, "mmpp needs a state with a positive rate");
            }
        }
        return a;
    }
    const auto* t = n.as_table();
    if (t == nullptr) fail(n, fmt::format("expected an arrival string such as \"poisson(800/s)\" or an inline table, got {}", type_name(n)));
    if (t->contains("trace")) {
        const Fields f = open(n, "trace arrival", {"trace", "speedup"});
        const auto& path_node = need(f, "trace");
        TraceArrival tr;
        const std::string rel = str(path_node);
        tr.path = resolve_path(rel);
        if (const auto problem = input_file_problem(tr.path, UINTMAX_MAX)) {
            if (!fs::exists(tr.path)) fail(path_node, fmt::format("trace file '{}' not found (looked for '{}')", rel, tr.path));
            fail(path_node, fmt::format("cannot read trace file '{}': {}", rel, *problem));
        }
        if (const auto* v = f.get("speedup")) {
            tr.speedup = number(*v);
            if (!(tr.speedup > 0)) fail(*v, fmt::format("speedup must be positive, got {:g}", tr.speedup));
        }
        a.text = fmt::format("trace({}, speedup {:g})", rel, tr.speedup);
        a.process = std::move(tr);
        return a;
    }
    if (t->contains("users")) {
        const Fields f = open(n, "closed arrival", {"users", "think"});
        ClosedArrival c;
        const toml::node& users_node = need(f, "users");
        c.users = integer_at_least(users_node, 1, "users");
        check_fits(pos(users_node), footprint::per_user * static_cast<double>(c.users),
                   fmt::format("{} closed users", c.users));
        c.think = dist(need(f, "think"));
        a.text = fmt::format("closed({} users, think {})", c.users, c.think.text);
        a.process = std::move(c);
        return a;
    }
    const Fields f = open(n, "arrival", {"process", "rate", "states", "shape"});
    std::string process = "poisson";
    const toml::node* process_node = f.get("process");
    if (process_node != nullptr) {
        process = str(*process_node);
        if (std::find(processes.begin(), processes.end(), process) == processes.end()) {
            fail(*process_node, fmt::format("unknown arrival process '{}'{}", process, did_you_mean(process, processes)));
        }
    }
    if (process == "mmpp") {
        if (const auto* r = f.get("rate")) fail(*r, "an mmpp arrival takes 'states', not 'rate'");
        if (const auto* s = f.get("shape")) fail(*s, "'shape' applies only to a rate schedule");
        const auto& states_node = need(f, "states");
        const auto* states = states_node.as_array();
        if (states == nullptr) fail(states_node, fmt::format("expected an array of {{ rate, dwell }} tables, got {}", type_name(states_node)));
        if (states->size() < 2) fail(states_node, "mmpp needs at least two states");
        MmppArrival m;
        std::string text;
        for (const auto& s : *states) {
            const Fields sf = open(s, "mmpp state", {"rate", "dwell"});
            m.states.push_back({quantity(need(sf, "rate"), Unit::rate), positive(need(sf, "dwell"), Unit::time)});
            check_rate(need(sf, "rate"), m.states.back().rate);
            text += fmt::format("{}{:g}/s for {:g}s", text.empty() ? "" : ", ", m.states.back().rate, m.states.back().dwell);
        }
        if (std::none_of(m.states.begin(), m.states.end(), [](const MmppState& s) { return s.rate > 0; })) {
            fail(states_node, "mmpp needs a state with a positive rate");
        }
        a.text = "mmpp(" + text + ")";
        a.process = std::move(m);
        return a;
    }
    if (const auto* s = f.get("states")) fail(*s, fmt::format("'states' applies only to process 'mmpp' (process is '{}')", process));
    const auto& rate_node = need(f, "rate");
    if (const auto* points = rate_node.as_array()) {
        ScheduleArrival sch;
        sch.process = process == "constant" ? ScheduleProcess::constant : ScheduleProcess::poisson;
        if (const auto* s = f.get("shape")) {
            const std::string shape = str(*s);
            if (shape == "linear") sch.shape = ScheduleShape::linear;
            else if (shape == "step") sch.shape = ScheduleShape::step;
            else fail(*s, fmt::format("unknown shape '{}'{}", shape, did_you_mean(shape, {"linear", "step"})));
        }
        if (points->empty()) fail(rate_node, "a rate schedule needs at least one [time, rate] point");
        std::string text;
        for (const auto& p : *points) {
            const auto* pair = p.as_array();
            if (pair == nullptr || pair->size() != 2) {
                fail(p, "expected a [time, rate] pair such as [\"60s\", \"3000/s\"]");
            }
            SchedulePoint sp{quantity(*pair->get(0), Unit::time), quantity(*pair->get(1), Unit::rate)};
            check_rate(*pair->get(1), sp.rate);
            if (!sch.points.empty() && sp.time <= sch.points.back().time) {
                fail(*pair->get(0), "schedule times must increase");
            }
            sch.points.push_back(sp);
            text += fmt::format("{}{:g}s: {:g}/s", text.empty() ? "" : ", ", sp.time, sp.rate);
        }
        if (std::none_of(sch.points.begin(), sch.points.end(), [](const SchedulePoint& p) { return p.rate > 0; })) {
            fail(rate_node, "a rate schedule needs a positive rate");
        }
        a.text = fmt::format("{}({}; {})", process, sch.shape == ScheduleShape::linear ? "linear" : "step", text);
        a.process = std::move(sch);
        return a;
    }
    if (const auto* s = f.get("shape")) fail(*s, "'shape' applies only to a rate schedule (rate = [[time, rate], ...])");
    const double rate = positive(rate_node, Unit::rate);
    check_rate(rate_node, rate);
    a.text = fmt::format("{}({})", process, str(rate_node));
    if (process == "constant") a.process = ConstantArrival{rate};
    else a.process = PoissonArrival{rate};
    return a;
}

void Loader::load_workloads(const toml::table& root) {
    const auto tables = table_array(root, "workload");
    std::map<std::string, SourcePos> seen;
    for (std::size_t wi = 0; wi < tables.size(); ++wi) {
        const Fields pre = open(*tables[wi], fmt::format("[[workload]] at index {}", wi), {"name", "from", "to", "arrival", "mix", "keys"});
        const auto& name_node = need(pre, "name");
        WorkloadSpec w;
        w.name = name(name_node, "workload");
        if (auto it = seen.find(w.name); it != seen.end()) {
            fail(name_node, fmt::format("duplicate workload name '{}' (already used at {}:{}:{})", w.name, it->second.file,
                                        it->second.line, it->second.column));
        }
        seen.emplace(w.name, pos(name_node));
        const Fields f{pre.table, fmt::format("[[workload]] '{}'", w.name), pre.where};
        w.pos = f.where;
        if (const auto* v = f.get("from")) {
            w.from_pos = pos(*v);
            const std::string from = str(*v);
            const auto it = nodes_.find(from);
            if (it == nodes_.end()) {
                fail(*v, fmt::format("unknown client '{}'{}", from, did_you_mean(from, names_of({NameKind::client}))));
            }
            if (it->second.kind != NameKind::client) {
                fail(*v, fmt::format("'{}' is {}, not a client (a workload comes from a [[client]])", from,
                                     describe_kind(it->second.kind)));
            }
            w.from = it->second.index;
        }
        const auto& to_node = need(f, "to");
        w.to_pos = pos(to_node);
        const std::string to = str(to_node);
        std::vector<std::string> services;
        for (const auto& s : spec_.services) services.push_back(s.name);
        const auto sit = std::find(services.begin(), services.end(), to);
        if (sit == services.end()) fail(to_node, fmt::format("unknown service '{}'{}", to, did_you_mean(to, services)));
        w.to = static_cast<int>(sit - services.begin());
        const ServiceSpec& entry = spec_.services[static_cast<std::size_t>(w.to)];
        w.arrival = load_arrival(need(f, "arrival"));
        const bool trace = std::holds_alternative<TraceArrival>(w.arrival.process);

        std::vector<std::string> ops;
        for (const auto& o : entry.ops) ops.push_back(o.name);
        if (const auto* v = f.get("mix")) {
            w.mix_pos = pos(*v);
            if (trace) fail(*v, "a trace names the op of each request: remove 'mix'");
            const auto* mt = v->as_table();
            if (mt == nullptr) fail(*v, fmt::format("expected a table of op = weight, got {}", type_name(*v)));
            double total = 0;
            for (const auto& [k, weight_node] : ordered(*mt)) {
                const SourcePos kp = k->source().begin.line > 0 ? pos(k->source()) : pos(*weight_node);
                const auto oit = std::find(ops.begin(), ops.end(), k->str());
                if (oit == ops.end()) {
                    fail(kp, fmt::format("service '{}' offers no op '{}'{}", entry.name, k->str(), did_you_mean(k->str(), ops)));
                }
                const double weight = number(*weight_node);
                if (weight < 0) fail(*weight_node, fmt::format("mix weight must not be negative, got {:g}", weight));
                total += weight;
                w.mix.push_back({static_cast<int>(oit - ops.begin()), weight});
            }
            if (!(total > 0)) fail(*v, "mix weights must add up to a positive number");
            if (!std::isfinite(total)) total = rescale_overflowing(w.mix);
            for (auto& m : w.mix) m.weight /= total;
        } else if (!trace) {
            if (ops.size() != 1) {
                fail(f.where, fmt::format("missing key 'mix' in {} (service '{}' offers several ops: {})", f.what, entry.name,
                                          join(ops)));
            }
            w.mix_pos = f.where;
            w.mix.push_back({0, 1.0});
        }
        if (const auto* v = f.get("keys")) {
            const Fields kf = open(*v, "keys", {"count", "skew"});
            KeysSpec k;
            const toml::node& count_node = need(kf, "count");
            k.count = integer_at_least(count_node, 1, "keys.count");
            check_fits(pos(count_node), footprint::per_key * static_cast<double>(k.count),
                       fmt::format("{} keys", k.count));
            if (const auto* s = kf.get("skew")) {
                k.skew = number(*s);
                if (k.skew < 0) fail(*s, fmt::format("skew must not be negative, got {:g}", k.skew));
            }
            w.keys = k;
        }
        check_closed_loop(w, f);
        spec_.workloads.push_back(std::move(w));
    }
}

void Loader::check_closed_loop(const WorkloadSpec& w, const Fields& f) const {
    const auto* closed = std::get_if<ClosedArrival>(&w.arrival.process);
    if (closed == nullptr || closed->think.dist->mean() > 0 || !spec_.links.empty()) return;
    // Users who think 0 s, sending requests that take no time (no work, no network), would
    // loop forever at one instant. Follow the ops a request can reach: any work breaks the loop.
    std::vector<std::pair<int, int>> todo;
    for (const MixEntry& m : w.mix) todo.emplace_back(w.to, m.op);
    std::vector<std::pair<int, int>> seen;
    std::string path;
    while (!todo.empty()) {
        const auto [si, oi] = todo.back();
        todo.pop_back();
        if (std::find(seen.begin(), seen.end(), std::make_pair(si, oi)) != seen.end()) continue;
        seen.emplace_back(si, oi);
        const ServiceSpec& s = spec_.services[static_cast<std::size_t>(si)];
        const OpSpec& o = s.ops[static_cast<std::size_t>(oi)];
        const auto takes_time = [](const std::optional<DistSpec>& d) { return d && d->dist->mean() > 0; };
        if (o.work.dist->mean() > 0 || takes_time(o.work_after)) return;
        if (o.replicate && takes_time(o.replicate->work)) return;
        path += (path.empty() ? "" : ", ") + s.name + "." + o.name;
        for (const CallStep& step : o.calls) {
            for (const CallSpec& c : step.calls) todo.emplace_back(c.service, c.op);
        }
    }
    const toml::node* arrival = f.get("arrival");
    const toml::node* think = arrival != nullptr && arrival->is_table() ? arrival->as_table()->get("think") : nullptr;
    fail(think != nullptr ? pos(*think) : w.arrival.pos,
         fmt::format("zero-time loop: the users of workload '{}' think '{}' and their requests ({}) do no work and "
                     "cross no [[link]], so user -> request -> user would repeat forever without time passing "
                     "(give the users a think time or the ops some work)",
                     w.name, closed->think.text, path));
}

void Loader::load_events(const toml::table& root) {
    const auto tables = table_array(root, "event");
    for (std::size_t ei = 0; ei < tables.size(); ++ei) {
        const Fields f = open(*tables[ei], fmt::format("[[event]] at index {}", ei), {"at", "action", "target", "for", "factor"});
        EventSpec e;
        e.pos = f.where;
        e.at = quantity(need(f, "at"), Unit::time);
        const auto& action_node = need(f, "action");
        const std::string action = str(action_node);
        if (action == "fail") e.action = EventAction::fail;
        else if (action == "recover") e.action = EventAction::recover;
        else if (action == "slow") e.action = EventAction::slow;
        else fail(action_node, fmt::format("unknown action '{}'{}", action, did_you_mean(action, {"fail", "recover", "slow"})));

        const auto& target_node = need(f, "target");
        e.target_pos = pos(target_node);
        e.target_text = str(target_node);
        auto concrete = [&](const std::string& nm) -> NameEntry {
            const auto it = nodes_.find(nm);
            if (it == nodes_.end()) {
                fail(target_node, fmt::format("unknown server or switch '{}'{}", nm,
                                              did_you_mean(nm, names_of({NameKind::server, NameKind::switch_, NameKind::client}))));
            }
            if (it->second.kind == NameKind::group) {
                const auto& g = spec_.groups[static_cast<std::size_t>(it->second.index)];
                fail(target_node, fmt::format("'{}' is a group of {} servers; an event targets one server, such as '{}'", nm,
                                              g.members.size(), spec_.servers[static_cast<std::size_t>(g.members.front())].name));
            }
            return it->second;
        };
        if (const auto dash = e.target_text.find("--"); dash != std::string::npos) {
            const std::string a = e.target_text.substr(0, dash);
            const std::string b = e.target_text.substr(dash + 2);
            const NameEntry ea = concrete(a);
            const NameEntry eb = concrete(b);
            auto ref = [](const NameEntry& ne) {
                return NodeRef{ne.kind == NameKind::server ? NodeKind::server
                               : ne.kind == NameKind::switch_ ? NodeKind::switch_
                                                               : NodeKind::client,
                               ne.index};
            };
            const NodeRef ra = ref(ea);
            const NodeRef rb = ref(eb);
            for (std::size_t li = 0; li < spec_.links.size(); ++li) {
                const auto& l = spec_.links[li];
                if ((l.a == ra && l.b == rb) || (l.a == rb && l.b == ra)) e.links.push_back(static_cast<int>(li));
            }
            if (e.links.empty()) fail(target_node, fmt::format("no link between '{}' and '{}'", a, b));
            e.target_kind = TargetKind::link;
            e.target = e.links.front();
        } else {
            const NameEntry ne = concrete(e.target_text);
            if (ne.kind == NameKind::client) {
                fail(target_node, fmt::format("'{}' is a client; an event targets a server, a switch or a link \"a--b\"", e.target_text));
            }
            e.target_kind = ne.kind == NameKind::server ? TargetKind::server : TargetKind::switch_;
            e.target = ne.index;
        }
        if (const auto* v = f.get("for")) {
            if (e.action == EventAction::recover) fail(*v, "'for' does not apply to action 'recover'");
            e.duration = positive(*v, Unit::time);
        }
        if (const auto* v = f.get("factor")) {
            if (e.action != EventAction::slow) fail(*v, fmt::format("'factor' applies only to action 'slow' (action is '{}')", action));
            e.factor = number(*v);
            if (!(e.factor > 0)) fail(*v, fmt::format("factor must be positive, got {:g}", e.factor));
        } else if (e.action == EventAction::slow) {
            fail(f.where, "missing key 'factor' in [[event]] with action 'slow' (e.g. factor = 3: three times slower)");
        }
        spec_.events.push_back(std::move(e));
    }
}

void Loader::load_failures(const toml::table& root) {
    const auto tables = table_array(root, "failure");
    for (std::size_t fi = 0; fi < tables.size(); ++fi) {
        const Fields f = open(*tables[fi], fmt::format("[[failure]] at index {}", fi), {"target", "mtbf", "mttr"});
        FailureSpec fs;
        fs.pos = f.where;
        const auto& target = need(f, "target");
        fs.target_pos = pos(target);
        fs.target_text = str(target);
        fs.servers = servers_named(target);
        const toml::node& mtbf_node = need(f, "mtbf");
        fs.mtbf = dist(mtbf_node);
        fs.mttr = dist(need(f, "mttr"));
        // A failure every 0 s would fail and repair the server forever at one instant.
        if (!(fs.mtbf.dist->mean() > 0)) {
            fail(mtbf_node, fmt::format("mtbf must have a positive mean, got '{}': the server would fail and be "
                                        "repaired forever without time passing",
                                        fs.mtbf.text));
        }
        spec_.failures.push_back(std::move(fs));
    }
}

HedgeSpec Loader::load_hedge(const toml::node& n) const {
    const Fields f = open(n, "hedge", {"after", "max"});
    HedgeSpec h;
    h.pos = f.where;
    const toml::node& after = need(f, "after");
    if (after.is_string() && after.as_string()->get().starts_with('p')) {
        const std::string text = after.as_string()->get();
        char* end = nullptr;
        const double p = std::strtod(text.c_str() + 1, &end);
        if (text.size() < 2 || end != text.c_str() + text.size() || !(p > 0 && p < 100)) {
            fail(after, fmt::format("bad percentile '{}' (expected p followed by a number in (0, 100), such as \"p95\" "
                                    "or \"p99.9\")",
                                    text));
        }
        h.percentile = p / 100;
    } else {
        h.after = positive(after, Unit::time);
    }
    if (const auto* v = f.get("max")) {
        h.max = small_int(*v, 1, "hedge max");
        if (h.max > 4) fail(*v, fmt::format("hedge max is at most 4 (5 attempts in all, as in gRPC), got {}", h.max));
    }
    return h;
}

double Loader::tokens(const toml::node& n, std::string_view what, double max) const {
    const double v = number(n);
    if (!(v > 0) || v > max) fail(n, fmt::format("{} must be in (0, {:g}], got {:g}", what, max, v));
    if (std::abs(v * 1000 - std::round(v * 1000)) > 1e-6 * std::max(1.0, v * 1000)) {
        fail(n, fmt::format("{} {:g} has more than 3 decimals (tokens are counted in thousandths, as in gRPC)", what, v));
    }
    return v;
}

RetryThrottlingSpec Loader::load_retry_throttling(const toml::node& n) const {
    const Fields f = open(n, "retry_throttling", {"max_tokens", "token_ratio"});
    RetryThrottlingSpec t;
    t.pos = f.where;
    t.max_tokens = tokens(need(f, "max_tokens"), "max_tokens", 1000);
    t.token_ratio = tokens(need(f, "token_ratio"), "token_ratio", 1000);
    return t;
}

void Loader::load_metastability(const toml::table& root) {
    const auto* n = root.get("metastability");
    if (n == nullptr) return;
    const Fields f = open(*n, "[metastability]", {"settle", "goodput_below"});
    MetastabilitySpec m;
    m.pos = f.where;
    if (const auto* v = f.get("settle")) m.settle = quantity(*v, Unit::time);
    if (m.settle < 0) fail(*f.get("settle"), "settle must not be negative");
    if (const auto* v = f.get("goodput_below")) {
        m.goodput_below = number(*v);
        if (!(m.goodput_below > 0 && m.goodput_below <= 1)) {
            fail(*v, fmt::format("goodput_below must be in (0, 1], got {:g}", m.goodput_below));
        }
    }
    spec_.metastability = m;
}

void Loader::check_memory() const {
    const double windows = windows_of(spec_);
    const double values = series_values_per_window(spec_);
    if (window_node_ != nullptr) {
        check_fits(pos(*window_node_), windows * values * footprint::per_series_value,
                   fmt::format("{} servers x {:.0f} windows of time series", spec_.servers.size(), windows));
    }
    const double each = run_bytes(spec_);
    check_fits(spec_.run.pos, each, "the scenario's servers, users, keys, statistics and time series");
    if (replications_node_ != nullptr) {
        check_fits(pos(*replications_node_), each * spec_.run.replications,
                   fmt::format("{} replications of about {} each", spec_.run.replications, bytes_text(each)));
    }
}

toml::table parse_toml(std::string_view text, const std::string& filename) {
    try {
        return toml::parse(text, filename);
    } catch (const toml::parse_error& e) {
        const auto& src = e.source();
        // TOML++ says "Error while parsing value: ..."; keep the house style (lowercase, no repeated "error").
        std::string what(e.description());
        const std::string_view prefix = "Error while parsing ";
        if (what.rfind(prefix, 0) == 0) {
            const std::string rest = what.substr(prefix.size());
            const auto colon = rest.find(':');
            what = colon == std::string::npos ? ": " + rest : " (" + rest.substr(0, colon) + ")" + rest.substr(colon);
        } else {
            what = ": " + what;
        }
        throw ConfigError(SourcePos{filename, static_cast<int>(src.begin.line), static_cast<int>(src.begin.column)},
                          "invalid TOML" + what);
    }
}

}  // namespace

Spec parse(std::string_view text, const std::string& filename, const std::vector<std::string>& overrides,
           const std::string& base_dir) {
    toml::table root = parse_toml(text, filename);
    apply_overrides(root, overrides);
    Loader loader(filename, base_dir.empty() ? fs::current_path().string() : base_dir);
    return loader.load(root);
}

Spec load_file(const std::string& path, const std::vector<std::string>& overrides) {
    const std::string text = read_input_file(path, max_scenario_bytes, "scenario file");
    fs::path dir = fs::path(path).parent_path();
    if (dir.empty()) dir = ".";
    return parse(text, path, overrides, fs::absolute(dir).lexically_normal().string());
}

std::string apply_overrides_to_text(std::string_view text, const std::string& filename,
                                    const std::vector<std::string>& overrides) {
    toml::table root = parse_toml(text, filename);
    apply_overrides(root, overrides);
    std::ostringstream out;
    out << root << '\n';
    return out.str();
}

}  // namespace s2sim::scenario

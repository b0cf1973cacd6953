// Parameter sweeps: the grid of runs of one scenario (see experiment.hpp).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "scenario/experiment.hpp"
#include "scenario/loader.hpp"
#include "scenario/report.hpp"
#include "sim/error.hpp"

namespace s2sim::scenario {
namespace {

std::string trim(std::string_view s) {
    const auto begin = s.find_first_not_of(" \t");
    if (begin == std::string_view::npos) return "";
    const auto end = s.find_last_not_of(" \t");
    return std::string(s.substr(begin, end - begin + 1));
}

template <typename Load>
SweepResults run_grid(const std::vector<SweepParam>& params, const ExperimentOptions& options,
                      const std::vector<std::string>& overrides, Load load) {
    SweepResults out;
    out.params = params;
    const auto values = sweep_points(params);
    // Load every point first: a bad value is reported before any time is spent.
    std::vector<Spec> specs;
    for (const auto& point : values) {
        std::vector<std::string> sets = overrides;
        for (std::size_t i = 0; i < params.size(); ++i) sets.push_back(params[i].key + "=" + point[i]);
        specs.push_back(load(sets));
    }
    out.points.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) out.points[i].values = values[i];
    // Points with fewer replications than threads run side by side, one thread each;
    // otherwise one after the other with their replications in parallel. Results are the
    // same either way: every replication's seed depends only on its index.
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    const int jobs = options.jobs > 0 ? options.jobs : static_cast<int>(cores);
    int replications = options.replications;
    if (replications <= 0) {
        for (const auto& s : specs) replications = std::max(replications, s.run.replications);
    }
    // Progress over the whole grid: the mean of the points' fractions. Points running side
    // by side report from their threads at once, hence the lock.
    std::mutex progress_mutex;
    std::vector<double> fraction_of(specs.size(), 0.0);
    double fractions = 0;
    const auto options_of = [&](std::size_t i, int point_jobs) {
        ExperimentOptions o = options;
        o.jobs = point_jobs;
        if (options.progress) {
            o.progress = [&, i](double f) {
                std::lock_guard lock(progress_mutex);
                fractions += f - fraction_of[i];
                fraction_of[i] = f;
                return options.progress(std::min(1.0, fractions / static_cast<double>(specs.size())));
            };
        }
        return o;
    };
    if (jobs <= 1 || replications >= jobs || specs.size() == 1 || options.precision) {
        for (std::size_t i = 0; i < specs.size(); ++i) {
            out.points[i].results = run_experiment(specs[i], options_of(i, options.jobs));
        }
        return out;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex mutex;
    const auto worker = [&] {
        for (;;) {
            const std::size_t i = next.fetch_add(1);
            if (i >= specs.size()) return;
            try {
                out.points[i].results = run_experiment(specs[i], options_of(i, 1));
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!error) error = std::current_exception();
                next.store(specs.size());
            }
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min<int>(jobs, static_cast<int>(specs.size())); ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
    return out;
}


/// A TOML value as JSON: numbers, booleans and strings keep their type; arrays and tables recurse.
nlohmann::json json_of(const toml::node& node) {
    if (const auto* v = node.as_integer()) return v->get();
    if (const auto* v = node.as_floating_point()) return v->get();
    if (const auto* v = node.as_boolean()) return v->get();
    if (const auto* v = node.as_string()) return v->get();
    if (const auto* a = node.as_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : *a) out.push_back(json_of(item));
        return out;
    }
    if (const auto* t = node.as_table()) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [key, item] : *t) out[std::string(key.str())] = json_of(item);
        return out;
    }
    return nullptr;  // dates and times: the caller keeps the text
}

/// A swept value as `--set` reads it (a TOML value when it is one, else a bare string),
/// so `2` stays a number and `power_of_two` a string in the JSON.
nlohmann::json typed_value(const std::string& text) {
    try {
        const toml::table doc = toml::parse("v = " + text);
        if (doc.size() == 1 && doc.contains("v")) {
            nlohmann::json value = json_of(*doc.get("v"));
            if (!value.is_null()) return value;
        }
    } catch (const toml::parse_error&) {
        // not a TOML value: a bare string such as 60s
    }
    return text;
}

std::string ms(const Figure& f) {
    if (!std::isfinite(f.value)) return "-";
    std::string s = fmt::format("{:.3f}", 1e3 * f.value);
    if (std::isfinite(f.ci95)) s += fmt::format(" ±{:.3f}", 1e3 * f.ci95);
    return s;
}

}  // namespace

SweepParam parse_sweep_param(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || trim(text.substr(0, eq)).empty()) {
        throw Error("sweep parameter '" + std::string(text) + "' is not key=v1,v2,...");
    }
    SweepParam p;
    p.key = trim(text.substr(0, eq));
    for (std::string& v : split_top_level(text.substr(eq + 1))) {
        if (v.empty()) throw Error("sweep parameter '" + std::string(text) + "' has an empty value");
        p.values.push_back(std::move(v));
    }
    return p;
}

std::vector<SweepParam> parse_sweep_params(std::string_view text) {
    // Semicolons outside quotes and brackets separate the linked keys.
    const std::vector<std::string> pieces = split_top_level(text, ';');
    std::vector<SweepParam> out;
    for (const std::string& piece : pieces) {
        SweepParam p = parse_sweep_param(piece);
        p.linked_with_previous = !out.empty();
        if (p.linked_with_previous && p.values.size() != out.front().values.size()) {
            throw Error(fmt::format("sweep parameter '{}': linked keys move together, so they need as many values: "
                                    "'{}' has {}, '{}' has {}",
                                    std::string(text), out.front().key, out.front().values.size(), p.key,
                                    p.values.size()));
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<std::vector<std::string>> sweep_points(const std::vector<SweepParam>& params) {
    std::vector<std::vector<std::string>> points{{}};
    for (std::size_t first = 0; first < params.size();) {
        // One axis: params[first] and the params linked with it.
        std::size_t end = first + 1;
        while (end < params.size() && params[end].linked_with_previous) ++end;
        const std::size_t n = params[first].values.size();
        for (std::size_t i = first; i < end; ++i) {
            if (params[i].values.empty()) throw Error("sweep parameter '" + params[i].key + "' has no value");
            if (params[i].values.size() != n) {
                throw Error(fmt::format("sweep parameters '{}' and '{}' are linked but have {} and {} values",
                                        params[first].key, params[i].key, n, params[i].values.size()));
            }
        }
        std::vector<std::vector<std::string>> next;
        for (const auto& point : points) {
            for (std::size_t v = 0; v < n; ++v) {
                auto extended = point;
                for (std::size_t i = first; i < end; ++i) extended.push_back(params[i].values[v]);
                next.push_back(std::move(extended));
            }
        }
        points = std::move(next);
        first = end;
    }
    return points;
}

SweepResults sweep(const std::string& path, const std::vector<SweepParam>& params, const ExperimentOptions& options,
                   const std::vector<std::string>& overrides) {
    return run_grid(params, options, overrides,
                    [&](const std::vector<std::string>& sets) { return load_file(path, sets); });
}

SweepResults sweep_text(std::string_view text, const std::string& filename, const std::vector<SweepParam>& params,
                        const ExperimentOptions& options, const std::vector<std::string>& overrides,
                        const std::string& base_dir) {
    return run_grid(params, options, overrides, [&](const std::vector<std::string>& sets) {
        return parse(text, filename, sets, base_dir);
    });
}

nlohmann::json to_json(const SweepResults& s) {
    nlohmann::json j;
    j["s2sim"] = version;
    j["params"] = nlohmann::json::array();
    for (const auto& p : s.params) j["params"].push_back(p.key);
    j["points"] = nlohmann::json::array();
    for (const auto& point : s.points) {
        nlohmann::json values = nlohmann::json::object();
        for (std::size_t i = 0; i < s.params.size(); ++i) values[s.params[i].key] = typed_value(point.values[i]);
        j["points"].push_back({{"values", values}, {"results", to_json(point.results)}});
    }
    return j;
}

std::string format_table(const SweepResults& s) { return format_table(s, {"requests"}); }

namespace {

/// The recorded tables of a sweep, in the order the points first show them (each as the
/// first point that has it declares it).
std::vector<const PooledTable*> sweep_tables(const SweepResults& s) {
    std::vector<const PooledTable*> tables;
    for (const SweepPoint& point : s.points) {
        for (const PooledTable& t : point.results.tables) {
            if (std::none_of(tables.begin(), tables.end(), [&](const PooledTable* x) { return x->name == t.name; })) {
                tables.push_back(&t);
            }
        }
    }
    return tables;
}

const PooledTable* table_of(const ExperimentResults& e, const std::string& name) {
    for (const PooledTable& t : e.tables) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

}  // namespace

std::string format_table(const SweepResults& s, const std::vector<std::string>& show_tables) {
    std::vector<std::string> recorded;
    for (const PooledTable* t : sweep_tables(s)) recorded.push_back(t->name);
    check_tables(show_tables, recorded);
    const auto show = [&show_tables](const char* table) {
        return show_tables.empty() ||
               std::find(show_tables.begin(), show_tables.end(), std::string(table)) != show_tables.end();
    };
    std::string out;
    const int n = s.points.empty() ? 0 : s.points.front().results.replications;
    out += fmt::format("sweep of {} points, {} replication{} each{}\n\n", s.points.size(), n, n == 1 ? "" : "s",
                       n > 1 ? " (± 95% CI half-width)" : "");
    std::vector<std::size_t> widths;
    std::string header;
    for (const auto& p : s.params) {
        std::size_t w = p.key.size();
        for (const auto& v : p.values) w = std::max(w, v.size());
        widths.push_back(w);
        header += fmt::format("{:<{}}  ", p.key, w);
    }
    const auto prefix = [&](const SweepPoint& point) {
        std::string line;
        for (std::size_t i = 0; i < s.params.size(); ++i) line += fmt::format("{:<{}}  ", point.values[i], widths[i]);
        return line;
    };
    const auto classes = [&](const char* kind, auto list_of) {
        out += header + fmt::format("{:<26} {:>14} {:>7} {:>18} {:>18}", kind, "per s", "errors", "mean ms", "p99 ms") +
               "\n";
        for (const auto& point : s.points) {
            for (const auto& c : list_of(point.results)) {
                const std::string rate =
                    std::isfinite(c.throughput_per_s.ci95)
                        ? fmt::format("{:.1f} ±{:.1f}", c.throughput_per_s.value, c.throughput_per_s.ci95)
                        : fmt::format("{:.1f}", c.throughput_per_s.value);
                out += prefix(point) +
                       fmt::format("{:<26} {:>14} {:>7} {:>18} {:>18}", c.name, rate, c.errors, ms(c.mean), ms(c.p99)) +
                       "\n";
            }
            if (!point.results.stopped_early.empty()) out += "  (partial: " + point.results.stopped_early + ")\n";
        }
    };
    const auto pm = [](const Figure& f, double scale, int decimals) {
        if (!std::isfinite(f.value)) return std::string("-");
        std::string text = fmt::format("{:.{}f}", f.value * scale, decimals);
        if (std::isfinite(f.ci95)) text += fmt::format(" ±{:.{}f}", f.ci95 * scale, decimals);
        return text;
    };
    bool first = true;
    const auto gap = [&] {
        if (!first) out += "\n";
        first = false;
    };
    if (show("requests")) {
        gap();
        classes("request", [](const ExperimentResults& e) -> const auto& { return e.requests; });
    }
    if (show("ops")) {
        gap();
        classes("op", [](const ExperimentResults& e) -> const auto& { return e.ops; });
    }
    if (show("servers")) {
        gap();
        out += header + fmt::format("{:<26} {:>16} {:>16}", "server", "util %", "mean queue") + "\n";
        for (const auto& point : s.points) {
            for (const auto& sv : point.results.servers) {
                out += prefix(point) +
                       fmt::format("{:<26} {:>16} {:>16}", sv.name, pm(sv.utilization, 100, 1), pm(sv.mean_queue, 1, 2)) +
                       "\n";
            }
        }
    }
    if (show("links")) {
        gap();
        out += header + fmt::format("{:<26} {:>16} {:>16}", "link", "util %", "MB") + "\n";
        for (const auto& point : s.points) {
            for (const auto& l : point.results.links) {
                out += prefix(point) +
                       fmt::format("{:<26} {:>16} {:>16}", l.name, pm(l.utilization, 100, 2), pm(l.bytes, 1e-6, 2)) +
                       "\n";
            }
        }
    }
    const bool any_replication = std::any_of(s.points.begin(), s.points.end(),
                                             [](const SweepPoint& p) { return !p.results.replication.empty(); });
    if (show("replication") && any_replication) {
        gap();
        out += header + fmt::format("{:<30} {:>9} {:>7} {:>18} {:>18} {:>14}", "replication", "writes", "failed",
                                    "lag ms", "p99 ms", "backlog") +
               "\n";
        for (const auto& point : s.points) {
            for (const auto& f : point.results.replication) {
                out += prefix(point) + fmt::format("{:<30} {:>9} {:>7} {:>18} {:>18} {:>14}", f.name, f.count,
                                                   f.failed, ms(f.mean_lag), ms(f.p99_lag), pm(f.mean_backlog, 1, 2)) +
                       "\n";
            }
        }
    }
    // The recorded tables: a column per statistic (counters per replication, latencies'
    // mean and p99 in ms, levels' mean, values), as compare reports them.
    for (const PooledTable* table : sweep_tables(s)) {
        if (!show(table->name.c_str())) continue;
        gap();
        std::vector<TableStatistic> statistics;
        for (const TableStatistic& st : table_statistics(*table)) {
            if (st.statistic != "p50") statistics.push_back(st);
        }
        const auto label = [](const TableStatistic& st) {
            const std::string unit = st.unit == "s" ? "ms" : st.unit == "fraction" ? "%" : "";
            const std::string name = st.statistic == "total" ? st.label + " /rep" : st.label;
            return unit.empty() ? name : name + " " + unit;
        };
        std::string line = header + fmt::format("{:<26}", models::core_table_row_key(table->name)
                                                              ? table->name + ": more figures"
                                                              : table->name);
        for (const TableStatistic& st : statistics) line += fmt::format(" {:>18}", label(st));
        out += line + "\n";
        for (const auto& point : s.points) {
            const PooledTable* t = table_of(point.results, table->name);
            if (t == nullptr) continue;
            for (const PooledRow& row : t->rows) {
                line = prefix(point) + fmt::format("{:<26}", row.name);
                for (const TableStatistic& st : statistics) {
                    const double scale = st.unit == "s" ? 1e3 : st.unit == "fraction" ? 100 : 1;
                    line += fmt::format(" {:>18}", pm(pooled_statistic(row, st), scale, st.unit == "s" ? 3 : 2));
                }
                out += line + "\n";
            }
        }
    }
    return out;
}

void write_csv(const SweepResults& s, const std::string& folder) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) throw Error("cannot create folder '" + folder + "': " + ec.message());
    std::string keys;
    for (const auto& p : s.params) keys += csv_quoted(p.key) + ",";
    std::string requests = keys +
                           "request,replications,count,throughput_per_s,throughput_per_s_ci95,errors,error_rate,"
                           "error_rate_ci95,mean_s,mean_s_ci95,p50_s,p50_s_ci95,p99_s,p99_s_ci95,max_s,max_s_ci95\n";
    std::string servers = keys + "server,replications,utilization,utilization_ci95,mean_queue,mean_queue_ci95\n";
    std::string ops = keys + "op,replications,count,throughput_per_s,throughput_per_s_ci95,errors,error_rate,"
                             "error_rate_ci95,mean_s,mean_s_ci95,p50_s,p50_s_ci95,p99_s,p99_s_ci95,max_s,max_s_ci95\n";
    std::string links = keys + "link,replications,utilization,utilization_ci95,bytes,bytes_ci95\n";
    std::string pairs = keys + "replication,replications,count,failed,lag_mean_s,lag_mean_s_ci95,lag_p99_s,"
                               "lag_p99_s_ci95,mean_backlog,mean_backlog_ci95,max_backlog\n";
    // Figures components added to the core tables: columns after the core's own (those of
    // the first point that has them; points without get empty fields).
    const auto added_header = [&s](std::string_view core) -> const PooledTable* {
        for (const PooledTable* t : sweep_tables(s)) {
            if (t->name == core) return t;
        }
        return nullptr;
    };
    const PooledTable* header_requests = added_header("requests");
    const PooledTable* header_servers = added_header("servers");
    const PooledTable* header_ops = added_header("ops");
    const PooledTable* header_links = added_header("links");
    const auto with_added = [](std::string& csv, const PooledTable* header) {
        csv.insert(csv.size() - 1, added_csv_header(header, true));  // before the header's newline
    };
    with_added(requests, header_requests);
    with_added(servers, header_servers);
    with_added(ops, header_ops);
    with_added(links, header_links);
    bool any_replication = false;
    for (const auto& point : s.points) {
        std::string values;
        for (const auto& v : point.values) values += csv_quoted(v) + ",";
        const auto& e = point.results;
        const auto added = [&e](const PooledTable* header, std::string_view core, const std::string& row) {
            return added_csv_fields(header, added_to_core(e.tables, core), row, true);
        };
        for (const auto& c : e.requests) {
            requests += fmt::format("{}{},{},{},{},{},{},{},{},{},{}{}\n", values, csv_quoted(c.name), e.replications,
                                    c.count, csv_figure(c.throughput_per_s), c.errors, csv_figure(c.error_rate),
                                    csv_figure(c.mean), csv_figure(c.p50), csv_figure(c.p99), csv_figure(c.max),
                                    added(header_requests, "requests", c.name));
        }
        for (const auto& sv : e.servers) {
            servers += fmt::format("{}{},{},{},{}{}\n", values, csv_quoted(sv.name), e.replications,
                                   csv_figure(sv.utilization), csv_figure(sv.mean_queue),
                                   added(header_servers, "servers", sv.name));
        }
        for (const auto& c : e.ops) {
            ops += fmt::format("{}{},{},{},{},{},{},{},{},{},{}{}\n", values, csv_quoted(c.name), e.replications,
                               c.count, csv_figure(c.throughput_per_s), c.errors, csv_figure(c.error_rate),
                               csv_figure(c.mean), csv_figure(c.p50), csv_figure(c.p99), csv_figure(c.max),
                               added(header_ops, "ops", c.name));
        }
        for (const auto& l : e.links) {
            links += fmt::format("{}{},{},{},{}{}\n", values, csv_quoted(l.name), e.replications,
                                 csv_figure(l.utilization), csv_figure(l.bytes), added(header_links, "links", l.name));
        }
        for (const auto& f : e.replication) {
            any_replication = true;
            pairs += fmt::format("{}{},{},{},{},{},{},{},{:.9g}\n", values, csv_quoted(f.name), e.replications, f.count,
                                 f.failed, csv_figure(f.mean_lag), csv_figure(f.p99_lag), csv_figure(f.mean_backlog),
                                 f.max_backlog);
        }
    }
    const std::filesystem::path dir(folder);
    write_file_atomically((dir / "sweep_requests.csv").string(), requests);
    write_file_atomically((dir / "sweep_servers.csv").string(), servers);
    write_file_atomically((dir / "sweep_ops.csv").string(), ops);
    write_file_atomically((dir / "sweep_links.csv").string(), links);
    if (any_replication) write_file_atomically((dir / "sweep_replication.csv").string(), pairs);
    // sweep_<table>.csv per recorded table: the param values, the row, then the columns of
    // `<table>.csv` with replications (figures with their _ci95).
    for (const PooledTable* table : sweep_tables(s)) {
        if (models::core_table_row_key(table->name)) continue;  // columns of sweep_<core>.csv, above
        std::string text = keys + csv_quoted(table->row_key) + "," + table_csv_header(*table, true) + "\n";
        for (const auto& point : s.points) {
            const PooledTable* t = table_of(point.results, table->name);
            if (t == nullptr) continue;
            std::string values;
            for (const auto& v : point.values) values += csv_quoted(v) + ",";
            for (const PooledRow& row : t->rows) {
                text += values + csv_quoted(row.name) + "," +
                        table_csv_row(*t, row, point.results.replications, true) + "\n";
            }
        }
        write_file_atomically((dir / ("sweep_" + table->name + ".csv")).string(), text);
    }
}

}  // namespace s2sim::scenario

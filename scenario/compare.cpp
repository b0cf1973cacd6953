// Paired comparison of designs under common random numbers (see experiment.hpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "scenario/experiment.hpp"
#include "scenario/report.hpp"
#include "sim/error.hpp"
#include "sim/stats/confidence.hpp"

namespace s2sim::scenario {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string trim(std::string_view s) {
    const auto begin = s.find_first_not_of(" \t");
    if (begin == std::string_view::npos) return "";
    const auto end = s.find_last_not_of(" \t");
    return std::string(s.substr(begin, end - begin + 1));
}

/// Figures compared per request class, with how to read them from one run.
constexpr const char* request_figures[] = {"mean", "p50", "p99", "throughput_per_s", "error_rate"};

/// A figure of one class (`workload/op` in `run.requests`, or `service.op` in `run.ops`).
template <typename Result>
double class_figure(const models::RunResults& run, const std::vector<Result>& list, const std::string& name,
                    std::string_view figure) {
    for (const auto& q : list) {
        if (q.name != name) continue;
        if (figure == "throughput_per_s") return run.simulated_s > 0 ? static_cast<double>(q.count) / run.simulated_s : nan;
        if (figure == "error_rate") return q.count ? static_cast<double>(q.errors) / static_cast<double>(q.count) : nan;
        if (q.latency.count() == 0) return nan;
        if (figure == "mean") return q.latency.mean();
        if (figure == "p50") return q.latency.quantile(0.5);
        return q.latency.quantile(0.99);
    }
    return nan;
}

Figure pooled_class_figure(const std::vector<ClassFigures>& list, const std::string& name, std::string_view figure) {
    for (const auto& c : list) {
        if (c.name != name) continue;
        if (figure == "mean") return c.mean;
        if (figure == "p50") return c.p50;
        if (figure == "p99") return c.p99;
        if (figure == "throughput_per_s") return c.throughput_per_s;
        return c.error_rate;
    }
    return {};
}

/// Mean utilisation of the members of server group `group` in one run.
double group_utilization(const models::RunResults& run, const Spec& spec, int group) {
    double sum = 0;
    int n = 0;
    for (const int member : spec.groups[static_cast<std::size_t>(group)].members) {
        const std::string& name = spec.servers[static_cast<std::size_t>(member)].name;
        for (const auto& s : run.servers) {
            if (s.name == name) {
                sum += s.utilization;
                ++n;
            }
        }
    }
    return n ? sum / n : nan;
}

Figure mean_figure(const std::vector<double>& values) {
    std::vector<double> finite;
    for (const double v : values) {
        if (std::isfinite(v)) finite.push_back(v);
    }
    Figure f;
    if (finite.empty()) return f;
    double sum = 0;
    for (const double v : finite) sum += v;
    f.value = sum / static_cast<double>(finite.size());
    if (finite.size() >= 2) f.ci95 = stats::ci95_half_width(finite);
    return f;
}

/// How far apart two percentiles can read from the same data: each is within
/// max_relative_error of its true value, so their difference within the sum.
double percentile_resolution(double value, double reference) {
    return stats::LogHistogram::max_relative_error * (std::abs(value) + std::abs(reference));
}

/// Paired difference: replication i of each design ran on the same seeds. A difference
/// within `resolution` (what the figure's own precision cannot tell apart, e.g. two
/// percentiles read from the same histogram bucket) is never significant.
Difference paired(const std::vector<double>& design, const std::vector<double>& reference, double resolution = 0) {
    std::vector<double> d;
    for (std::size_t i = 0; i < std::min(design.size(), reference.size()); ++i) {
        if (std::isfinite(design[i]) && std::isfinite(reference[i])) d.push_back(design[i] - reference[i]);
    }
    Difference out;
    if (d.empty()) return out;
    double sum = 0;
    for (const double v : d) sum += v;
    out.value = sum / static_cast<double>(d.size());
    if (d.size() >= 2) {
        out.ci95 = stats::ci95_half_width(d);
        // All differences equal (e.g. identical designs): zero spread, no noise at all.
        out.significant = std::abs(out.value) > out.ci95 && out.value != 0 && !(std::abs(out.value) <= resolution);
    }
    return out;
}

}  // namespace

std::vector<std::string> split_top_level(std::string_view text, char separator) {
    std::vector<std::string> items;
    std::string current;
    int depth = 0;
    char quote = 0;
    for (const char c : text) {
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '[' || c == '{' || c == '(') {
            ++depth;
        } else if (c == ']' || c == '}' || c == ')') {
            --depth;
        } else if (c == separator && depth == 0) {
            items.push_back(trim(current));
            current.clear();
            continue;
        }
        current += c;
    }
    items.push_back(trim(current));
    return items;
}

std::pair<std::string, std::vector<std::string>> parse_variant(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || trim(text.substr(0, colon)).empty()) {
        throw Error("variant '" + std::string(text) + "' has no name: write 'name: key=value, key=value'");
    }
    std::string name = trim(text.substr(0, colon));
    std::vector<std::string> sets;
    for (std::string& item : split_top_level(text.substr(colon + 1))) {
        if (item.empty()) continue;
        if (item.find('=') == std::string::npos) {
            throw Error("variant '" + std::string(text) + "': '" + item + "' is not key=value");
        }
        sets.push_back(std::move(item));
    }
    return {name, sets};
}

CompareResults compare(const std::vector<Design>& designs, const ExperimentOptions& options) {
    if (designs.size() < 2) throw Error(fmt::format("compare needs at least 2 designs, got {}", designs.size()));
    const std::uint64_t master = options.seed.value_or(designs.front().spec.run.seed);
    int n = options.replications;
    if (n <= 0) {
        for (const auto& d : designs) n = std::max(n, d.spec.run.replications);
        // A paired t-test needs several replications to say anything.
        if (n < 2) n = 5;
    }
    if (options.precision) n = std::min(std::max(n, 3), std::max(3, options.max_replications));

    CompareResults out;
    std::vector<double> warmups;
    for (const auto& d : designs) {
        out.names.push_back(d.name);
        warmups.push_back(d.spec.run.warmup_auto ? choose_warmup(d.spec, master, options.jobs, options.stop_flag)
                                                 : d.spec.run.warmup);
    }
    std::vector<std::vector<models::RunResults>> runs(designs.size());
    const auto start = std::chrono::steady_clock::now();
    bool interrupted = false;
    for (;;) {
        for (std::size_t k = 0; k < designs.size() && !interrupted; ++k) {
            const int have = static_cast<int>(runs[k].size());
            // The fraction of every design's n replications (more may follow with precision).
            std::size_t finished = 0;
            for (const auto& r : runs) finished += r.size();
            const double total = static_cast<double>(n) * static_cast<double>(designs.size());
            std::function<bool(double)> progress;
            if (options.progress) {
                progress = [&options, finished, total, batch = n - have](double f) {
                    return options.progress((static_cast<double>(finished) + f * batch) / total);
                };
            }
            auto more = run_replications(designs[k].spec, master, have, n, options.jobs, warmups[k], progress,
                                         options.stop_flag);
            if (static_cast<int>(more.size()) != n - have) interrupted = true;
            for (auto& r : more) runs[k].push_back(std::move(r));
        }
        if (interrupted || !options.precision || n >= options.max_replications) break;
        bool all = true;
        for (const auto& r : runs) all = all && meets_precision(pool(r), *options.precision);
        if (all) break;
        n = std::min(options.max_replications, n + std::max(1, n / 2));
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Keep the paired prefix: the replications every design finished.
    std::size_t common = runs.front().size();
    for (const auto& r : runs) common = std::min(common, r.size());
    for (std::size_t k = 0; k < designs.size(); ++k) {
        runs[k].resize(common);
        ExperimentResults e = pool(runs[k]);
        e.seed = master;
        e.scenario = designs[k].spec.run.name;
        e.warmup_s = warmups[k];
        e.warmup_auto = designs[k].spec.run.warmup_auto;
        e.precision = options.precision;
        if (options.precision) e.precision_reached = meets_precision(e, *options.precision);
        if (interrupted && e.stopped_early.empty()) e.stopped_early = "interrupted";
        e.wall_s = wall;
        out.designs.push_back(std::move(e));
    }

    // Request classes, in the order designs first show them; ops (`service.op`, totals
    // across workloads) after the groups, so designs whose workloads differ still compare.
    const auto class_rows = [&](const char* kind, auto pooled_list, auto run_list) {
        std::vector<std::string> classes;
        for (const auto& e : out.designs) {
            for (const auto& c : pooled_list(e)) {
                if (std::find(classes.begin(), classes.end(), c.name) == classes.end()) classes.push_back(c.name);
            }
        }
        for (const auto& name : classes) {
            for (const char* figure : request_figures) {
                CompareRow row{kind, name, figure, {}, {}, {}};
                std::vector<std::vector<double>> per_run(designs.size());
                const bool percentile = figure[0] == 'p' && figure[1] != 'e';  // p50, p99; not per-second figures
                for (std::size_t k = 0; k < designs.size(); ++k) {
                    for (const auto& r : out.designs[k].runs) {
                        per_run[k].push_back(class_figure(r, run_list(r), name, figure));
                    }
                    row.values.push_back(pooled_class_figure(pooled_list(out.designs[k]), name, figure));
                    const double resolution =
                        percentile && k > 0 ? percentile_resolution(row.values[k].value, row.values[0].value) : 0.0;
                    row.differences.push_back(k == 0 ? Difference{} : paired(per_run[k], per_run[0], resolution));
                }
                out.rows.push_back(std::move(row));
            }
        }
    };
    class_rows(
        "request", [](const ExperimentResults& e) -> const auto& { return e.requests; },
        [](const models::RunResults& r) -> const auto& { return r.requests; });
    // Server groups, by name, in the order designs first show them.
    std::vector<std::string> groups;
    for (const auto& d : designs) {
        for (const auto& g : d.spec.groups) {
            if (std::find(groups.begin(), groups.end(), g.name) == groups.end()) groups.push_back(g.name);
        }
    }
    for (const auto& name : groups) {
        CompareRow row{"group", name, "utilization", {}, {}, {}};
        std::vector<std::vector<double>> per_run(designs.size());
        for (std::size_t k = 0; k < designs.size(); ++k) {
            const Spec& spec = designs[k].spec;
            int group = -1;
            for (std::size_t g = 0; g < spec.groups.size(); ++g) {
                if (spec.groups[g].name == name) group = static_cast<int>(g);
            }
            for (const auto& r : out.designs[k].runs) {
                per_run[k].push_back(group >= 0 ? group_utilization(r, spec, group) : nan);
            }
            row.values.push_back(mean_figure(per_run[k]));
            row.differences.push_back(k == 0 ? Difference{} : paired(per_run[k], per_run[0]));
        }
        out.rows.push_back(std::move(row));
    }
    class_rows(
        "op", [](const ExperimentResults& e) -> const auto& { return e.ops; },
        [](const models::RunResults& r) -> const auto& { return r.ops; });
    // Link directions and replication pairs, by name.
    const auto named_rows = [&](const char* kind, const char* figure, auto names_of, auto value_of, bool percentile) {
        std::vector<std::string> names;
        for (const auto& e : out.designs) {
            if (e.runs.empty()) continue;
            for (const std::string& name : names_of(e.runs.front())) {
                if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
            }
        }
        for (const auto& name : names) {
            CompareRow row{kind, name, figure, {}, {}, {}};
            std::vector<std::vector<double>> per_run(designs.size());
            for (std::size_t k = 0; k < designs.size(); ++k) {
                for (const auto& r : out.designs[k].runs) per_run[k].push_back(value_of(r, name));
                row.values.push_back(mean_figure(per_run[k]));
                const double resolution =
                    percentile && k > 0 ? percentile_resolution(row.values[k].value, row.values[0].value) : 0.0;
                row.differences.push_back(k == 0 ? Difference{} : paired(per_run[k], per_run[0], resolution));
            }
            out.rows.push_back(std::move(row));
        }
    };
    const auto link_names = [](const models::RunResults& r) {
        std::vector<std::string> names;
        for (const auto& l : r.links) names.push_back(l.name);
        return names;
    };
    named_rows("link", "utilization", link_names, [](const models::RunResults& r, const std::string& name) {
        for (const auto& l : r.links) {
            if (l.name == name) return l.utilization;
        }
        return nan;
    }, false);
    const auto pair_names = [](const models::RunResults& r) {
        std::vector<std::string> names;
        for (const auto& p : r.replication) names.push_back(p.name);
        return names;
    };
    for (const bool p99 : {false, true}) {
        named_rows("replication", p99 ? "lag_p99" : "lag_mean", pair_names,
                   [p99](const models::RunResults& r, const std::string& name) {
                       for (const auto& p : r.replication) {
                           if (p.name != name || p.lag.count() == 0) continue;
                           return p99 ? p.lag.quantile(0.99) : p.lag.mean();
                       }
                       return nan;
                   }, p99);
    }
    add_recorded_rows(out);
    return out;
}

void add_recorded_rows(CompareResults& out) {
    // Tables, and rows within them, in the order the designs first show them.
    std::vector<const PooledTable*> tables;
    for (const auto& e : out.designs) {
        for (const PooledTable& t : e.tables) {
            if (std::none_of(tables.begin(), tables.end(), [&](const PooledTable* x) { return x->name == t.name; })) {
                tables.push_back(&t);
            }
        }
    }
    for (const PooledTable* table : tables) {
        std::vector<std::string> names;
        std::vector<const PooledTable*> of_design;
        for (const auto& e : out.designs) {
            const PooledTable* found = nullptr;
            for (const PooledTable& t : e.tables) {
                if (t.name == table->name) found = &t;
            }
            of_design.push_back(found);
            if (found == nullptr) continue;
            for (const PooledRow& r : found->rows) {
                if (std::find(names.begin(), names.end(), r.name) == names.end()) names.push_back(r.name);
            }
        }
        const std::vector<TableStatistic> statistics = table_statistics(*table);
        for (const std::string& name : names) {
            for (const TableStatistic& statistic : statistics) {
                // Figures added to a core table are rows of its kind ("server", "link", ...).
                const char* core_kind = models::core_table_row_key(table->name);
                CompareRow row{core_kind ? core_kind : table->name, name, statistic.label, {}, {}, statistic.unit};
                const bool percentile = statistic.statistic == "p50" || statistic.statistic == "p99";
                std::vector<std::vector<double>> per_run(out.designs.size());
                for (std::size_t k = 0; k < out.designs.size(); ++k) {
                    for (const auto& r : out.designs[k].runs) {
                        per_run[k].push_back(of_design[k] ? run_statistic(r, table->name, name, statistic) : nan);
                    }
                    Figure value;
                    if (of_design[k] != nullptr) {
                        for (const PooledRow& r : of_design[k]->rows) {
                            if (r.name == name) value = pooled_statistic(r, statistic);
                        }
                    }
                    row.values.push_back(value);
                    const double resolution =
                        percentile && k > 0 ? percentile_resolution(row.values[k].value, row.values[0].value) : 0.0;
                    row.differences.push_back(k == 0 ? Difference{} : paired(per_run[k], per_run[0], resolution));
                }
                out.rows.push_back(std::move(row));
            }
        }
    }
}

namespace {

/// Scale, unit text and decimals of a recorded table's figure: seconds in ms, fractions in %.
struct Shown {
    double scale;
    std::string unit;
    int decimals;
};
Shown shown_as(const CompareRow& row) {
    if (row.unit == "s") return {1e3, "ms", 3};
    if (row.unit == "fraction") return {100, "%", 2};
    return {1, row.unit, 2};
}

/// Scale and unit for the table: latencies in ms, utilisation and error rates in %.
std::pair<double, const char*> unit_of(const std::string& figure) {
    if (figure == "mean" || figure == "p50" || figure == "p99" || figure == "lag_mean" || figure == "lag_p99") {
        return {1e3, "ms"};
    }
    if (figure == "throughput_per_s") return {1, "/s"};
    return {100, "%"};
}

}  // namespace

nlohmann::json to_json(const CompareResults& c) {
    nlohmann::json j;
    j["s2sim"] = version;
    j["designs"] = c.names;
    j["replications"] = c.designs.empty() ? 0 : c.designs.front().replications;
    j["seed"] = c.designs.empty() ? 0 : c.designs.front().seed;
    j["rows"] = nlohmann::json::array();
    for (const auto& row : c.rows) {
        nlohmann::json r = {{"kind", row.kind}, {"name", row.name}, {"figure", row.figure}};
        if (!row.unit.empty()) r["unit"] = row.unit;
        r["values"] = nlohmann::json::array();
        for (const auto& v : row.values) {
            r["values"].push_back({{"value", number_or_null(v.value)}, {"ci95", number_or_null(v.ci95)}});
        }
        r["differences"] = nlohmann::json::array();
        for (std::size_t k = 0; k < row.differences.size(); ++k) {
            const auto& d = row.differences[k];
            if (k == 0) {
                r["differences"].push_back(nullptr);
                continue;
            }
            r["differences"].push_back({{"value", number_or_null(d.value)},
                                        {"ci95", number_or_null(d.ci95)},
                                        {"significant", d.significant},
                                        {"relative", number_or_null(row.values[0].value != 0
                                                                        ? d.value / row.values[0].value
                                                                        : std::nan(""))}});
        }
        j["rows"].push_back(std::move(r));
    }
    j["results"] = nlohmann::json::object();
    for (std::size_t k = 0; k < c.designs.size(); ++k) j["results"][c.names[k]] = to_json(c.designs[k]);
    return j;
}

const std::vector<std::string>& result_tables() {
    static const std::vector<std::string> tables = {"requests", "ops", "servers", "links", "replication"};
    return tables;
}

std::string table_of_kind(const std::string& kind) {
    if (kind == "request") return "requests";
    if (kind == "op") return "ops";
    if (kind == "group" || kind == "server") return "servers";
    if (kind == "link") return "links";
    return kind;  // "replication"
}

void check_tables(const std::vector<std::string>& show, const std::vector<std::string>& recorded) {
    std::vector<std::string> known = result_tables();
    known.insert(known.end(), recorded.begin(), recorded.end());
    for (const auto& t : show) {
        if (std::find(known.begin(), known.end(), t) == known.end()) {
            throw Error(fmt::format("unknown table '{}' (expected: {})", t, fmt::join(known, ", ")));
        }
    }
}

void check_tables(const std::vector<std::string>& show, const std::vector<const Spec*>& specs) {
    const bool core_only = std::all_of(show.begin(), show.end(), [](const std::string& t) {
        return std::find(result_tables().begin(), result_tables().end(), t) != result_tables().end();
    });
    std::vector<std::string> published;
    for (const Spec* spec : core_only ? std::vector<const Spec*>{} : specs) {
        for (std::string& name : recorded_table_names(*spec)) {
            if (std::find(published.begin(), published.end(), name) == published.end()) published.push_back(name);
        }
    }
    check_tables(show, published);
}

namespace {

std::vector<std::string> recorded_names(const std::vector<const ExperimentResults*>& results) {
    std::vector<std::string> names;
    for (const ExperimentResults* e : results) {
        for (const PooledTable& t : e->tables) {
            if (std::find(names.begin(), names.end(), t.name) == names.end()) names.push_back(t.name);
        }
    }
    return names;
}

}  // namespace

std::string format_table(const CompareResults& c) { return format_table(c, {}); }

std::string format_table(const CompareResults& c, const std::vector<std::string>& show) {
    std::vector<const ExperimentResults*> designs;
    for (const auto& e : c.designs) designs.push_back(&e);
    check_tables(show, recorded_names(designs));
    const auto shown = [&show](const std::string& kind) {
        return show.empty() || std::find(show.begin(), show.end(), table_of_kind(kind)) != show.end();
    };
    std::string out;
    const int n = c.designs.empty() ? 0 : c.designs.front().replications;
    out += fmt::format("comparing {} designs: {} replications each, seed {}, common random numbers (paired)\n",
                       c.names.size(), n, c.designs.empty() ? 0 : c.designs.front().seed);
    out += fmt::format("values ± 95% CI half-width; differences are to '{}', paired by replication; a difference\n"
                       "whose 95% CI contains 0 is reported as within noise\n",
                       c.names.empty() ? "" : c.names.front());
    if (n < 2) out += "(one replication: no confidence intervals, no significance)\n";
    for (const auto& e : c.designs) {
        if (!e.stopped_early.empty()) out += fmt::format("PARTIAL RESULTS: {}\n", e.stopped_early);
    }
    constexpr int width = 36;
    std::string header = fmt::format("\n{:<26} {:<17}", "request / op / group", "figure");
    for (std::size_t k = 0; k < c.names.size(); ++k) header += fmt::format(" {:>{}}", c.names[k], width);
    out += header + "\n";
    std::string last, last_kind;
    for (const auto& row : c.rows) {
        if (!shown(row.kind)) continue;
        if (row.kind != last_kind) out += fmt::format("{}:\n", table_of_kind(row.kind));
        last_kind = row.kind;
        auto [scale, unit, decimals] = shown_as(row);
        if (row.unit.empty()) {
            const auto [core_scale, core_unit] = unit_of(row.figure);
            scale = core_scale;
            unit = core_unit;
            decimals = row.figure == "throughput_per_s" ? 1 : (unit == "%" ? 2 : 3);
        }
        std::string line =
            fmt::format("{:<26} {:<17}", row.name == last ? "" : row.name, fmt::format("{} {}", row.figure, unit));
        last = row.name;
        for (std::size_t k = 0; k < row.values.size(); ++k) {
            const Figure& v = row.values[k];
            std::string cell = std::isfinite(v.value) ? fmt::format("{:.{}f}", v.value * scale, decimals) : "-";
            if (std::isfinite(v.ci95)) cell += fmt::format(" ±{:.{}f}", v.ci95 * scale, decimals);
            if (k > 0) {
                const Difference& d = row.differences[k];
                if (!std::isfinite(d.value)) {
                    cell += " (n/a)";
                } else if (!std::isfinite(d.ci95)) {
                    cell += fmt::format(" ({:+.{}f})", d.value * scale, decimals);
                } else if (d.significant) {
                    cell += fmt::format(" ({:+.{}f}±{:.{}f} *)", d.value * scale, decimals, d.ci95 * scale, decimals);
                } else {
                    cell += " (within noise)";
                }
            }
            line += fmt::format(" {:>{}}", cell, width);
        }
        out += line + "\n";
    }
    out += "\n* significant at 5%: the paired 95% CI of the difference excludes 0 (and, for percentiles,\n"
           "  the difference exceeds the histogram's resolution)\n";
    return out;
}

void write_csv(const CompareResults& c, const std::string& folder) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) throw Error("cannot create folder '" + folder + "': " + ec.message());
    // Long format, one row per (row, design): the same data as the JSON's "rows".
    std::string text = "table,kind,name,figure,design,value,ci95,difference,difference_ci95,significant\n";
    for (const auto& row : c.rows) {
        for (std::size_t k = 0; k < row.values.size(); ++k) {
            const Difference d = k < row.differences.size() ? row.differences[k] : Difference{};
            text += fmt::format("{},{},{},{},{},{},{},{},{}\n", table_of_kind(row.kind), row.kind, csv_quoted(row.name),
                                row.figure, csv_quoted(c.names[k]), csv_figure(row.values[k]), csv_number(d.value),
                                csv_number(d.ci95), k == 0 ? "" : (d.significant ? "true" : "false"));
        }
    }
    write_file_atomically((std::filesystem::path(folder) / "compare.csv").string(), text);
}

}  // namespace s2sim::scenario

// The writers of the Recorder's tables (models/recorder.hpp), pooled or not: the JSON, the
// CSV files, the terminal sections and the statistics compare and sweep report. One
// writer serves one run (a 1-replication pool) and N replications.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "scenario/experiment.hpp"
#include "scenario/report.hpp"
#include "sim/error.hpp"

namespace s2sim::scenario {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr const char* percentile_names[] = {"p50", "p90", "p95", "p99", "p999"};
constexpr std::size_t p50_index = 0, p99_index = 3;

using models::FigureKind;

/// "handshake_s" -> "handshake": its columns are handshake_mean_s .. handshake_max_s.
std::string latency_base(const std::string& name) {
    return name.size() > 2 && name.ends_with("_s") ? name.substr(0, name.size() - 2) : name;
}

void check_figure_names(const PooledTable& t) {
    for (const models::FigureSpec& f : t.figures) {
        if (f.name == "ci95" || f.name == "per_replication") {
            throw Error("table '" + t.name + "': a figure cannot be named '" + f.name + "' (a key of the results)");
        }
    }
}

}  // namespace

void add_tables_json(nlohmann::json& j, const std::vector<PooledTable>& tables, int replications) {
    for (const PooledTable& t : tables) {
        check_figure_names(t);
        if (t.name == "recorded") throw Error("recorder: 'recorded' is a results key, not a table name");
        // What readers need to lay the table out (Python's DataFrames): the row key and
        // each figure's kind.
        nlohmann::json kinds = nlohmann::json::object();
        for (const models::FigureSpec& f : t.figures) kinds[f.name] = models::figure_kind_name(f.kind);
        j["recorded"][t.name] = {{"row_key", t.row_key}, {"kinds", std::move(kinds)}};
        // Figures added to a core table go into its rows, beside the core's own.
        const bool added = models::core_table_row_key(t.name) != nullptr;
        nlohmann::json rows = nlohmann::json::object();
        for (const PooledRow& row : t.rows) {
            nlohmann::json figures = nlohmann::json::object();
            nlohmann::json per_replication = nlohmann::json::object();
            nlohmann::json ci = nlohmann::json::object();
            for (std::size_t f = 0; f < t.figures.size(); ++f) {
                const std::string& name = t.figures[f].name;
                const PooledFigure& p = row.figures[f];
                switch (t.figures[f].kind) {
                    case FigureKind::counter:
                        figures[name] = p.total;
                        per_replication[name] = number_or_null(p.per_replication.value);
                        ci[name] = number_or_null(p.per_replication.ci95);
                        break;
                    case FigureKind::latency: {
                        figures[name] = latency_json(p.latency.histogram);
                        nlohmann::json c = {{"mean", number_or_null(p.latency.mean.ci95)}};
                        for (std::size_t i = 0; i < std::size(percentile_names); ++i) {
                            c[percentile_names[i]] = number_or_null(p.latency.percentiles[i].ci95);
                        }
                        c["max"] = number_or_null(p.latency.max.ci95);
                        ci[name] = std::move(c);
                        break;
                    }
                    case FigureKind::level:
                        figures[name] = {{"mean", number_or_null(p.mean.value)}, {"max", number_or_null(p.max)}};
                        ci[name] = number_or_null(p.mean.ci95);
                        break;
                    case FigureKind::value:
                        figures[name] = number_or_null(p.mean.value);
                        ci[name] = number_or_null(p.mean.ci95);
                        break;
                }
            }
            if (replications > 1) {
                if (!per_replication.empty()) figures["per_replication"] = std::move(per_replication);
                figures["ci95"] = std::move(ci);
            }
            if (added) {
                nlohmann::json& core_row = j[t.name][row.name];
                for (auto& [key, value] : figures.items()) {
                    if (value.is_object() && (key == "ci95" || key == "per_replication")) {
                        core_row[key].update(value);
                    } else {
                        core_row[key] = std::move(value);
                    }
                }
            } else {
                rows[row.name] = std::move(figures);
            }
        }
        if (!added) j[t.name] = std::move(rows);
        for (const models::FigureSpec& f : t.figures) j["units"][t.name][f.name] = f.unit;
        for (const models::SeriesSpec& s : t.series) j["units"]["timeseries"][t.name][s.name] = s.unit;
    }
}

void add_recorded_timeseries_json(nlohmann::json& j, const models::RunResults& r) {
    for (const models::RecordedTable& t : r.tables) {
        if (!t.per_window || !j.contains("timeseries")) continue;
        if (models::core_table_row_key(t.name)) {
            // Series added to a core table: beside the core's own, per row.
            for (const models::RecordedRow& row : t.rows) {
                nlohmann::json& one = j["timeseries"][t.name][row.name];
                for (std::size_t s = 0; s < t.series.size() && s < row.series.size(); ++s) {
                    nlohmann::json values = nlohmann::json::array();
                    for (const double x : row.series[s]) values.push_back(number_or_null(x));
                    one[t.series[s].name] = std::move(values);
                }
            }
            continue;
        }
        nlohmann::json series = nlohmann::json::object();
        for (const models::RecordedRow& row : t.rows) {
            nlohmann::json one = nlohmann::json::object();
            for (std::size_t s = 0; s < t.series.size() && s < row.series.size(); ++s) {
                nlohmann::json values = nlohmann::json::array();
                for (const double x : row.series[s]) values.push_back(number_or_null(x));
                one[t.series[s].name] = std::move(values);
            }
            series[row.name] = std::move(one);
        }
        j["timeseries"][t.name] = std::move(series);
    }
}

void add_log_json(nlohmann::json& j, const std::vector<models::RecordedEntry>& entries) {
    if (entries.empty()) return;
    nlohmann::json log = nlohmann::json::array();
    for (const models::RecordedEntry& e : entries) {
        nlohmann::json values = nlohmann::json::object();
        for (const auto& [name, x] : e.values) values[name] = number_or_null(x);
        log.push_back({{"at_s", e.at_s}, {"table", e.table}, {"row", e.row}, {"what", e.what}, {"text", e.text},
                       {"values", std::move(values)}});
    }
    j["log"] = std::move(log);
}

namespace {

/// The CSV columns of a table's figures, each after a comma.
std::string figure_columns(const PooledTable& t, bool ci) {
    std::string out;
    const auto column = [&](const std::string& name, bool with_ci) {
        out.append(",").append(csv_quoted(name));
        if (ci && with_ci) out.append(",").append(csv_quoted(name + "_ci95"));
    };
    for (const models::FigureSpec& f : t.figures) {
        switch (f.kind) {
            case FigureKind::counter:
                column(f.name, false);
                if (ci) column(f.name + "_per_replication", true);
                break;
            case FigureKind::latency: {
                const std::string base = latency_base(f.name);
                column(base + "_mean_s", true);
                for (const char* p : percentile_names) column(fmt::format("{}_{}_s", base, p), true);
                column(base + "_max_s", true);
                break;
            }
            case FigureKind::level:
                column(f.name, true);
                column(f.name + "_max", false);
                break;
            case FigureKind::value: column(f.name, true); break;
        }
    }
    return out;
}

/// The CSV fields of a row's figures, each after a comma (as figure_columns).
std::string figure_fields(const PooledTable& t, const PooledRow& row, bool ci) {
    std::string out;
    const auto add = [&](const Figure& f, bool with_ci) {
        out.append(",").append(csv_number(f.value));
        if (ci && with_ci) out.append(",").append(csv_number(f.ci95));
    };
    for (std::size_t i = 0; i < t.figures.size(); ++i) {
        const PooledFigure& p = row.figures[i];
        switch (t.figures[i].kind) {
            case FigureKind::counter:
                add(Figure{static_cast<double>(p.total), nan}, false);
                if (ci) add(p.per_replication, true);
                break;
            case FigureKind::latency:
                add(p.latency.mean, true);
                for (const Figure& q : p.latency.percentiles) add(q, true);
                add(p.latency.max, true);
                break;
            case FigureKind::level:
                add(p.mean, true);
                add(Figure{p.max, nan}, false);
                break;
            case FigureKind::value: add(p.mean, true); break;
        }
    }
    return out;
}

}  // namespace

std::string table_csv_header(const PooledTable& t, bool ci) {
    const std::string columns = figure_columns(t, ci);
    return ci ? "replications" + columns : columns.empty() ? columns : columns.substr(1);
}

std::string table_csv_row(const PooledTable& t, const PooledRow& row, int replications, bool ci) {
    const std::string fields = figure_fields(t, row, ci);
    return ci ? std::to_string(replications) + fields : fields.empty() ? fields : fields.substr(1);
}

const PooledTable* added_to_core(const std::vector<PooledTable>& tables, std::string_view core) {
    for (const PooledTable& t : tables) {
        if (t.name == core) return &t;
    }
    return nullptr;
}

std::string added_csv_header(const PooledTable* added, bool ci) { return added ? figure_columns(*added, ci) : ""; }

std::string added_csv_fields(const PooledTable* header, const PooledTable* added, const std::string& row, bool ci) {
    if (header == nullptr) return "";
    const auto same_figures = [header](const PooledTable& t) {
        return std::equal(t.figures.begin(), t.figures.end(), header->figures.begin(), header->figures.end(),
                          [](const models::FigureSpec& a, const models::FigureSpec& b) {
                              return a.name == b.name && a.kind == b.kind;
                          });
    };
    if (added != nullptr && same_figures(*added)) {
        for (const PooledRow& r : added->rows) {
            if (r.name == row && r.figures.size() == added->figures.size()) return figure_fields(*added, r, ci);
        }
    }
    // No such row (or no such table in these results, or other figures: a sweep's points
    // may differ): as many empty fields as the header's columns.
    const std::string columns = figure_columns(*header, ci);
    return std::string(static_cast<std::size_t>(std::count(columns.begin(), columns.end(), ',')), ',');
}

AddedSeries::AddedSeries(const models::RunResults& run, std::string_view core) {
    for (const models::RecordedTable& t : run.tables) {
        if (t.name != core || !t.per_window) continue;
        table_ = &t;
        for (const models::RecordedRow& r : t.rows) rows_.emplace(r.name, &r);
    }
}

std::string AddedSeries::header() const {
    std::string out;
    if (table_) {
        for (const models::SeriesSpec& s : table_->series) out.append(",").append(csv_quoted(s.name));
    }
    return out;
}

std::string AddedSeries::fields(const std::string& row, std::size_t window) const {
    std::string out;
    if (!table_) return out;
    const auto found = rows_.find(row);
    for (std::size_t s = 0; s < table_->series.size(); ++s) {
        const bool has = found != rows_.end() && s < found->second->series.size() &&
                         window < found->second->series[s].size();
        out.append(",").append(csv_number(has ? found->second->series[s][window] : nan));
    }
    return out;
}

void write_tables_csv(const std::vector<PooledTable>& tables, int replications, const std::string& folder) {
    const bool ci = replications > 1;
    for (const PooledTable& t : tables) {
        if (models::core_table_row_key(t.name)) continue;  // columns of the core table's CSV
        std::string text = csv_quoted(t.row_key) + "," + table_csv_header(t, ci) + "\n";
        for (const PooledRow& row : t.rows) {
            text += csv_quoted(row.name) + "," + table_csv_row(t, row, replications, ci) + "\n";
        }
        write_file_atomically((std::filesystem::path(folder) / (t.name + ".csv")).string(), text);
    }
}

void write_recorded_timeseries_csv(const models::RunResults& r, const std::string& folder) {
    const models::TimeSeries& ts = r.timeseries;
    if (ts.empty()) return;
    for (const models::RecordedTable& t : r.tables) {
        if (!t.per_window || models::core_table_row_key(t.name)) continue;
        std::string text = csv_quoted(t.row_key) + ",start_s,length_s";
        for (const models::SeriesSpec& s : t.series) text.append(",").append(csv_quoted(s.name));
        text += "\n";
        for (const models::RecordedRow& row : t.rows) {
            for (std::size_t i = 0; i < ts.windows(); ++i) {
                text += fmt::format("{},{:.9g},{:.9g}", csv_quoted(row.name), ts.start_s[i], ts.length_s[i]);
                for (std::size_t s = 0; s < t.series.size(); ++s) {
                    const bool has = s < row.series.size() && i < row.series[s].size();
                    text.append(",").append(csv_number(has ? row.series[s][i] : nan));
                }
                text += "\n";
            }
        }
        write_file_atomically((std::filesystem::path(folder) / ("timeseries_" + t.name + ".csv")).string(), text);
    }
}

namespace {

/// A figure for the terminal in its unit: seconds as ms, fractions as %, "± ci95" when known.
std::string cell(const Figure& f, const std::string& unit) {
    if (!std::isfinite(f.value)) return "-";
    const double scale = unit == "s" ? 1e3 : unit == "fraction" ? 100 : 1;
    const auto number = [&](double x) {
        return unit == "s" ? fmt::format("{:.3f}", x * scale)
               : unit == "fraction" ? fmt::format("{:.2f}", x * scale)
                                    : fmt::format("{:.4g}", x * scale);
    };
    std::string s = number(f.value);
    if (std::isfinite(f.ci95)) s += " ±" + number(f.ci95);
    return s;
}

std::string header_unit(const std::string& unit) {
    if (unit == "s") return " ms";
    if (unit == "fraction") return " %";
    return "";
}

}  // namespace

namespace {

/// A column of a table for the terminal: its header and a cell per row.
struct Column {
    std::string header;
    std::vector<std::string> cells;
};

/// The terminal columns of a table: counters' totals, latencies' mean and p99 in ms,
/// levels' and values' means in their unit.
std::vector<Column> terminal_columns(const PooledTable& t) {
    std::vector<Column> columns;
    for (std::size_t f = 0; f < t.figures.size(); ++f) {
        const models::FigureSpec& spec = t.figures[f];
        const auto cells_of = [&](auto get) {
            std::vector<std::string> cells;
            for (const PooledRow& row : t.rows) cells.push_back(get(row.figures[f]));
            return cells;
        };
        switch (spec.kind) {
            case FigureKind::counter:
                columns.push_back({spec.name, cells_of([](const PooledFigure& p) { return std::to_string(p.total); })});
                break;
            case FigureKind::latency: {
                const std::string base = latency_base(spec.name);
                columns.push_back(
                    {base + " mean ms", cells_of([&](const PooledFigure& p) { return cell(p.latency.mean, "s"); })});
                columns.push_back({base + " p99 ms", cells_of([&](const PooledFigure& p) {
                                       return cell(p.latency.percentiles[p99_index], "s");
                                   })});
                break;
            }
            case FigureKind::level:
            case FigureKind::value:
                columns.push_back({spec.name + header_unit(spec.unit),
                                   cells_of([&](const PooledFigure& p) { return cell(p.mean, spec.unit); })});
                break;
        }
    }
    return columns;
}

/// Each column's width: its header, its widest cell, at least 9 (16 with intervals).
std::vector<std::size_t> column_widths(const std::vector<Column>& columns, int replications) {
    std::vector<std::size_t> widths;
    for (const Column& c : columns) {
        std::size_t w = std::max<std::size_t>(c.header.size(), replications > 1 ? 16 : 9);
        for (const std::string& s : c.cells) w = std::max(w, s.size());
        widths.push_back(w);
    }
    return widths;
}

}  // namespace

std::string format_tables(const std::vector<PooledTable>& tables, int replications) {
    std::string out;
    for (const PooledTable& t : tables) {
        if (models::core_table_row_key(t.name)) continue;  // columns of the core table's section
        const std::vector<Column> columns = terminal_columns(t);
        const std::vector<std::size_t> widths = column_widths(columns, replications);
        const std::string title = fmt::format("{} ({})", t.name, t.row_key);
        std::size_t first = std::max<std::size_t>(28, title.size());
        for (const PooledRow& row : t.rows) first = std::max(first, row.name.size());
        out += fmt::format("\n{:<{}}", title, first);
        for (std::size_t c = 0; c < columns.size(); ++c) out += fmt::format(" {:>{}}", columns[c].header, widths[c]);
        out += "\n";
        for (std::size_t r = 0; r < t.rows.size(); ++r) {
            out += fmt::format("{:<{}}", t.rows[r].name, first);
            for (std::size_t c = 0; c < columns.size(); ++c) out += fmt::format(" {:>{}}", columns[c].cells[r], widths[c]);
            out += "\n";
        }
    }
    return out;
}

AddedCells::AddedCells(const std::vector<PooledTable>& tables, std::string_view core, int replications) {
    const PooledTable* added = added_to_core(tables, core);
    if (added == nullptr) return;
    const std::vector<Column> columns = terminal_columns(*added);
    const std::vector<std::size_t> widths = column_widths(columns, replications);
    for (std::size_t c = 0; c < columns.size(); ++c) header_ += fmt::format(" {:>{}}", columns[c].header, widths[c]);
    for (std::size_t r = 0; r < added->rows.size(); ++r) {
        std::string cells;
        for (std::size_t c = 0; c < columns.size(); ++c) cells += fmt::format(" {:>{}}", columns[c].cells[r], widths[c]);
        rows_.emplace(added->rows[r].name, std::move(cells));
    }
    blank_ = std::string(header_.size(), ' ');
}

const std::string& AddedCells::row(const std::string& name) const {
    const auto found = rows_.find(name);
    return found == rows_.end() ? blank_ : found->second;
}

std::string format_log(const std::vector<models::RecordedEntry>& log, const std::string& title, std::size_t shown) {
    if (log.empty()) return "";
    std::string out = fmt::format("\n{} ({} entr{})\n", title, log.size(), log.size() == 1 ? "y" : "ies");
    for (std::size_t i = 0; i < log.size() && i < shown; ++i) {
        const models::RecordedEntry& e = log[i];
        out += fmt::format("{:>12.3f} s  {}: {}\n", e.at_s, e.table, e.text);
    }
    if (log.size() > shown) out += fmt::format("  ... and {} more (every entry is in the JSON's \"log\")\n", log.size() - shown);
    return out;
}

std::vector<TableStatistic> table_statistics(const PooledTable& t) {
    std::vector<TableStatistic> out;
    for (std::uint32_t f = 0; f < t.figures.size(); ++f) {
        const models::FigureSpec& spec = t.figures[f];
        switch (spec.kind) {
            case FigureKind::counter: out.push_back({spec.name, f, "total", spec.unit}); break;
            case FigureKind::latency: {
                const std::string base = latency_base(spec.name);
                for (const char* s : {"mean", "p50", "p99"}) out.push_back({base + "_" + s, f, s, spec.unit});
                break;
            }
            case FigureKind::level:
            case FigureKind::value: out.push_back({spec.name, f, "value", spec.unit}); break;
        }
    }
    return out;
}

double run_statistic(const models::RunResults& run, const std::string& table, const std::string& row,
                     const TableStatistic& s) {
    for (const models::RecordedTable& t : run.tables) {
        if (t.name != table || s.figure >= t.figures.size()) continue;
        for (const models::RecordedRow& r : t.rows) {
            if (r.name != row || s.figure >= r.figures.size()) continue;
            const models::RecordedFigure& x = r.figures[s.figure];
            switch (t.figures[s.figure].kind) {
                case FigureKind::counter: return static_cast<double>(x.count);
                case FigureKind::latency:
                    if (x.latency.count() == 0) return nan;
                    if (s.statistic == "mean") return x.latency.mean();
                    return x.latency.quantile(s.statistic == "p50" ? 0.5 : 0.99);
                case FigureKind::level:
                case FigureKind::value: return x.value;
            }
        }
        // The table exists but the row does not: a counter counted nothing.
        return t.figures[s.figure].kind == FigureKind::counter ? 0.0 : nan;
    }
    return nan;
}

Figure pooled_statistic(const PooledRow& row, const TableStatistic& s) {
    if (s.figure >= row.figures.size()) return {};
    const PooledFigure& p = row.figures[s.figure];
    if (s.statistic == "total") return p.per_replication;
    if (s.statistic == "mean") return p.latency.mean;
    if (s.statistic == "p50") return p.latency.percentiles[p50_index];
    if (s.statistic == "p99") return p.latency.percentiles[p99_index];
    return p.mean;
}

}  // namespace s2sim::scenario

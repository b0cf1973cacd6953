#include "models/recorder.hpp"

#include <algorithm>
#include <cmath>

#include "sim/error.hpp"

namespace s2sim::models {

const char* figure_kind_name(FigureKind kind) {
    switch (kind) {
        case FigureKind::counter: return "counter";
        case FigureKind::latency: return "latency";
        case FigureKind::level: return "level";
        case FigureKind::value: return "value";
    }
    return "?";
}

namespace {

/// "handshake_s" -> "handshake", so its per-window series are handshake_p50_s and _p99_s.
std::string latency_base(const std::string& name) {
    return name.size() > 2 && name.ends_with("_s") ? name.substr(0, name.size() - 2) : name;
}

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// The JSON keys, CSV columns and series names of the core tables (and of their Python
/// DataFrames): a figure added to a core table must not take one.
bool is_core_column(const std::string& name) {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out = {
            "name", "request", "op", "server", "link", "workload", "replications", "count", "throughput_per_s",
            "errors", "error_rate", "timeouts", "retries", "rejected", "latency_s", "error_latency_s", "ci95",
            "per_replication", "utilization", "mean_queue", "max_queue", "completed", "bytes"};
        for (const char* stat : {"mean", "p50", "p90", "p95", "p99", "p999", "max"}) {
            out.emplace_back(stat);
            out.push_back(std::string(stat) + "_s");
            out.push_back(std::string("error_") + stat + "_s");
        }
        return out;
    }();
    return name.ends_with("_ci95") || std::find(names.begin(), names.end(), name) != names.end();
}

/// The names a figure takes in reports: its JSON key, its CSV columns, its series.
std::vector<std::string> figure_columns(const FigureSpec& f) {
    switch (f.kind) {
        case FigureKind::counter: return {f.name, f.name + "_per_replication"};
        case FigureKind::latency: {
            const std::string base = latency_base(f.name);
            std::vector<std::string> out = {f.name};
            for (const char* stat : {"mean", "p50", "p90", "p95", "p99", "p999", "max"}) {
                out.push_back(base + "_" + stat + "_s");
            }
            return out;
        }
        case FigureKind::level: return {f.name, f.name + "_max"};
        case FigureKind::value: return {f.name};
    }
    return {f.name};
}

}  // namespace

const char* core_table_row_key(std::string_view name) {
    if (name == "requests") return "request";
    if (name == "ops") return "op";
    if (name == "servers") return "server";
    if (name == "links") return "link";
    return nullptr;
}

Recorder::TableId Recorder::add_table(std::string name, std::string row_key, std::vector<FigureSpec> figures,
                                      bool per_window) {
    if (find_table(name) != none) throw Error("recorder: table '" + name + "' is declared twice");
    if (const char* core_key = core_table_row_key(name)) {
        // Figures added to a core table's rows: they must not shadow what it has.
        if (row_key != core_key) {
            throw Error("recorder: figures added to table '" + name + "' must have its row key '" + core_key +
                        "', not '" + row_key + "'");
        }
        for (const FigureSpec& f : figures) {
            for (const std::string& column : figure_columns(f)) {
                if (is_core_column(column)) {
                    throw Error("recorder: figure '" + f.name + "' added to table '" + name + "' would clash with its '" +
                                column + "'");
                }
            }
        }
    }
    // The results JSON's own keys: a table of that name would overwrite them.
    for (const char* reserved : {"s2sim", "scenario", "seed", "replications", "simulated_s", "wall_s", "events",
                                 "partial", "requests", "ops", "servers", "links", "replication", "timeseries",
                                 "units", "log", "warmup_s", "warmup_auto", "precision", "designs", "points",
                                 "recorded", "runs", "model", "latency_cdf", "warnings", "command"}) {
        if (name == reserved && !core_table_row_key(name)) throw Error("recorder: '" + name + "' is a results key, not a table name");
    }
    // Keys the pooled JSON adds to each row beside the figures.
    for (const FigureSpec& f : figures) {
        if (f.name == "ci95" || f.name == "per_replication" || f.name == "name") {
            throw Error("recorder: table '" + name + "' cannot name a figure '" + f.name + "' (a results key)");
        }
    }
    for (std::size_t i = 0; i < figures.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (figures[i].name == figures[j].name) {
                throw Error("recorder: table '" + name + "' declares figure '" + figures[i].name + "' twice");
            }
        }
    }
    Table t;
    t.spec.name = std::move(name);
    t.spec.row_key = std::move(row_key);
    t.spec.per_window = per_window;
    if (per_window) {
        for (std::uint32_t f = 0; f < figures.size(); ++f) {
            const FigureSpec& fig = figures[f];
            if (fig.kind == FigureKind::latency) {
                const std::string base = latency_base(fig.name);
                t.spec.series.push_back(SeriesSpec{base + "_p50_s", fig.unit, f});
                t.spec.series.push_back(SeriesSpec{base + "_p99_s", fig.unit, f});
            } else {
                t.spec.series.push_back(SeriesSpec{fig.name, fig.unit, f});
            }
        }
    }
    t.spec.figures = std::move(figures);
    tables_.push_back(std::move(t));
    return static_cast<TableId>(tables_.size() - 1);
}

std::uint32_t Recorder::find_table(const std::string& name) const {
    for (std::uint32_t i = 0; i < tables_.size(); ++i) {
        if (tables_[i].spec.name == name) return i;
    }
    return none;
}

Recorder::RowId Recorder::add_row(TableId table, std::string name) {
    Table& t = tables_.at(table);
    for (const RecordedRow& r : t.spec.rows) {
        if (r.name == name) throw Error("recorder: table '" + t.spec.name + "' has row '" + name + "' twice");
    }
    RecordedRow row;
    row.name = std::move(name);
    row.series.assign(t.spec.series.size(), std::vector<double>(t.windows, nan));
    t.spec.rows.push_back(std::move(row));
    t.cells.resize(t.cells.size() + t.spec.figures.size());
    return static_cast<RowId>(t.spec.rows.size() - 1);
}

Recorder::Cell& Recorder::cell(TableId table, RowId row, std::uint32_t figure, FigureKind kind) {
    Table& t = tables_.at(table);
    if (row >= t.spec.rows.size() || figure >= t.spec.figures.size()) {
        throw Error("recorder: table '" + t.spec.name + "' has no row " + std::to_string(row) + " figure " +
                    std::to_string(figure));
    }
    if (t.spec.figures[figure].kind != kind) {
        throw Error("recorder: figure '" + t.spec.figures[figure].name + "' of table '" + t.spec.name + "' is a " +
                    figure_kind_name(t.spec.figures[figure].kind) + ", not a " + figure_kind_name(kind));
    }
    return t.cells[row * t.spec.figures.size() + figure];
}

Recorder::Counter Recorder::counter(TableId table, RowId row, std::uint32_t figure) {
    return Counter{&cell(table, row, figure, FigureKind::counter).count};
}

Recorder::Latency Recorder::latency(TableId table, RowId row, std::uint32_t figure) {
    Cell& c = cell(table, row, figure, FigureKind::latency);
    return Latency{&c.total, tables_[table].spec.per_window ? &c.window : nullptr};
}

Recorder::Level Recorder::level(TableId table, RowId row, std::uint32_t figure) {
    return Level{&cell(table, row, figure, FigureKind::level).level};
}

Recorder::Value Recorder::value(TableId table, RowId row, std::uint32_t figure) {
    return Value{&cell(table, row, figure, FigureKind::value).value};
}

void Recorder::log(Time at, std::string table, std::string row, std::string what, std::string text,
                   std::vector<std::pair<std::string, double>> values) {
    log_.push_back(RecordedEntry{static_cast<double>(at.ns()) / 1e9, std::move(table), std::move(row),
                                 std::move(what), std::move(text), std::move(values)});
}

void Recorder::start_measuring(Time now) {
    for (Table& t : tables_) {
        for (Cell& c : t.cells) {
            c.count = 0;
            c.count_at_window_start = 0;
            c.total.reset();
            c.window.reset();
            c.level.reset(now);
            c.level_at_window_start = 0;
        }
    }
}

void Recorder::close_window(Time start, Time now) {
    const double length = (now - start).seconds();
    for (Table& t : tables_) {
        if (!t.spec.per_window) continue;
        const std::size_t figures = t.spec.figures.size();
        for (std::size_t r = 0; r < t.spec.rows.size(); ++r) {
            RecordedRow& row = t.spec.rows[r];
            for (std::size_t s = 0; s < t.spec.series.size(); ++s) {
                const SeriesSpec& series = t.spec.series[s];
                Cell& c = t.cells[r * figures + series.figure];
                double x = nan;
                switch (t.spec.figures[series.figure].kind) {
                    case FigureKind::counter: x = static_cast<double>(c.count - c.count_at_window_start); break;
                    case FigureKind::latency:
                        if (c.window.count() > 0) x = c.window.quantile(series.name.ends_with("_p50_s") ? 0.5 : 0.99);
                        break;
                    case FigureKind::level:
                        // The difference of the integrals at the window's ends; it can dip a hair
                        // below 0 from rounding when the signal is 0.
                        x = length > 0 ? (c.level.integral(now) - c.level_at_window_start) / length : nan;
                        break;
                    case FigureKind::value: x = c.value; break;
                }
                row.series[s].push_back(x);
            }
            // Window-start snapshots after every series of the row read them.
            for (std::size_t f = 0; f < figures; ++f) {
                Cell& c = t.cells[r * figures + f];
                c.count_at_window_start = c.count;
                c.window.reset();
                if (t.spec.figures[f].kind == FigureKind::level) c.level_at_window_start = c.level.integral(now);
            }
        }
        ++t.windows;
    }
}

std::vector<RecordedTable> Recorder::collect(Time now, bool measuring) {
    std::vector<RecordedTable> out;
    out.reserve(tables_.size());
    for (Table& t : tables_) {
        const std::size_t figures = t.spec.figures.size();
        for (std::size_t r = 0; r < t.spec.rows.size(); ++r) {
            RecordedRow& row = t.spec.rows[r];
            row.figures.resize(figures);
            for (std::size_t f = 0; f < figures; ++f) {
                Cell& c = t.cells[r * figures + f];
                RecordedFigure& fig = row.figures[f];
                switch (t.spec.figures[f].kind) {
                    case FigureKind::counter: fig.count = c.count; break;
                    case FigureKind::latency: fig.latency = std::move(c.total); break;
                    case FigureKind::level:
                        fig.value = measuring ? c.level.mean(now) : 0.0;
                        fig.max = c.level.max();
                        break;
                    case FigureKind::value: fig.value = c.value; break;
                }
            }
        }
        out.push_back(std::move(t.spec));
    }
    tables_.clear();
    return out;
}

}  // namespace s2sim::models

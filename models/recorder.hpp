#pragma once
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/stats/log_histogram.hpp"
#include "sim/stats/time_weighted.hpp"
#include "sim/time.hpp"

/// The recorder: components publish named figures once, with their unit and kind, keyed by
/// what they describe (a service, a link direction, an op, ...), and every report iterates
/// over what was recorded. (OMNeT++'s signals and @statistic are the model: components
/// emit, the recorder keeps totals and per-window series.)
///
/// A component declares a table once when the System is built (`add_table`), adds a row per
/// thing it describes (`add_row`), keeps the handles of the figures it records, and records
/// through them on the hot path (plain pointer writes: no lookup, no virtual call). The
/// recorder forgets the warm-up (`start_measuring`), closes the time-series windows and,
/// at the end, hands the tables over as plain data (RecordedTable, in RunResults::tables).
namespace s2sim::models {

/// How a figure is measured: decides what reports show of it and how replications pool it.
enum class FigureKind : std::uint8_t {
    /// Events counted over the measured span (an integer). Per window: counted in the window.
    /// Pooled: total over replications, and a mean per replication with its CI.
    counter,
    /// Seconds, kept as a histogram: mean, p50, p90, p95, p99, p999, max. Per window: p50 and
    /// p99 (series `<base>_p50_s`, `<base>_p99_s`, base = the name without its `_s`). Pooled:
    /// the histograms merge.
    latency,
    /// A piecewise-constant signal (servers up, connections open, queue length): its time
    /// average over the measured span and its largest value. Per window: its average in the
    /// window. Pooled: mean over replications with CI; max of the maxima.
    level,
    /// A number a component sets (a ratio, a setting in force): the last value set. Per
    /// window: its value when the window closes. Pooled: mean over replications with CI.
    value,
};

/// The name of a kind, as the JSON's "units" and the docs write it.
[[nodiscard]] const char* figure_kind_name(FigureKind kind);

/// The core tables a component can add figures to (RunResults::requests, ops, servers and
/// links): declaring a table of one of these names, with the core table's row key, adds its
/// figures to the core table's rows (rows named as the core's: "workload/op", "service.op",
/// the server, "a->b"). Reports write them into the core table: keys of its JSON rows,
/// columns appended to its CSV files, its compare and sweep rows, its per-window series.
/// The row key of core table `name` ("request", "op", "server", "link"), or nullptr when
/// `name` is not a core table that takes figures.
[[nodiscard]] const char* core_table_row_key(std::string_view name);

/// One figure of a table: a column of the CSV, a key of the JSON.
struct FigureSpec {
    std::string name;   ///< "opened", "handshake_s": the JSON key and CSV column
    std::string unit;   ///< "s", "bytes", "fraction", or what is counted ("connections", ...)
    FigureKind kind = FigureKind::counter;
    std::string brief;  ///< one line saying what it measures (for the docs and reports)
};

/// One figure of one row, as recorded (only the members of its kind are meaningful).
struct RecordedFigure {
    std::uint64_t count = 0;      ///< counter: events in the measured span
    double value = 0;             ///< level: time average; value: the last value set
    double max = 0;               ///< level: the largest value held
    stats::LogHistogram latency;  ///< latency: seconds
};

/// One row of a recorded table: what it describes and its figures, in the table's order.
struct RecordedRow {
    std::string name;                      ///< "db", "a->b", "db.read"
    std::vector<RecordedFigure> figures;   ///< one per RecordedTable::figures
    /// Per-window series (tables recorded per window only): one per RecordedTable::series,
    /// each one value per window of RunResults::timeseries (NaN where undefined: a latency
    /// with no sample, a row that did not exist yet).
    std::vector<std::vector<double>> series;
};

/// The name and unit of one per-window series of a table.
struct SeriesSpec {
    std::string name;    ///< "opened", "handshake_p99_s"
    std::string unit;
    std::uint32_t figure = 0;  ///< index into RecordedTable::figures
};

/// A table as recorded: plain data in RunResults, for reports to iterate over.
struct RecordedTable {
    std::string name;     ///< "connections": the JSON key, the CSV file `<name>.csv`
    std::string row_key;  ///< what a row is: "service", "link", "service.op", ...
    std::vector<FigureSpec> figures;
    std::vector<RecordedRow> rows;  ///< in the order they were added
    bool per_window = false;        ///< rows carry per-window series (when the run has windows)
    std::vector<SeriesSpec> series; ///< the series each row carries (empty unless per_window)
};

/// A line of the run's log: a decision or a finding (a scaling decision, an ejection, a
/// metastability finding), with the numbers behind it.
struct RecordedEntry {
    double at_s = 0;    ///< seconds from the start of the run (warm-up included), as time series
    std::string table;  ///< the table the entry belongs to ("scaling")
    std::string row;    ///< the row it is about ("web")
    std::string what;   ///< a short tag: "scale_out", "eject", "metastable"
    std::string text;   ///< one sentence for people
    std::vector<std::pair<std::string, double>> values;  ///< the numbers behind it, named
};

/// The live recorder a System owns. Handles stay valid for the whole run.
class Recorder {
public:
    using TableId = std::uint32_t;
    using RowId = std::uint32_t;

    /// Declares a table; throws s2sim::Error on a duplicate table name or figure name, a
    /// results key as a table name, or, for figures added to a core table
    /// (core_table_row_key), another row key or a figure whose name or columns would clash
    /// with the core table's own.
    TableId add_table(std::string name, std::string row_key, std::vector<FigureSpec> figures,
                      bool per_window = false);
    /// Adds a row (at any time; rows added after windows closed get NaN in earlier windows).
    /// Throws s2sim::Error when the table already has a row of that name.
    RowId add_row(TableId table, std::string name);
    /// Finds a table by name; none when absent.
    [[nodiscard]] std::uint32_t find_table(const std::string& name) const;
    static constexpr std::uint32_t none = UINT32_MAX;

    /// Handles: what components keep and record through.
    struct Counter {
        std::uint64_t* total = nullptr;
        void add(std::uint64_t n = 1) const { *total += n; }
    };
    struct Latency {
        stats::LogHistogram* total = nullptr;
        stats::LogHistogram* window = nullptr;  ///< null unless the table is per window
        void record(double seconds) const {
            total->record(seconds);
            if (window) window->record(seconds);
        }
    };
    struct Level {
        stats::TimeWeighted* signal = nullptr;
        void set(Time now, double value) const { signal->update(now, value); }
        [[nodiscard]] double value() const { return signal->value(); }
    };
    struct Value {
        double* value = nullptr;
        void set(double v) const { *value = v; }
    };
    /// The handle of figure `figure` (its index in the table's figures) of a row; throws
    /// s2sim::Error when the figure is not of that kind.
    [[nodiscard]] Counter counter(TableId table, RowId row, std::uint32_t figure);
    [[nodiscard]] Latency latency(TableId table, RowId row, std::uint32_t figure);
    [[nodiscard]] Level level(TableId table, RowId row, std::uint32_t figure);
    [[nodiscard]] Value value(TableId table, RowId row, std::uint32_t figure);

    /// Adds a line to the run's log (kept whether measuring or not: decisions in the warm-up
    /// explain what follows).
    void log(Time at, std::string table, std::string row, std::string what, std::string text,
             std::vector<std::pair<std::string, double>> values = {});

    /// Forgets what was recorded so far (the warm-up); levels keep their current value.
    void start_measuring(Time now);
    /// Closes the window [start, now) of every per-window table.
    void close_window(Time start, Time now);
    /// The tables and log (moved out: call once, at the end). `measuring`: false when the
    /// run stopped before the warm-up ended (levels then report 0).
    [[nodiscard]] std::vector<RecordedTable> collect(Time now, bool measuring);
    [[nodiscard]] std::vector<RecordedEntry> take_log() { return std::move(log_); }
    [[nodiscard]] bool empty() const { return tables_.empty() && log_.empty(); }

private:
    struct Cell {
        std::uint64_t count = 0;
        std::uint64_t count_at_window_start = 0;
        double value = 0;
        stats::LogHistogram total;
        stats::LogHistogram window;
        stats::TimeWeighted level;
        double level_at_window_start = 0;  ///< integral at the window's start
    };
    struct Table {
        RecordedTable spec;  ///< rows hold names and series; figures are filled at collect
        std::deque<Cell> cells;  ///< row-major; a deque keeps handles valid as rows are added
        std::size_t windows = 0;
    };
    Cell& cell(TableId table, RowId row, std::uint32_t figure, FigureKind kind);

    // A deque: adding a table must not move the others (a vector copies them, since a deque's
    // move may throw, and every handle into their cells would dangle).
    std::deque<Table> tables_;
    std::vector<RecordedEntry> log_;
};

}  // namespace s2sim::models

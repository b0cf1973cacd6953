#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/analytic.hpp"
#include "models/results.hpp"
#include "scenario/spec.hpp"
#include "sim/stats/log_histogram.hpp"

/// Experiments on scenarios: independent replications with 95% confidence intervals
/// (run in parallel), paired comparisons of designs with common random numbers,
/// parameter sweeps, and the analytic estimate of a Spec. Everything here returns
/// plain data; the reports (JSON, table, CSV) are free functions next to them.
namespace s2sim::scenario {

/// How to run the replications of an experiment.
struct ExperimentOptions {
    /// Master seed; none = the Spec's `[scenario] seed`. Replication 0 runs with the
    /// master seed itself (so one replication equals `s2sim run`), replication i > 0
    /// with replication_seed(master, i).
    std::optional<std::uint64_t> seed;
    /// Replications to run; 0 = the Spec's `replications` (compare() uses at least 5
    /// when this resolves to 1, since a paired test needs several).
    int replications = 0;
    /// Threads running replications at once; 0 = all cores. Results do not depend on it.
    int jobs = 0;
    /// Target relative half-width (e.g. 0.02): keep adding replications until the 95% CI
    /// half-width of every class's mean and p99 is within `precision` of the value, or
    /// `max_replications` is reached. none = run exactly `replications`.
    std::optional<double> precision;
    /// Upper bound on replications when `precision` is set.
    int max_replications = 50;
    /// Called with the fraction of all the work done (0..1): of every replication (the
    /// running ones count by their simulated time, about a hundred calls each; with
    /// `precision`, of those planned so far), of every design in compare, of every point
    /// in sweep. From worker threads but never two at once. Observes only: results do not
    /// change. Returning false stops the replications; the results then hold those
    /// finished and are marked partial.
    std::function<bool(double fraction)> progress;
    /// Set to true (from a signal handler or another thread) to stop now: running
    /// replications stop within a few thousand events and are dropped (a partial
    /// replication would bias the pooled figures); finished ones are kept and the
    /// results are marked partial. Borrowed; nullptr = none.
    const std::atomic<bool>* stop_flag = nullptr;
};

/// The seed of replication `index` under `master`: `master` for index 0, else a
/// SplitMix64 mix of both (independent streams, stable across platforms).
[[nodiscard]] std::uint64_t replication_seed(std::uint64_t master, int index);

/// One figure across replications: `value` is the pooled estimate, `ci95` the
/// half-width of its 95% Student-t confidence interval computed from the per-replication
/// values (NaN for one replication, or when the figure is undefined).
struct Figure {
    double value = std::numeric_limits<double>::quiet_NaN();
    double ci95 = std::numeric_limits<double>::quiet_NaN();
};

/// A request class (`workload/op`) or an op (`service.op`) over all replications.
/// Counts are totals over the replications; latency is the merge of every replication's
/// histogram (pooled percentiles). Latency figures are seconds; NaN when nothing completed.
struct ClassFigures {
    std::string name;
    std::uint64_t count = 0;
    std::uint64_t errors = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t rejected = 0;
    std::uint64_t retries = 0;
    stats::LogHistogram latency;  ///< seconds, pooled, of the requests (calls) that succeeded
    stats::LogHistogram error_latency;  ///< seconds, pooled, of those that failed
    Figure mean, p50, p90, p95, p99, p999, max;  ///< of `latency` (successes only)
    Figure throughput_per_s;  ///< completed requests per simulated second (mean over replications)
    Figure error_rate;        ///< errors / count (pooled value; CI over replications)
};

/// A server over all replications.
struct ServerFigures {
    std::string name;
    Figure utilization;  ///< mean busy fraction of the cores
    Figure mean_queue;   ///< mean jobs waiting
    double max_queue = 0;  ///< largest over the replications
    std::uint64_t completed = 0;  ///< total
    std::uint64_t rejected = 0;   ///< total
};

/// One link direction over all replications.
struct LinkFigures {
    std::string name;
    Figure utilization;
    Figure bytes;  ///< bytes per replication (mean)
};

/// A replication pair (`service.op->replica`) over all replications: counts are totals,
/// the lag histogram is pooled (seconds); `mean_lag`, `p99_lag` and `mean_backlog` carry
/// the 95% CI over the replications.
struct ReplicationFigures {
    std::string name;
    std::uint64_t count = 0;
    std::uint64_t failed = 0;
    stats::LogHistogram lag;
    Figure mean_lag, p99_lag;
    Figure mean_backlog;     ///< writes committed but not yet applied, time-averaged
    double max_backlog = 0;  ///< largest over the replications
};

/// The latency figures of a histogram pooled over replications: mean, p50, p90, p95, p99,
/// p999 and max of the merged histogram (seconds; NaN when empty), each with the 95% CI of
/// its per-replication values (a percentile's never narrower than the histogram's resolution).
struct LatencyFigures {
    stats::LogHistogram histogram;  ///< merged over the replications
    Figure mean;
    std::array<Figure, 5> percentiles;  ///< p50, p90, p95, p99, p999
    Figure max;
};

/// One figure of one row of a recorded table (models/recorder.hpp) over all replications;
/// only the members of its kind are meaningful.
struct PooledFigure {
    std::uint64_t total = 0;  ///< counter: events over all replications
    Figure per_replication;   ///< counter: events per replication (a replication without the row counts 0)
    Figure mean;              ///< level: mean of the time averages; value: mean of the last values
    double max = std::numeric_limits<double>::quiet_NaN();  ///< level: the largest value held in any replication
    LatencyFigures latency;   ///< latency
};

/// A row of a recorded table over all replications.
struct PooledRow {
    std::string name;
    std::vector<PooledFigure> figures;  ///< one per PooledTable::figures
};

/// A table the components published through the Recorder, pooled over the replications:
/// tables and rows by name, in the order the replications first show them.
struct PooledTable {
    std::string name;
    std::string row_key;
    std::vector<models::FigureSpec> figures;
    bool per_window = false;
    std::vector<models::SeriesSpec> series;
    std::vector<PooledRow> rows;
};

/// Pools the Recorder's tables of `runs` (RunResults::tables): counters total and per
/// replication, latency histograms merged, levels and values averaged (see PooledFigure).
[[nodiscard]] std::vector<PooledTable> pool_tables(const std::vector<models::RunResults>& runs);

/// What an experiment measured: every replication's RunResults (index order) and the
/// pooled figures with their confidence intervals.
struct ExperimentResults {
    std::string scenario;
    std::uint64_t seed = 0;     ///< master seed
    int replications = 0;       ///< replications run (runs.size())
    double warmup_s = 0;        ///< warm-up used (chosen by MSER-5 when warmup_auto)
    bool warmup_auto = false;   ///< the warm-up was chosen by MSER-5 on a pilot run
    std::optional<double> precision;  ///< the target, when one was asked for
    bool precision_reached = false;   ///< every class's mean and p99 met the target
    double simulated_s = 0;     ///< measured simulated seconds per replication
    double wall_s = 0;          ///< elapsed wall seconds for the whole experiment
    std::uint64_t events = 0;   ///< total over replications
    std::string stopped_early;  ///< empty, or why some results are partial
    std::vector<models::RunResults> runs;
    std::vector<ClassFigures> requests;
    std::vector<ClassFigures> ops;
    std::vector<ServerFigures> servers;
    std::vector<LinkFigures> links;
    std::vector<ReplicationFigures> replication;
    std::vector<PooledTable> tables;  ///< the Recorder's tables (RunResults::tables), pooled
};

/// Runs `spec` with independent replications in parallel (each builds its own System
/// from the Spec) and pools them. Applies warmup = "auto" (MSER-5, see mser5_truncation)
/// and `options.precision`. Same spec and options = the same results, whatever `jobs`.
/// Throws ConfigError/Error as build() and System do.
[[nodiscard]] ExperimentResults run_experiment(const Spec& spec, const ExperimentOptions& options = {});

/// Pools finished runs (in replication order) into figures; used by run_experiment and
/// handy for runs made elsewhere. `runs` is borrowed and copied into the result.
[[nodiscard]] ExperimentResults pool(const std::vector<models::RunResults>& runs);

/// How run_experiment starts, for experiments whose replications run elsewhere (one task
/// each on a Dask cluster, see python/s2sim/experiments.py) and must match a local run.
struct ExperimentPlan {
    std::uint64_t seed = 0;     ///< master seed: options.seed, else the Spec's
    int replications = 0;       ///< replications of the first round (at least 3 with a precision)
    bool warmup_auto = false;   ///< warmup = "auto": warmup_s is for choose_warmup(spec, seed) to give
    double warmup_s = 0;        ///< the Spec's warm-up, seconds
};

/// The plan run_experiment(spec, options) follows. Throws s2sim::Error for bad options
/// (replications < 1, precision <= 0, max_replications < 2) as run_experiment does.
[[nodiscard]] ExperimentPlan plan_experiment(const Spec& spec, const ExperimentOptions& options);

/// With options.precision, how many replications in all the experiment needs after the
/// runs pooled in `pooled`: pooled.replications when every class meets the target or
/// options.max_replications is reached, else more (as many as the widest interval needs
/// if it shrinks as 1/sqrt(n), at least one more). Without precision: pooled.replications.
[[nodiscard]] int replications_wanted(const ExperimentResults& pooled, const ExperimentOptions& options);

/// What run_experiment returns for `runs`, replications 0..n-1 of `plan` in order:
/// pool(runs) with the plan's master seed and warm-up, and the `precision` target with
/// whether it was reached. wall_s is the caller's to set.
[[nodiscard]] ExperimentResults pool_experiment(const std::vector<models::RunResults>& runs,
                                                const ExperimentPlan& plan, std::optional<double> precision);

/// Runs replications [first, last) of `spec` (index i with replication_seed(master, i))
/// on up to `jobs` threads (0 = all cores), each building its own System, and returns
/// them in index order. `warmup_s` replaces the Spec's warm-up when set. `progress` and
/// `stop_flag` as in ExperimentOptions (fraction of these replications; when stopped,
/// the finished prefix is returned). The lower-level piece of run_experiment and compare.
[[nodiscard]] std::vector<models::RunResults> run_replications(
    const Spec& spec, std::uint64_t master_seed, int first, int last, int jobs,
    std::optional<double> warmup_s = std::nullopt, const std::function<bool(double)>& progress = {},
    const std::atomic<bool>* stop_flag = nullptr);

/// The warm-up MSER picks for `spec` (seconds), from a pilot with seed `master_seed`, no
/// warm-up and the Spec's duration P, cut into 20 windows: the series is the mean latency
/// of all requests completed in each window. Until RunResults carries time series, the
/// windows are measured by 20 runs of the same seed stopped at each window's end (one
/// sample path, by common random numbers; differences of cumulative sums and counts give
/// each window), run in parallel on `jobs` threads: about 10 P of simulated time. Each
/// window mean is already a batch mean, so MSER runs on them unbatched
/// (mser_truncation(series, 1)); the result is at most P / 2. Once `stop_flag` is set the
/// pilot stops and its result means nothing: the caller checks the flag.
[[nodiscard]] double choose_warmup(const Spec& spec, std::uint64_t master_seed, int jobs = 0,
                                   const std::atomic<bool>* stop_flag = nullptr);

/// True when every request class that completed requests has a 95% CI half-width of its
/// mean and of its p99 within `precision` times the value (needs >= 2 replications).
[[nodiscard]] bool meets_precision(const ExperimentResults& results, double precision);

/// MSER (White 1997; Franklin and White 2008): groups `series` into batches of `batch`
/// consecutive values, then returns the number of leading values to drop (a multiple of
/// `batch`) that minimises sum((y_i - mean_d)^2) / (n - d)^2 over the remaining batch
/// means, searching d only over the first half. 0 for fewer than 2 batches.
[[nodiscard]] std::size_t mser_truncation(std::span<const double> series, std::size_t batch);
/// MSER-5: mser_truncation(series, 5).
[[nodiscard]] std::size_t mser5_truncation(std::span<const double> series);

/// A run as a 1-replication experiment (pool({run}) with the run's wall time): what
/// to_json, format_table and write_csv of a RunResults report, so that one writer serves
/// one run and N replications.
[[nodiscard]] ExperimentResults one_run(const models::RunResults& run);

/// The results JSON of docs/results.md: "replications": N, pooled figures, and per class a
/// "ci95" object (mean, p50, p90, p95, p99, p999, throughput_per_s, error_rate) when
/// N > 1, per server "ci95" (utilization, mean_queue). Includes "warmup_s" and the time
/// series of each replication under "runs". For one replication: the run's JSON (no
/// intervals, its time series and log at the top level) plus warm-up keys.
[[nodiscard]] nlohmann::json to_json(const ExperimentResults& results);
/// Adds a run's timeouts and retries per window to json["timeseries"]["requests"] and
/// its replication backlog and lag p99 per window as json["timeseries"]["replication"]
/// (defined in report.cpp; the rest of the time series is add_timeseries_json's).
void add_resilience_timeseries_json(nlohmann::json& json, const models::RunResults& results);
// The recorded tables (ExperimentResults::tables): one writer for one run and for N
// replications (scenario/recorded_tables.cpp); docs/results.md describes each form.

/// Adds every table as json[table][row][figure] (counter: the total; latency: {mean, p50..,
/// max}; level: {mean, max}; value: a number) and, with several replications, per row
/// "per_replication" (counters' mean per replication) and "ci95" (counters' per
/// replication, latencies' {mean, p50.., max}, levels', values'); units under json["units"]
/// (per-window series' under json["units"]["timeseries"][table]); json["recorded"][table] =
/// {row_key, kinds: {figure: "counter" | "latency" | "level" | "value"}}.
/// Throws s2sim::Error when a figure is named "ci95" or "per_replication", or a table "recorded".
void add_tables_json(nlohmann::json& json, const std::vector<PooledTable>& tables, int replications);
/// Adds the per-window series of a run's recorded tables under json["timeseries"][table]
/// (when the JSON has time series; add_tables_json writes their units).
void add_recorded_timeseries_json(nlohmann::json& json, const models::RunResults& run);
/// Adds the log (when not empty) as json["log"]: [{at_s, table, row, what, text, values}].
void add_log_json(nlohmann::json& json, const std::vector<models::RecordedEntry>& log);
/// The CSV header columns of a table's figures after its name column: with `ci`, the
/// replications column, per-replication counters and `_ci95` columns (see docs/results.md).
[[nodiscard]] std::string table_csv_header(const PooledTable& table, bool ci);
/// The CSV fields of a row, matching table_csv_header (no trailing newline).
[[nodiscard]] std::string table_csv_row(const PooledTable& table, const PooledRow& row, int replications, bool ci);
/// `<table>.csv` for every table in `folder` (which exists); `_ci95` columns with several replications.
void write_tables_csv(const std::vector<PooledTable>& tables, int replications, const std::string& folder);
/// `timeseries_<table>.csv` (long format: row, start_s, length_s, series...) for each
/// per-window table of `run`, in `folder` (which exists); nothing without time series.
void write_recorded_timeseries_csv(const models::RunResults& run, const std::string& folder);
/// A compact section per table for the terminal (counters, latency mean and p99 in ms,
/// levels' mean, values), "value ±ci95" with several replications; "" without tables.
[[nodiscard]] std::string format_tables(const std::vector<PooledTable>& tables, int replications);
/// The log for the terminal under `title`: a line per entry (seconds, table, text), the
/// first `shown`, then a count of the rest; "" when empty.
[[nodiscard]] std::string format_log(const std::vector<models::RecordedEntry>& log, const std::string& title = "log",
                                     std::size_t shown = 10);
/// The figures of a recorded table that compare and sweep report, as (label, figure index,
/// statistic) with statistic "total" (counters, per replication), "mean", "p50", "p99"
/// (latencies) or "value" (levels' mean, values).
struct TableStatistic {
    std::string label;       ///< "opened", "handshake_mean", "handshake_p99"
    std::uint32_t figure = 0;
    std::string statistic;
    std::string unit;        ///< the figure's unit ("s" for latencies)
};
[[nodiscard]] std::vector<TableStatistic> table_statistics(const PooledTable& table);
/// The value of `statistic` for row `row` of table `table` in one run (NaN when absent;
/// a counter's absent row is 0).
[[nodiscard]] double run_statistic(const models::RunResults& run, const std::string& table, const std::string& row,
                                   const TableStatistic& statistic);
/// The pooled value of `statistic` (with its CI) for a row.
[[nodiscard]] Figure pooled_statistic(const PooledRow& row, const TableStatistic& statistic);
// Figures components add to the core tables (models::core_table_row_key): written into the
// core table's own JSON rows, CSV columns (appended) and per-window series.

/// The table of figures added to core table `core` ("requests", "ops", "servers", "links"),
/// or null when there is none.
[[nodiscard]] const PooledTable* added_to_core(const std::vector<PooledTable>& tables, std::string_view core);
/// The CSV columns of the figures added to a core table, each after a comma ("" when `added`
/// is null): as table_csv_header's, appended to the core table's header.
[[nodiscard]] std::string added_csv_header(const PooledTable* added, bool ci);
/// The fields of row `row` for added_csv_header(header, ci), each after a comma, taken from
/// `added` (these results' table, may be null): empty fields where it lacks the row or its
/// figures are not `header`'s (a sweep's points may differ).
[[nodiscard]] std::string added_csv_fields(const PooledTable* header, const PooledTable* added, const std::string& row,
                                           bool ci);
/// The per-window series a run's components added to core table `core`, as CSV columns
/// appended to its `timeseries_<core>.csv`.
class AddedSeries {
public:
    AddedSeries(const models::RunResults& run, std::string_view core);
    /// ",series,..." ("" when nothing was added).
    [[nodiscard]] std::string header() const;
    /// ",value,..." of row `row` in window `window` (empty fields where the row has none).
    [[nodiscard]] std::string fields(const std::string& row, std::size_t window) const;

private:
    const models::RecordedTable* table_ = nullptr;
    std::unordered_map<std::string, const models::RecordedRow*> rows_;
};
/// The figures added to a core table as columns of its terminal section (as format_tables
/// writes them, after the core's own).
class AddedCells {
public:
    AddedCells(const std::vector<PooledTable>& tables, std::string_view core, int replications);
    /// " header ..." ("" when nothing was added).
    [[nodiscard]] const std::string& header() const { return header_; }
    /// " cell ..." of row `name` (blank when the table lacks it).
    [[nodiscard]] const std::string& row(const std::string& name) const;

private:
    std::string header_, blank_;
    std::unordered_map<std::string, std::string> rows_;
};
/// replication.csv (one row per pair) and timeseries_replication.csv (per pair and
/// window) in `folder`; nothing when no op replicates (defined in report.cpp).
void write_replication_csv(const models::RunResults& results, const std::string& folder);
/// The terminal table: with one replication the run's (plain figures, with max latency
/// and retries); otherwise figures written "value ± ci95". Then the recorder's tables and
/// the log (replication 0's).
[[nodiscard]] std::string format_table(const ExperimentResults& results);
/// requests.csv, ops.csv, servers.csv, links.csv, replication.csv and `<table>.csv` per
/// recorded table; with several replications a `replications` column and a
/// `<figure>_ci95` column after each pooled figure, and each run's time series in
/// `replication-N/`; with one, the run's time series beside them.
void write_csv(const ExperimentResults& results, const std::string& folder);

// ---------------------------------------------------------------- comparing designs

/// A design: a name for the reports and its Spec.
struct Design {
    std::string name;
    Spec spec;
};

/// Splits `text` at each `separator` outside quotes and brackets, trimming each item
/// (empty items are kept: the caller decides). "a=1, b=[1,2]" -> {"a=1", "b=[1,2]"}.
[[nodiscard]] std::vector<std::string> split_top_level(std::string_view text, char separator = ',');

/// CSV of a number ("" when not finite) and of a figure with its interval ("value,ci95").
[[nodiscard]] std::string csv_number(double v);
[[nodiscard]] std::string csv_figure(const Figure& f);

/// Splits a `--variant` text "name: key=value, key=value" into its name and its
/// `--set` overrides. Commas inside quotes, brackets, braces or parentheses do not split.
/// Throws s2sim::Error quoting the text when there is no "name:" or an item has no '='.
[[nodiscard]] std::pair<std::string, std::vector<std::string>> parse_variant(std::string_view text);

/// The difference of one figure between a design and the first design, paired by
/// replication (the replications share seeds, hence random streams).
struct Difference {
    double value = std::numeric_limits<double>::quiet_NaN();  ///< mean of (design - first)
    double ci95 = std::numeric_limits<double>::quiet_NaN();   ///< half-width, paired Student t
    /// The 95% CI of the difference excludes 0 (a paired t-test at 5%). False when the
    /// CI contains 0 ("within noise") or cannot be computed.
    bool significant = false;
};

/// One line of the comparison: a figure of a request class, a server group, an op, a
/// link direction or a replication pair, for every design.
struct CompareRow {
    std::string kind;    ///< "request", "group", "op", "link" or "replication"
    std::string name;    ///< "workload/op", group name, "service.op", "a->b" or "service.op->replica"
    /// mean, p50, p99 (seconds), throughput_per_s, error_rate (requests and ops); utilization
    /// (groups, links; 0..1); lag_mean, lag_p99 (replication, seconds)
    std::string figure;
    std::vector<Figure> values;           ///< one per design (NaN when the design lacks it)
    std::vector<Difference> differences;  ///< one per design; [0] is empty (the reference)
    /// The figure's unit, for rows of recorded tables (kind = the table's name); empty for
    /// the five core tables, whose units the table knows.
    std::string unit;
};

/// The comparison of several designs under common random numbers.
struct CompareResults {
    std::vector<std::string> names;
    std::vector<ExperimentResults> designs;  ///< one per design, same replications and seeds
    std::vector<CompareRow> rows;
};

/// Runs every design with the same replications and seeds (common random numbers) and
/// compares each figure to the first design with a paired t-test. With `precision`,
/// replications are added to every design until all meet it. Needs >= 2 designs.
[[nodiscard]] CompareResults compare(const std::vector<Design>& designs, const ExperimentOptions& options = {});

/// {"designs": [...names], "replications": N, "seed": S, "rows": [{kind, name, figure,
/// "values": [{value, ci95}], "differences": [null, {value, ci95, significant}]}],
/// "results": {name: to_json(ExperimentResults)}}.
[[nodiscard]] nlohmann::json to_json(const CompareResults& results);
/// Side by side per `workload/op` and per server, with "+1.2 ms ± 0.3 (significant)"
/// or "within noise" for each design after the first.
[[nodiscard]] std::string format_table(const CompareResults& results);
/// The same, with only the tables named in `show` (result_tables(); empty = all).
/// Throws s2sim::Error naming the choices for an unknown table.
[[nodiscard]] std::string format_table(const CompareResults& results, const std::vector<std::string>& show);
/// compare.csv in `folder`: one row per figure and design (table, kind, name, figure,
/// design, value, ci95, difference, difference_ci95, significant), as the JSON's rows.
void write_csv(const CompareResults& results, const std::string& folder);

/// Adds the rows of the recorded tables (ExperimentResults::tables) of every design to
/// `results.rows`: kind = the table's name, one row per table row and statistic
/// (table_statistics: counters per replication, latencies' mean, p50, p99, levels, values),
/// paired as the others. compare() calls it last.
void add_recorded_rows(CompareResults& results);

/// The tables of the results, as `--show` and Python's `table=` name them:
/// requests, ops, servers, links, replication.
[[nodiscard]] const std::vector<std::string>& result_tables();
/// The tables a System built from `spec` publishes through its Recorder (their names), so
/// that `--show` can be checked before the runs.
[[nodiscard]] std::vector<std::string> recorded_table_names(const Spec& spec);
/// Throws s2sim::Error quoting the first name of `show` that is neither one of
/// result_tables() nor one of `recorded`.
void check_tables(const std::vector<std::string>& show, const std::vector<std::string>& recorded = {});
/// The same, against the tables of result_tables() and those any of `specs` publishes (a
/// System is built per Spec only when `show` names another table).
void check_tables(const std::vector<std::string>& show, const std::vector<const Spec*>& specs);

// ---------------------------------------------------------------- sweeps

/// One swept key and its values, each as `--set KEY=VALUE` takes it.
struct SweepParam {
    std::string key;
    std::vector<std::string> values;
    /// Moves together with the param before it (OMNeT++'s parallel iteration): their
    /// i-th values make one point, so both have as many values. False: a new axis of
    /// the grid, crossed with the others.
    bool linked_with_previous = false;
};

/// Parses `--param` text "key=v1,v2,v3" (commas inside quotes, brackets, braces or
/// parentheses do not split). Throws s2sim::Error quoting the text when malformed.
[[nodiscard]] SweepParam parse_sweep_param(std::string_view text);

/// Parses `--param` text that may link several keys with top-level semicolons,
/// "key1=a1,a2,a3; key2=b1,b2,b3": the keys move together (the first point has a1
/// and b1, the second a2 and b2, ...), so their lists have one length. The first
/// param starts an axis, the others are linked_with_previous. Throws s2sim::Error
/// quoting the text when malformed or when the lengths differ.
[[nodiscard]] std::vector<SweepParam> parse_sweep_params(std::string_view text);

/// The values of every point of the grid of `params`, one per param in order: the
/// axes (a param and those linked with it) are crossed, the last axis varying fastest;
/// linked params take their values at the same index. Throws s2sim::Error when a param
/// has no value or a linked param's list differs in length from its axis's first.
[[nodiscard]] std::vector<std::vector<std::string>> sweep_points(const std::vector<SweepParam>& params);

/// One point of the grid: its values (one per param) and what it measured.
struct SweepPoint {
    std::vector<std::string> values;
    ExperimentResults results;
};

/// The grid, the last axis varying fastest (see sweep_points).
struct SweepResults {
    std::vector<SweepParam> params;
    std::vector<SweepPoint> points;
};

/// Loads the file at `path` once per point of the grid of `params` (with `overrides`
/// applied first, then the point's values) and runs each with `options`.
/// Throws ConfigError pointing into the override when a value is bad.
[[nodiscard]] SweepResults sweep(const std::string& path, const std::vector<SweepParam>& params,
                                 const ExperimentOptions& options = {},
                                 const std::vector<std::string>& overrides = {});
/// Like sweep(), from scenario `text` (see parse()).
[[nodiscard]] SweepResults sweep_text(std::string_view text, const std::string& filename,
                                      const std::vector<SweepParam>& params, const ExperimentOptions& options = {},
                                      const std::vector<std::string>& overrides = {},
                                      const std::string& base_dir = "");

/// {"params": [keys], "points": [{"values": {key: value}, "results": to_json(...)}]}; each
/// value with its TOML type (`2` a number, `power_of_two` a string), as `--set` reads it.
[[nodiscard]] nlohmann::json to_json(const SweepResults& results);
/// One row per point and request class: the values, then throughput, errors, mean, p99.
[[nodiscard]] std::string format_table(const SweepResults& results);
/// The tables named in `show` (result_tables(); empty = all), one row per point and
/// class, op, server, link direction or replication pair.
[[nodiscard]] std::string format_table(const SweepResults& results, const std::vector<std::string>& show);
/// sweep_requests.csv, sweep_servers.csv, sweep_ops.csv, sweep_links.csv and (when an op
/// replicates) sweep_replication.csv: one row per point and class (op, server, link,
/// pair), the param values as the first columns, figures with their `_ci95` columns.
void write_csv(const SweepResults& results, const std::string& folder);

// ---------------------------------------------------------------- analytic estimate

/// Mean arrival rate (per second) of each workload of `spec`, as far as it can be known
/// without simulating: Poisson/constant rates, the dwell-weighted MMPP rate, a schedule's
/// time average over the run. NaN for closed populations and traces.
[[nodiscard]] std::vector<double> mean_arrival_rates(const Spec& spec);

/// The analytic estimate of `spec` (see models::analyze): builds the model (seed from
/// the Spec) and solves its traffic equations. Milliseconds, no simulation.
[[nodiscard]] models::AnalyticResults analyze(const Spec& spec);

/// {"requests": {name: {rate_per_s, latency_s}}, "ops": {...}, "servers": {name:
/// {arrival_rate_per_s, mean_work_s, cores, utilization, wait_s, saturated}},
/// "saturated": [names], "notes": [...]}.
[[nodiscard]] nlohmann::json to_json(const models::AnalyticResults& results);
/// A table of the predicted mean latency per class and the load per server; saturated
/// servers are flagged.
[[nodiscard]] std::string format_table(const models::AnalyticResults& results);
/// One line per saturated server ("server 'db-1' is saturated: utilisation 1.25 ..."),
/// empty when none.
[[nodiscard]] std::vector<std::string> saturation_warnings(const models::AnalyticResults& results);

}  // namespace s2sim::scenario

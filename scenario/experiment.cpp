#include "scenario/experiment.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "models/system.hpp"
#include "scenario/builder.hpp"
#include "scenario/figures.hpp"
#include "scenario/footprint.hpp"
#include "scenario/report.hpp"
#include "scenario/timeseries.hpp"
#include "sim/error.hpp"
#include "sim/stats/confidence.hpp"

namespace s2sim::scenario {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

int resolve_jobs(int jobs) {
    if (jobs > 0) return jobs;
    const unsigned cores = std::thread::hardware_concurrency();
    return cores > 0 ? static_cast<int>(cores) : 1;
}

/// The mean and 95% half-width of per-replication values, NaNs (replications where the
/// figure is undefined) left out.
Figure summarize(const std::vector<double>& values, std::optional<double> pooled = std::nullopt) {
    std::vector<double> finite;
    for (const double v : values) {
        if (std::isfinite(v)) finite.push_back(v);
    }
    Figure f;
    if (finite.empty()) return f;
    double sum = 0;
    for (const double v : finite) sum += v;
    f.value = pooled ? *pooled : sum / static_cast<double>(finite.size());
    if (finite.size() >= 2) f.ci95 = stats::ci95_half_width(finite);
    return f;
}

double quantile_or_nan(const stats::LogHistogram& h, double q) { return h.count() ? h.quantile(q) : nan; }

/// A percentile read from the histogram is known only to its bucket: its interval is
/// never narrower than that, however well the replications agree.
Figure at_resolution(Figure f) {
    if (std::isfinite(f.value) && std::isfinite(f.ci95)) {
        f.ci95 = std::max(f.ci95, std::abs(f.value) * stats::LogHistogram::max_relative_error);
    }
    return f;
}

constexpr std::pair<const char*, double> quantiles[] = {
    {"p50", 0.50}, {"p90", 0.90}, {"p95", 0.95}, {"p99", 0.99}, {"p999", 0.999}};

Figure ClassFigures::*quantile_member(int i) {
    switch (i) {
        case 0: return &ClassFigures::p50;
        case 1: return &ClassFigures::p90;
        case 2: return &ClassFigures::p95;
        case 3: return &ClassFigures::p99;
        default: return &ClassFigures::p999;
    }
}

/// Pools one kind of class (requests or ops) over the runs, by name, in first-seen order.
template <typename Result, typename Get>
std::vector<ClassFigures> pool_classes(const std::vector<models::RunResults>& runs, Get get) {
    std::vector<ClassFigures> out;
    std::map<std::string, std::size_t> index;
    for (const auto& run : runs) {
        for (const Result& r : get(run)) {
            if (index.emplace(r.name, out.size()).second) {
                out.emplace_back();
                out.back().name = r.name;
            }
        }
    }
    for (ClassFigures& c : out) {
        std::vector<double> mean, max, throughput, error_rate;
        std::vector<std::vector<double>> qs(std::size(quantiles));
        for (const auto& run : runs) {
            const auto& list = get(run);
            const auto it = std::find_if(list.begin(), list.end(), [&](const Result& r) { return r.name == c.name; });
            if (it == list.end()) continue;
            const Result& r = *it;
            c.count += r.count;
            c.errors += r.errors;
            c.timeouts += r.timeouts;
            c.rejected += r.rejected;
            c.retries += r.retries;
            c.latency.merge(r.latency);
            c.error_latency.merge(r.error_latency);
            mean.push_back(r.latency.count() ? r.latency.mean() : nan);
            max.push_back(r.latency.count() ? r.latency.max() : nan);
            for (std::size_t i = 0; i < std::size(quantiles); ++i) {
                qs[i].push_back(quantile_or_nan(r.latency, quantiles[i].second));
            }
            throughput.push_back(run.simulated_s > 0 ? static_cast<double>(r.count) / run.simulated_s : nan);
            error_rate.push_back(r.count ? static_cast<double>(r.errors) / static_cast<double>(r.count) : nan);
        }
        const bool any = c.latency.count() > 0;
        c.mean = summarize(mean, any ? std::optional(c.latency.mean()) : std::nullopt);
        c.max = summarize(max, any ? std::optional(c.latency.max()) : std::nullopt);
        for (std::size_t i = 0; i < std::size(quantiles); ++i) {
            c.*quantile_member(static_cast<int>(i)) = at_resolution(
                summarize(qs[i], any ? std::optional(c.latency.quantile(quantiles[i].second)) : std::nullopt));
        }
        c.throughput_per_s = summarize(throughput);
        c.error_rate = summarize(error_rate, c.count ? std::optional(static_cast<double>(c.errors) /
                                                                     static_cast<double>(c.count))
                                                     : std::nullopt);
    }
    return out;
}

/// The latency figures of per-replication histograms (null where a replication lacks it).
LatencyFigures pool_latency(const std::vector<const stats::LogHistogram*>& runs) {
    LatencyFigures out;
    std::vector<double> mean, max;
    std::vector<std::vector<double>> qs(std::size(quantiles));
    for (const stats::LogHistogram* h : runs) {
        if (h == nullptr) continue;
        out.histogram.merge(*h);
        mean.push_back(h->count() ? h->mean() : nan);
        max.push_back(h->count() ? h->max() : nan);
        for (std::size_t i = 0; i < std::size(quantiles); ++i) qs[i].push_back(quantile_or_nan(*h, quantiles[i].second));
    }
    const stats::LogHistogram& h = out.histogram;
    const bool any = h.count() > 0;
    out.mean = summarize(mean, any ? std::optional(h.mean()) : std::nullopt);
    out.max = summarize(max, any ? std::optional(h.max()) : std::nullopt);
    for (std::size_t i = 0; i < std::size(quantiles); ++i) {
        out.percentiles[i] =
            at_resolution(summarize(qs[i], any ? std::optional(h.quantile(quantiles[i].second)) : std::nullopt));
    }
    return out;
}

/// Sum and count of every request latency in a run (all classes).
std::pair<double, double> total_latency(const models::RunResults& r) {
    double sum = 0, count = 0;
    for (const auto& q : r.requests) {
        // Failed requests too: the pilot's series is the mean time to an answer of any kind.
        sum += q.latency.sum() + q.error_latency.sum();
        count += static_cast<double>(q.latency.count() + q.error_latency.count());
    }
    return {sum, count};
}

}  // namespace

std::uint64_t replication_seed(std::uint64_t master, int index) {
    if (index == 0) return master;
    // SplitMix64 of master and index: neighbouring indices give unrelated seeds.
    std::uint64_t z = master + 0x9e3779b97f4a7c15ULL * (static_cast<std::uint64_t>(index) + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::vector<models::RunResults> run_replications(const Spec& spec, std::uint64_t master_seed, int first, int last,
                                                 int jobs, std::optional<double> warmup_s,
                                                 const std::function<bool(double)>& progress,
                                                 const std::atomic<bool>* stop_flag) {
    if (last <= first) return {};
    const int count = last - first;
    Spec base = spec;
    if (warmup_s) {
        base.run.warmup = *warmup_s;
        base.run.warmup_auto = false;
    }
    // Build once on this thread so that configuration errors surface here, in order.
    (void)build(base, replication_seed(master_seed, first));

    std::vector<std::optional<models::RunResults>> results(static_cast<std::size_t>(count));
    std::atomic<int> next{0};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    int done = 0;
    // The progress of each replication (0..1) and their sum, so that the fraction reported
    // moves while replications run, not only when one finishes. Guarded by `mutex`.
    std::vector<double> fraction_of(static_cast<std::size_t>(count), 0.0);
    double fractions = 0;
    const auto report = [&](int i, double fraction) {  // called with `mutex` held
        auto& f = fraction_of[static_cast<std::size_t>(i)];
        fractions += fraction - f;
        f = fraction;
        if (progress && !progress(std::min(1.0, fractions / count))) stop.store(true);
    };
    std::exception_ptr error;
    const auto worker = [&] {
        for (;;) {
            const int i = next.fetch_add(1);
            if (i >= count || stop.load()) return;
            try {
                // Each replication builds its own System: nothing is shared between threads
                // but the immutable distributions of the Spec.
                models::System system(build(base, replication_seed(master_seed, first + i)));
                system.simulation().set_stop_flag(stop_flag);
                models::RunResults r = system.run([&](double fraction) {
                    if (progress && fraction < 1) {  // the end is reported once the results are kept
                        std::lock_guard lock(mutex);
                        report(i, fraction);
                    }
                    return !stop.load();
                });
                if (stop_flag != nullptr && stop_flag->load()) {
                    stop.store(true);  // cut short: dropped, with every replication after it
                    return;
                }
                std::lock_guard lock(mutex);
                results[static_cast<std::size_t>(i)] = std::move(r);
                ++done;
                report(i, 1.0);
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!error) error = std::current_exception();
                stop.store(true);
            }
        }
    };
    const int threads = std::min(resolve_jobs(jobs), count);
    if (threads <= 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
    }
    if (error) std::rethrow_exception(error);
    std::vector<models::RunResults> out;
    for (auto& r : results) {
        if (!r) break;  // stopped: keep the finished prefix, so the set does not depend on timing
        out.push_back(std::move(*r));
    }
    return out;
}

std::size_t mser_truncation(std::span<const double> series, std::size_t batch) {
    if (batch == 0) throw Error("mser: batch size must be at least 1");
    const std::size_t batches = series.size() / batch;
    if (batches < 2) return 0;
    std::vector<double> means(batches);
    for (std::size_t b = 0; b < batches; ++b) {
        double sum = 0;
        for (std::size_t i = 0; i < batch; ++i) sum += series[b * batch + i];
        means[b] = sum / static_cast<double>(batch);
    }
    // Suffix sums make every candidate d O(1).
    std::vector<double> suffix(batches + 1, 0.0), suffix2(batches + 1, 0.0);
    for (std::size_t b = batches; b-- > 0;) {
        suffix[b] = suffix[b + 1] + means[b];
        suffix2[b] = suffix2[b + 1] + means[b] * means[b];
    }
    std::size_t best = 0;
    double best_value = std::numeric_limits<double>::infinity();
    for (std::size_t d = 0; d <= batches / 2; ++d) {
        const double n = static_cast<double>(batches - d);
        const double mean = suffix[d] / n;
        const double sse = std::max(0.0, suffix2[d] - n * mean * mean);
        const double value = sse / (n * n);
        if (value < best_value) {
            best_value = value;
            best = d;
        }
    }
    return best * batch;
}

std::size_t mser5_truncation(std::span<const double> series) { return mser_truncation(series, 5); }

double choose_warmup(const Spec& spec, std::uint64_t master_seed, int jobs, const std::atomic<bool>* stop_flag) {
    constexpr int windows = 20;
    const double pilot = spec.run.duration;
    const double width = pilot / windows;
    // Run k measures [0, k * width): cumulative sums at every window end.
    std::vector<std::pair<double, double>> cumulative(windows + 1, {0.0, 0.0});
    std::atomic<int> next{1};
    std::exception_ptr error;
    std::mutex mutex;
    const auto worker = [&] {
        for (;;) {
            const int k = next.fetch_add(1);
            if (k > windows || (stop_flag != nullptr && stop_flag->load())) return;
            try {
                Spec s = spec;
                s.run.warmup = 0;
                s.run.warmup_auto = false;
                s.run.duration = width * k;
                models::System system(build(s, master_seed));
                system.simulation().set_stop_flag(stop_flag);
                const auto totals = total_latency(system.run());
                std::lock_guard lock(mutex);
                cumulative[static_cast<std::size_t>(k)] = totals;
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!error) error = std::current_exception();
                next.store(windows + 1);
            }
        }
    };
    const int threads = std::min(resolve_jobs(jobs), windows);
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
    std::vector<double> series;
    double last = nan;
    for (int k = 1; k <= windows; ++k) {
        const double sum = cumulative[k].first - cumulative[k - 1].first;
        const double count = cumulative[k].second - cumulative[k - 1].second;
        // An empty window repeats the previous mean (a saturated start completes nothing).
        const double mean = count > 0 ? sum / count : last;
        series.push_back(mean);
        last = mean;
    }
    // Leading windows with no completion at all count as the worst transient.
    std::size_t leading = 0;
    while (leading < series.size() && !std::isfinite(series[leading])) ++leading;
    if (leading == series.size()) return pilot / 2;
    for (std::size_t i = 0; i < leading; ++i) series[i] = series[leading];
    const std::size_t cut = std::max(leading, mser_truncation(series, 1));
    return std::min(pilot / 2, static_cast<double>(cut) * width);
}

ExperimentResults pool(const std::vector<models::RunResults>& runs) {
    ExperimentResults e;
    e.runs = runs;
    e.replications = static_cast<int>(runs.size());
    if (runs.empty()) return e;
    e.scenario = runs.front().scenario;
    e.seed = runs.front().seed;
    e.simulated_s = runs.front().simulated_s;
    for (const auto& r : runs) {
        e.events += r.events;
        if (e.stopped_early.empty() && !r.stopped_early.empty()) e.stopped_early = r.stopped_early;
    }
    e.requests = pool_classes<models::RequestResult>(runs, [](const models::RunResults& r) -> const auto& {
        return r.requests;
    });
    e.ops = pool_classes<models::OpResult>(runs, [](const models::RunResults& r) -> const auto& { return r.ops; });
    std::map<std::string, std::size_t> server_index;
    for (const auto& r : runs) {
        for (const auto& s : r.servers) {
            if (server_index.emplace(s.name, e.servers.size()).second) {
                e.servers.emplace_back();
                e.servers.back().name = s.name;
            }
        }
    }
    for (auto& f : e.servers) {
        std::vector<double> util, queue;
        for (const auto& r : runs) {
            for (const auto& s : r.servers) {
                if (s.name != f.name) continue;
                util.push_back(s.utilization);
                queue.push_back(s.mean_queue);
                f.max_queue = std::max(f.max_queue, s.max_queue);
                f.completed += s.completed;
                f.rejected += s.rejected;
            }
        }
        f.utilization = summarize(util);
        f.mean_queue = summarize(queue);
    }
    std::map<std::string, std::size_t> link_index;
    for (const auto& r : runs) {
        for (const auto& l : r.links) {
            if (link_index.emplace(l.name, e.links.size()).second) {
                e.links.emplace_back();
                e.links.back().name = l.name;
            }
        }
    }
    for (auto& f : e.links) {
        std::vector<double> util, bytes;
        for (const auto& r : runs) {
            for (const auto& l : r.links) {
                if (l.name != f.name) continue;
                util.push_back(l.utilization);
                bytes.push_back(l.bytes);
            }
        }
        f.utilization = summarize(util);
        f.bytes = summarize(bytes);
    }
    std::map<std::string, std::size_t> pair_index;
    for (const auto& r : runs) {
        for (const auto& p : r.replication) {
            if (pair_index.emplace(p.name, e.replication.size()).second) {
                e.replication.emplace_back();
                e.replication.back().name = p.name;
            }
        }
    }
    for (auto& f : e.replication) {
        std::vector<double> mean, p99, backlog;
        for (const auto& r : runs) {
            for (const auto& p : r.replication) {
                if (p.name != f.name) continue;
                f.count += p.count;
                f.failed += p.failed;
                f.lag.merge(p.lag);
                f.max_backlog = std::max(f.max_backlog, p.max_backlog);
                mean.push_back(p.lag.count() ? p.lag.mean() : nan);
                p99.push_back(quantile_or_nan(p.lag, 0.99));
                backlog.push_back(p.mean_backlog);
            }
        }
        const bool any = f.lag.count() > 0;
        f.mean_lag = summarize(mean, any ? std::optional(f.lag.mean()) : std::nullopt);
        f.p99_lag = at_resolution(summarize(p99, any ? std::optional(f.lag.quantile(0.99)) : std::nullopt));
        f.mean_backlog = summarize(backlog);
    }
    e.tables = pool_tables(runs);
    return e;
}

std::vector<PooledTable> pool_tables(const std::vector<models::RunResults>& runs) {
    std::vector<PooledTable> out;
    // Tables and rows by name, in first-seen order; each run's row (or null) per pooled row.
    for (const auto& run : runs) {
        for (const models::RecordedTable& t : run.tables) {
            auto table = std::find_if(out.begin(), out.end(), [&](const PooledTable& p) { return p.name == t.name; });
            if (table == out.end()) {
                out.push_back(PooledTable{t.name, t.row_key, t.figures, t.per_window, t.series, {}});
                table = out.end() - 1;
            }
            for (const models::RecordedRow& r : t.rows) {
                if (std::none_of(table->rows.begin(), table->rows.end(),
                                 [&](const PooledRow& p) { return p.name == r.name; })) {
                    table->rows.push_back(PooledRow{r.name, {}});
                }
            }
        }
    }
    for (PooledTable& table : out) {
        for (PooledRow& row : table.rows) {
            std::vector<const models::RecordedRow*> of_run;
            for (const auto& run : runs) {
                const models::RecordedRow* found = nullptr;
                for (const models::RecordedTable& t : run.tables) {
                    if (t.name != table.name) continue;
                    for (const models::RecordedRow& r : t.rows) {
                        if (r.name == row.name && r.figures.size() == table.figures.size()) found = &r;
                    }
                }
                of_run.push_back(found);
            }
            row.figures.resize(table.figures.size());
            for (std::size_t f = 0; f < table.figures.size(); ++f) {
                PooledFigure& p = row.figures[f];
                std::vector<double> values;
                std::vector<const stats::LogHistogram*> histograms;
                for (const models::RecordedRow* r : of_run) {
                    const models::RecordedFigure* x = r ? &r->figures[f] : nullptr;
                    switch (table.figures[f].kind) {
                        case models::FigureKind::counter:
                            // A replication in which the row never appeared counted nothing.
                            p.total += x ? x->count : 0;
                            values.push_back(x ? static_cast<double>(x->count) : 0.0);
                            break;
                        case models::FigureKind::latency: histograms.push_back(x ? &x->latency : nullptr); break;
                        case models::FigureKind::level:
                            values.push_back(x ? x->value : nan);
                            if (x && (!std::isfinite(p.max) || x->max > p.max)) p.max = x->max;
                            break;
                        case models::FigureKind::value: values.push_back(x ? x->value : nan); break;
                    }
                }
                switch (table.figures[f].kind) {
                    case models::FigureKind::counter: p.per_replication = summarize(values); break;
                    case models::FigureKind::latency: p.latency = pool_latency(histograms); break;
                    case models::FigureKind::level:
                    case models::FigureKind::value: p.mean = summarize(values); break;
                }
            }
        }
    }
    return out;
}

std::vector<std::string> recorded_table_names(const Spec& spec) {
    Spec copy = spec;
    copy.run.warmup_auto = false;
    models::System system(build(copy, copy.run.seed));
    std::vector<std::string> names;
    // The System is thrown away: collecting its (empty) tables is how to list them.
    for (const models::RecordedTable& t : system.recorder().collect(Time::zero(), false)) names.push_back(t.name);
    return names;
}

bool meets_precision(const ExperimentResults& results, double precision) {
    if (results.replications < 2) return false;
    for (const auto& c : results.requests) {
        if (c.latency.count() == 0) continue;
        for (const Figure* f : {&c.mean, &c.p99}) {
            if (!(f->ci95 <= precision * std::abs(f->value))) return false;
        }
    }
    return true;
}

ExperimentPlan plan_experiment(const Spec& spec, const ExperimentOptions& options) {
    ExperimentPlan plan;
    plan.seed = options.seed.value_or(spec.run.seed);
    plan.replications = options.replications > 0 ? options.replications : spec.run.replications;
    if (plan.replications < 1) throw Error(fmt::format("replications must be at least 1, got {}", plan.replications));
    if (options.precision) {
        if (!(*options.precision > 0)) throw Error(fmt::format("precision must be positive, got {}", *options.precision));
        if (options.max_replications < 2) {
            throw Error(fmt::format("max_replications must be at least 2, got {}", options.max_replications));
        }
        // A confidence interval needs a few replications before its width means anything.
        plan.replications = std::min(std::max(plan.replications, 3), options.max_replications);
    }
    // Every run's results are kept until pooled: refuse what cannot fit before the first run.
    check_replications_fit(spec, options.precision ? std::max(plan.replications, options.max_replications)
                                                   : plan.replications);
    plan.warmup_auto = spec.run.warmup_auto;
    plan.warmup_s = spec.run.warmup;
    return plan;
}

int replications_wanted(const ExperimentResults& pooled, const ExperimentOptions& options) {
    const int n = pooled.replications;
    if (!options.precision || meets_precision(pooled, *options.precision) || n >= options.max_replications) return n;
    // The half-width shrinks as 1/sqrt(n): aim for the replications the worst figure
    // needs, at least one more. Depends only on results, never on jobs.
    double ratio = 1;
    for (const auto& c : pooled.requests) {
        if (c.latency.count() == 0) continue;
        for (const Figure* f : {&c.mean, &c.p99}) {
            const double r = f->ci95 / (*options.precision * std::abs(f->value));
            if (std::isfinite(r)) ratio = std::max(ratio, r);
        }
    }
    const int wanted = static_cast<int>(std::ceil(static_cast<double>(n) * ratio * ratio));
    return std::min(options.max_replications, std::max(n + 1, wanted));
}

ExperimentResults pool_experiment(const std::vector<models::RunResults>& runs, const ExperimentPlan& plan,
                                  std::optional<double> precision) {
    ExperimentResults e = pool(runs);
    e.seed = plan.seed;
    e.warmup_s = plan.warmup_s;
    e.warmup_auto = plan.warmup_auto;
    e.precision = precision;
    if (precision) e.precision_reached = meets_precision(e, *precision);
    return e;
}

ExperimentResults run_experiment(const Spec& spec, const ExperimentOptions& options) {
    const auto start = std::chrono::steady_clock::now();
    ExperimentPlan plan = plan_experiment(spec, options);
    const auto stopped = [&options] { return options.stop_flag != nullptr && options.stop_flag->load(); };
    if (plan.warmup_auto) plan.warmup_s = choose_warmup(spec, plan.seed, options.jobs, options.stop_flag);

    std::vector<models::RunResults> runs;
    bool interrupted = stopped();  // during the pilot: its warm-up means nothing, run nothing
    for (int n = plan.replications; !interrupted;) {
        const int have = static_cast<int>(runs.size());
        // The fraction of the n replications known so far (more may follow with precision).
        std::function<bool(double)> progress;
        if (options.progress) {
            progress = [&options, have, n](double f) { return options.progress((have + f * (n - have)) / n); };
        }
        auto more = run_replications(spec, plan.seed, have, n, options.jobs, plan.warmup_s, progress,
                                     options.stop_flag);
        const bool complete = static_cast<int>(more.size()) == n - have;
        for (auto& r : more) runs.push_back(std::move(r));
        if (!complete) {
            interrupted = true;
            break;
        }
        if (!options.precision) break;
        const int wanted = replications_wanted(pool(runs), options);
        if (wanted <= n) break;
        n = wanted;
    }
    ExperimentResults e = pool_experiment(runs, plan, options.precision);
    e.scenario = spec.run.name;
    if (interrupted && e.stopped_early.empty()) e.stopped_early = "interrupted";
    e.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return e;
}

// ---------------------------------------------------------------- reports
//
// One writer for one run and for N replications: a run is reported as a 1-replication
// experiment (one_run), whose JSON, table and CSV files are those `s2sim run` has always
// written (without intervals, with the run's own time series at the top level).

namespace {

/// Milliseconds for the table; a percentile resting on too few samples gets a '~'.
std::string ms(const stats::LogHistogram& h, double q) {
    if (h.count() == 0) return "-";
    if (q < 0) return fmt::format("{:.3f}", 1e3 * h.mean());
    return fmt::format("{}{:.3f}", too_few_samples(h.count(), q) ? "~" : "", 1e3 * h.quantile(q));
}

/// "mean,p50,p90,p95,p99,p999,max" of a histogram for one run's CSV (empty fields when empty).
std::string csv_latency(const stats::LogHistogram& h) {
    if (h.count() == 0) return ",,,,,,";
    std::string out = fmt::format("{:.9g}", h.mean());
    for (const auto& [name, q] : quantiles) out += fmt::format(",{:.9g}", h.quantile(q));
    return out + fmt::format(",{:.9g}", h.max());
}

/// Completed requests per simulated second of one run (0 when nothing was measured).
double run_throughput(std::uint64_t count, double simulated_s) {
    return simulated_s > 0 ? static_cast<double>(count) / simulated_s : 0.0;
}

nlohmann::json class_json(const ClassFigures& c, bool with_requests_fields, const models::RunResults* single) {
    nlohmann::json j;
    j["count"] = c.count;
    if (with_requests_fields) {
        j["throughput_per_s"] =
            single ? nlohmann::json(run_throughput(c.count, single->simulated_s)) : number_or_null(c.throughput_per_s.value);
    }
    j["errors"] = c.errors;
    if (with_requests_fields && !single) j["error_rate"] = number_or_null(c.error_rate.value);
    j["timeouts"] = c.timeouts;
    j["retries"] = c.retries;
    j["rejected"] = c.rejected;
    j["error_latency_s"] = latency_json(c.error_latency);
    if (single) {
        j["latency_s"] = latency_json(c.latency);
        return j;
    }
    nlohmann::json lat;
    lat["mean"] = number_or_null(c.mean.value);
    for (int i = 0; i < 5; ++i) lat[quantiles[i].first] = number_or_null((c.*quantile_member(i)).value);
    lat["max"] = number_or_null(c.max.value);
    j["latency_s"] = lat;
    nlohmann::json ci;
    ci["mean"] = number_or_null(c.mean.ci95);
    for (int i = 0; i < 5; ++i) ci[quantiles[i].first] = number_or_null((c.*quantile_member(i)).ci95);
    if (with_requests_fields) {
        ci["throughput_per_s"] = number_or_null(c.throughput_per_s.ci95);
        ci["error_rate"] = number_or_null(c.error_rate.ci95);
    }
    j["ci95"] = ci;
    return j;
}

std::string pm(const Figure& f, double scale, int decimals) {
    if (!std::isfinite(f.value)) return "-";
    std::string s = fmt::format("{:.{}f}", f.value * scale, decimals);
    if (std::isfinite(f.ci95)) s += fmt::format(" ±{:.{}f}", f.ci95 * scale, decimals);
    return s;
}

/// The run of a 1-replication experiment, else null.
const models::RunResults* single_run(const ExperimentResults& e) {
    return e.runs.size() == 1 ? &e.runs.front() : nullptr;
}

}  // namespace

std::string csv_number(double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : std::string(); }
std::string csv_figure(const Figure& f) { return csv_number(f.value) + "," + csv_number(f.ci95); }

ExperimentResults one_run(const models::RunResults& run) {
    ExperimentResults e = pool({run});
    e.wall_s = run.wall_s;
    return e;
}

nlohmann::json to_json(const ExperimentResults& e) {
    const models::RunResults* single = single_run(e);
    nlohmann::json j;
    j["s2sim"] = version;
    j["scenario"] = single ? single->scenario : e.scenario;
    j["seed"] = single ? single->seed : e.seed;
    j["replications"] = single ? 1 : e.replications;
    j["simulated_s"] = single ? single->simulated_s : e.simulated_s;
    j["wall_s"] = single ? single->wall_s : e.wall_s;
    j["events"] = single ? single->events : e.events;
    const std::string& partial = single ? single->stopped_early : e.stopped_early;
    if (!partial.empty()) j["partial"] = partial;
    j["requests"] = nlohmann::json::object();
    for (const auto& c : e.requests) j["requests"][c.name] = class_json(c, true, single);
    j["ops"] = nlohmann::json::object();
    for (const auto& c : e.ops) j["ops"][c.name] = class_json(c, false, single);
    j["servers"] = nlohmann::json::object();
    for (const auto& s : e.servers) {
        nlohmann::json& server = j["servers"][s.name];
        server = {{"utilization", number_or_null(s.utilization.value)},
                  {"mean_queue", number_or_null(s.mean_queue.value)},
                  {"max_queue", s.max_queue},
                  {"completed", s.completed},
                  {"rejected", s.rejected}};
        if (!single) {
            server["ci95"] = {{"utilization", number_or_null(s.utilization.ci95)},
                              {"mean_queue", number_or_null(s.mean_queue.ci95)}};
        }
    }
    j["links"] = nlohmann::json::object();
    for (const auto& l : e.links) {
        nlohmann::json& link = j["links"][l.name];
        link = {{"utilization", number_or_null(l.utilization.value)}, {"bytes", number_or_null(l.bytes.value)}};
        if (!single) {
            link["ci95"] = {{"utilization", number_or_null(l.utilization.ci95)}, {"bytes", number_or_null(l.bytes.ci95)}};
        }
    }
    if (!e.replication.empty()) {
        j["replication"] = nlohmann::json::object();
        for (const auto& f : e.replication) {
            nlohmann::json lag;
            if (single) {
                lag = latency_json(f.lag);
            } else {
                lag["mean"] = number_or_null(f.mean_lag.value);
                for (const auto& [name, q] : quantiles) lag[name] = number_or_null(quantile_or_nan(f.lag, q));
                lag["max"] = number_or_null(f.lag.count() ? f.lag.max() : nan);
            }
            nlohmann::json& pair = j["replication"][f.name];
            pair = {{"count", f.count},
                    {"failed", f.failed},
                    {"lag_s", std::move(lag)},
                    {"backlog", {{"mean", number_or_null(f.mean_backlog.value)}, {"max", f.max_backlog}}}};
            if (!single) {
                pair["ci95"] = {{"mean", number_or_null(f.mean_lag.ci95)},
                                {"p99", number_or_null(f.p99_lag.ci95)},
                                {"backlog", number_or_null(f.mean_backlog.ci95)}};
            }
        }
    }
    // The time series and the log: one run's at the top level; with replications, each
    // run's under "runs" (averaging windows across runs would blur them).
    const auto add_series = [](nlohmann::json& json, const models::RunResults& r) {
        add_timeseries_json(json, r);
        add_resilience_timeseries_json(json, r);
        add_recorded_timeseries_json(json, r);
        add_log_json(json, r.log);
    };
    if (single) {
        add_series(j, *single);
    } else {
        j["runs"] = nlohmann::json::array();
        for (const auto& r : e.runs) {
            nlohmann::json run = {{"seed", r.seed}, {"wall_s", r.wall_s}, {"events", r.events}};
            if (!r.stopped_early.empty()) run["partial"] = r.stopped_early;
            add_series(run, r);
            j["runs"].push_back(std::move(run));
        }
    }
    j["units"] = units_json();
    add_tables_json(j, e.tables, single ? 1 : e.replications);
    if (e.warmup_auto) {
        j["warmup_s"] = e.warmup_s;
        j["warmup"] = "auto (MSER)";
    }
    if (e.precision) {
        j["precision"] = {{"target", *e.precision}, {"reached", e.precision_reached}};
    }
    return j;
}

std::string format_table(const ExperimentResults& e) {
    const models::RunResults* single = single_run(e);
    std::string out;
    if (single) {
        out += fmt::format("scenario '{}'  seed {}  {:.6g} s simulated in {:.2f} s wall  ({:.3g} events)\n",
                           single->scenario, single->seed, single->simulated_s, single->wall_s,
                           static_cast<double>(single->events));
        if (!single->stopped_early.empty()) {
            out += fmt::format("PARTIAL RESULTS: the run stopped early: {}\n", single->stopped_early);
        }
    } else {
        out += fmt::format(
            "scenario '{}'  seed {}  {} replications of {:.6g} s simulated in {:.2f} s wall  ({:.3g} events)\n",
            e.scenario, e.seed, e.replications, e.simulated_s, e.wall_s, static_cast<double>(e.events));
        out += "figures are pooled over the replications, ± the half-width of their 95% confidence interval\n";
        if (!e.stopped_early.empty()) out += fmt::format("PARTIAL RESULTS: {}\n", e.stopped_early);
    }
    // Figures components added to the core tables: columns after the core's own.
    const int replications = single ? 1 : e.replications;
    const AddedCells added_requests(e.tables, "requests", replications), added_servers(e.tables, "servers", replications),
        added_links(e.tables, "links", replications);
    // Requests.
    if (single) {
        out += fmt::format("\n{:<28} {:>9} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}{}\n", "request", "count", "per s",
                           "errors", "mean ms", "p50 ms", "p99 ms", "max ms", added_requests.header());
        for (const auto& c : e.requests) {
            out += fmt::format("{:<28} {:>9} {:>9.1f} {:>7} {:>9} {:>9} {:>9} {:>9}{}\n", c.name, c.count,
                               run_throughput(c.count, single->simulated_s), c.errors, ms(c.latency, -1),
                               ms(c.latency, 0.5), ms(c.latency, 0.99),
                               c.latency.count() ? fmt::format("{:.3f}", 1e3 * c.latency.max()) : "-",
                               added_requests.row(c.name));
            if (c.count == 0) out += "    (no request of this class completed: no latency to report)\n";
        }
        const bool rough = std::any_of(e.requests.begin(), e.requests.end(), [](const auto& c) {
            return c.latency.count() > 0 && too_few_samples(c.latency.count(), 0.99);
        });
        if (rough) {
            out += fmt::format("  ~ fewer than {:g} samples above this percentile: a rough figure (run longer)\n",
                               min_samples_beyond_percentile);
        }
    } else {
        out += fmt::format("\n{:<28} {:>9} {:>14} {:>7} {:>20} {:>20} {:>20}{}\n", "request", "count", "per s",
                           "errors", "mean ms", "p50 ms", "p99 ms", added_requests.header());
        for (const auto& c : e.requests) {
            out += fmt::format("{:<28} {:>9} {:>14} {:>7} {:>20} {:>20} {:>20}{}\n", c.name, c.count,
                               pm(c.throughput_per_s, 1, 1), c.errors, pm(c.mean, 1e3, 3), pm(c.p50, 1e3, 3),
                               pm(c.p99, 1e3, 3), added_requests.row(c.name));
        }
    }
    // Servers.
    if (single) {
        out += fmt::format("\n{:<28} {:>7} {:>11} {:>10} {:>10} {:>9}{}\n", "server", "util", "mean queue",
                           "max queue", "completed", "rejected", added_servers.header());
        for (const auto& s : e.servers) {
            out += fmt::format("{:<28} {:>6.1f}% {:>11.2f} {:>10.0f} {:>10} {:>9}{}\n", s.name,
                               100 * s.utilization.value, s.mean_queue.value, s.max_queue, s.completed, s.rejected,
                               added_servers.row(s.name));
        }
        const bool any_retries = std::any_of(e.requests.begin(), e.requests.end(), [](const auto& c) {
            return c.timeouts + c.retries + c.rejected > 0;
        });
        if (any_retries) {
            out += fmt::format("\n{:<28} {:>9} {:>9} {:>9}\n", "request", "timeouts", "retries", "rejected");
            for (const auto& c : e.requests) {
                out += fmt::format("{:<28} {:>9} {:>9} {:>9}\n", c.name, c.timeouts, c.retries, c.rejected);
            }
        }
    } else {
        out += fmt::format("\n{:<28} {:>14} {:>14} {:>10} {:>10} {:>9}{}\n", "server", "util %", "mean queue",
                           "max queue", "completed", "rejected", added_servers.header());
        for (const auto& s : e.servers) {
            out += fmt::format("{:<28} {:>14} {:>14} {:>10.0f} {:>10} {:>9}{}\n", s.name, pm(s.utilization, 100, 1),
                               pm(s.mean_queue, 1, 2), s.max_queue, s.completed, s.rejected, added_servers.row(s.name));
        }
    }
    // Replication pairs.
    if (!e.replication.empty() && single) {
        out += fmt::format("\n{:<36} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}\n", "replication", "writes", "failed",
                           "lag ms", "p99 ms", "max ms", "backlog");
        for (const auto& f : e.replication) {
            out += fmt::format("{:<36} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9.2f}\n", f.name, f.count, f.failed,
                               ms(f.lag, -1), ms(f.lag, 0.99),
                               f.lag.count() ? fmt::format("{:.3f}", 1e3 * f.lag.max()) : "-", f.mean_backlog.value);
        }
    } else if (!e.replication.empty()) {
        out += fmt::format("\n{:<36} {:>9} {:>7} {:>20} {:>20} {:>14}\n", "replication", "writes", "failed", "lag ms",
                           "p99 ms", "backlog");
        for (const auto& f : e.replication) {
            out += fmt::format("{:<36} {:>9} {:>7} {:>20} {:>20} {:>14}\n", f.name, f.count, f.failed,
                               pm(f.mean_lag, 1e3, 3), pm(f.p99_lag, 1e3, 3), pm(f.mean_backlog, 1, 2));
        }
    }
    // The busiest link directions.
    if (!e.links.empty()) {
        std::vector<const LinkFigures*> busiest;
        for (const auto& l : e.links) busiest.push_back(&l);
        std::sort(busiest.begin(), busiest.end(), [](const auto* a, const auto* b) {
            return a->utilization.value != b->utilization.value ? a->utilization.value > b->utilization.value
                                                                : a->name < b->name;
        });
        const std::size_t shown = std::min<std::size_t>(busiest.size(), 8);
        const std::string shown_of = fmt::format("   (the {} busiest of {} link directions)", shown, busiest.size());
        if (single) {
            out += fmt::format("\n{:<36} {:>7} {:>12}{}{}\n", "link", "util", "MB", added_links.header(), shown_of);
        } else {
            out += fmt::format("\n{:<36} {:>14}{}{}\n", "link", "util %", added_links.header(), shown_of);
        }
        for (std::size_t i = 0; i < shown; ++i) {
            const LinkFigures& l = *busiest[i];
            out += single ? fmt::format("{:<36} {:>6.2f}% {:>12.2f}{}\n", l.name, 100 * l.utilization.value,
                                        l.bytes.value / 1e6, added_links.row(l.name))
                          : fmt::format("{:<36} {:>14}{}\n", l.name, pm(l.utilization, 100, 2), added_links.row(l.name));
        }
    }
    // The recorder's tables and the log.
    out += format_tables(e.tables, single ? 1 : e.replications);
    if (!e.runs.empty()) out += format_log(e.runs.front().log, single ? "log" : "log of replication 1");
    if (e.warmup_auto) out += fmt::format("\nwarm-up: {:.6g} s, chosen by MSER on a pilot run\n", e.warmup_s);
    if (e.precision) {
        out += e.precision_reached
                   ? fmt::format("precision: every class's mean and p99 within {:g}% after {} replications\n",
                                 100 * *e.precision, e.replications)
                   : fmt::format("precision: NOT reached ({:g}% asked) after {} replications (the maximum)\n",
                                 100 * *e.precision, e.replications);
    }
    return out;
}

void write_csv(const ExperimentResults& e, const std::string& folder) {
    const models::RunResults* single = single_run(e);
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) throw Error("cannot create folder '" + folder + "': " + ec.message());
    // Columns are only ever added at the end: scripts read them by position too. One run
    // has no `replications` and no `_ci95` columns.
    std::string latency_header;
    for (const char* name : {"mean", "p50", "p90", "p95", "p99", "p999", "max"}) {
        latency_header += single ? fmt::format(",{0}_s", name) : fmt::format(",{0}_s,{0}_s_ci95", name);
    }
    // Failed requests' latency (pooled, without an interval): columns added at the end.
    latency_header += ",error_mean_s,error_p50_s,error_p90_s,error_p95_s,error_p99_s,error_p999_s,error_max_s";
    const auto latency_row = [single](const ClassFigures& c) {
        if (single) return "," + csv_latency(c.latency) + "," + csv_latency(c.error_latency);
        std::string s = "," + csv_figure(c.mean);
        for (int i = 0; i < 5; ++i) s += "," + csv_figure(c.*quantile_member(i));
        s += "," + csv_figure(c.max);
        const stats::LogHistogram& h = c.error_latency;
        s += "," + csv_number(h.count() ? h.mean() : nan);
        for (const auto& [name, q] : quantiles) s += "," + csv_number(quantile_or_nan(h, q));
        return s + "," + csv_number(h.count() ? h.max() : nan);
    };
    // Figures components added to the core tables: columns after the core's own.
    const bool ci = !single;
    const PooledTable* added_requests = added_to_core(e.tables, "requests");
    const PooledTable* added_ops = added_to_core(e.tables, "ops");
    const PooledTable* added_servers = added_to_core(e.tables, "servers");
    const PooledTable* added_links = added_to_core(e.tables, "links");
    std::string requests = single ? "request,count,throughput_per_s,errors,timeouts,retries,rejected" + latency_header
                                  : "request,replications,count,throughput_per_s,throughput_per_s_ci95,errors,"
                                    "error_rate,error_rate_ci95,timeouts,retries,rejected" + latency_header;
    requests += added_csv_header(added_requests, ci) + "\n";
    for (const auto& c : e.requests) {
        requests += single ? fmt::format("{},{},{:.9g},{},{},{},{}{}", csv_quoted(c.name), c.count,
                                         run_throughput(c.count, single->simulated_s), c.errors, c.timeouts, c.retries,
                                         c.rejected, latency_row(c))
                           : fmt::format("{},{},{},{},{},{},{},{},{}{}", csv_quoted(c.name), e.replications, c.count,
                                         csv_figure(c.throughput_per_s), c.errors, csv_figure(c.error_rate),
                                         c.timeouts, c.retries, c.rejected, latency_row(c));
        requests += added_csv_fields(added_requests, added_requests, c.name, ci) + "\n";
    }
    std::string ops = std::string(single ? "op," : "op,replications,") + "count,errors,timeouts,retries,rejected" +
                      latency_header + added_csv_header(added_ops, ci) + "\n";
    for (const auto& c : e.ops) {
        ops += fmt::format("{},{}{},{},{},{},{}{}{}\n", csv_quoted(c.name),
                           single ? "" : std::to_string(e.replications) + ",", c.count, c.errors, c.timeouts,
                           c.retries, c.rejected, latency_row(c), added_csv_fields(added_ops, added_ops, c.name, ci));
    }
    std::string servers = single ? "server,utilization,mean_queue,max_queue,completed,rejected"
                                 : "server,replications,utilization,utilization_ci95,mean_queue,mean_queue_ci95,"
                                   "max_queue,completed,rejected";
    servers += added_csv_header(added_servers, ci) + "\n";
    for (const auto& s : e.servers) {
        servers += single ? fmt::format("{},{:.9g},{:.9g},{:.9g},{},{}", csv_quoted(s.name), s.utilization.value,
                                        s.mean_queue.value, s.max_queue, s.completed, s.rejected)
                          : fmt::format("{},{},{},{},{:.9g},{},{}", csv_quoted(s.name), e.replications,
                                        csv_figure(s.utilization), csv_figure(s.mean_queue), s.max_queue, s.completed,
                                        s.rejected);
        servers += added_csv_fields(added_servers, added_servers, s.name, ci) + "\n";
    }
    std::string links = single ? "link,utilization,bytes" : "link,replications,utilization,utilization_ci95,bytes,bytes_ci95";
    links += added_csv_header(added_links, ci) + "\n";
    for (const auto& l : e.links) {
        links += single ? fmt::format("{},{:.9g},{:.9g}", csv_quoted(l.name), l.utilization.value, l.bytes.value)
                        : fmt::format("{},{},{},{}", csv_quoted(l.name), e.replications, csv_figure(l.utilization),
                                      csv_figure(l.bytes));
        links += added_csv_fields(added_links, added_links, l.name, ci) + "\n";
    }
    const std::filesystem::path dir(folder);
    write_file_atomically((dir / "requests.csv").string(), requests);
    write_file_atomically((dir / "ops.csv").string(), ops);
    write_file_atomically((dir / "servers.csv").string(), servers);
    write_file_atomically((dir / "links.csv").string(), links);
    if (single) {
        // One run: its pairs and its time series beside the tables.
        write_replication_csv(*single, folder);
        write_tables_csv(e.tables, 1, folder);
        write_timeseries_csv(*single, folder);
        return;
    }
    if (!e.replication.empty()) {
        std::string pairs = "replication,replications,count,failed,lag_mean_s,lag_mean_s_ci95,lag_p99_s,lag_p99_s_ci95,"
                            "mean_backlog,mean_backlog_ci95,max_backlog\n";
        for (const auto& f : e.replication) {
            pairs += fmt::format("{},{},{},{},{},{},{},{:.9g}\n", csv_quoted(f.name), e.replications, f.count,
                                 f.failed, csv_figure(f.mean_lag), csv_figure(f.p99_lag), csv_figure(f.mean_backlog),
                                 f.max_backlog);
        }
        write_file_atomically((dir / "replication.csv").string(), pairs);
    }
    write_tables_csv(e.tables, e.replications, folder);
    // Time series stay per replication: averaging windows across runs would blur them.
    for (std::size_t i = 0; i < e.runs.size(); ++i) {
        const std::filesystem::path sub = dir / fmt::format("replication-{}", i + 1);
        std::filesystem::create_directories(sub, ec);
        if (ec) throw Error("cannot create folder '" + sub.string() + "': " + ec.message());
        write_timeseries_csv(e.runs[i], sub.string());
        write_replication_csv(e.runs[i], sub.string());
        // Leave no empty folder behind when there is no time series.
        std::filesystem::remove(sub, ec);
    }
}

// ---------------------------------------------------------------- analytic estimate

std::vector<double> mean_arrival_rates(const Spec& spec) {
    std::vector<double> rates;
    const double horizon = spec.run.warmup + spec.run.duration;
    for (const WorkloadSpec& w : spec.workloads) {
        double rate = nan;
        if (const auto* p = std::get_if<PoissonArrival>(&w.arrival.process)) {
            rate = p->rate;
        } else if (const auto* c = std::get_if<ConstantArrival>(&w.arrival.process)) {
            rate = c->rate;
        } else if (const auto* m = std::get_if<MmppArrival>(&w.arrival.process)) {
            // The next state is uniform among the others, so the embedded chain visits every
            // state equally often and time in a state is proportional to its mean dwell.
            double weighted = 0, total = 0;
            for (const MmppState& s : m->states) {
                weighted += s.rate * s.dwell;
                total += s.dwell;
            }
            if (total > 0) rate = weighted / total;
        } else if (const auto* s = std::get_if<ScheduleArrival>(&w.arrival.process)) {
            // Time average of the rate over the whole run (warm-up included).
            const auto& pts = s->points;
            if (!pts.empty() && horizon > 0) {
                const auto rate_at = [&](double t) {
                    if (t <= pts.front().time) return pts.front().rate;
                    for (std::size_t i = 1; i < pts.size(); ++i) {
                        if (t < pts[i].time) {
                            if (s->shape == ScheduleShape::step) return pts[i - 1].rate;
                            const double f = (t - pts[i - 1].time) / (pts[i].time - pts[i - 1].time);
                            return pts[i - 1].rate + f * (pts[i].rate - pts[i - 1].rate);
                        }
                    }
                    return pts.back().rate;
                };
                // Piecewise linear or constant: the trapezoid rule is exact between breakpoints.
                std::vector<double> cuts{0.0, horizon};
                for (const auto& p : pts) {
                    if (p.time > 0 && p.time < horizon) cuts.push_back(p.time);
                }
                std::sort(cuts.begin(), cuts.end());
                double area = 0;
                for (std::size_t i = 1; i < cuts.size(); ++i) {
                    const double a = cuts[i - 1], b = cuts[i];
                    if (b <= a) continue;
                    area += s->shape == ScheduleShape::step ? rate_at(a) * (b - a)
                                                            : 0.5 * (rate_at(a) + rate_at(b - 1e-12 * b)) * (b - a);
                }
                rate = area / horizon;
            }
        }
        rates.push_back(rate);
    }
    return rates;
}

models::AnalyticResults analyze(const Spec& spec) {
    Spec copy = spec;
    // The estimate is of the steady state: scheduled changes and random failures are left out.
    const bool had_events = !copy.events.empty() || !copy.failures.empty();
    copy.events.clear();
    copy.failures.clear();
    copy.run.warmup_auto = false;
    copy.run.replications = 1;
    models::SystemModel model = build(copy, copy.run.seed);
    models::AnalyticResults r = models::analyze(model, mean_arrival_rates(spec));
    if (had_events) r.notes.push_back("[[event]] and [[failure]] are left out: the estimate is of the steady state");
    return r;
}

nlohmann::json to_json(const models::AnalyticResults& r) {
    nlohmann::json j;
    j["s2sim"] = version;
    j["requests"] = nlohmann::json::object();
    for (const auto& q : r.requests) {
        j["requests"][q.name] = {{"rate_per_s", q.rate}, {"latency_s", {{"mean", number_or_null(q.latency_s)}}}};
    }
    j["ops"] = nlohmann::json::object();
    for (const auto& o : r.ops) {
        j["ops"][o.name] = {{"visit_rate_per_s", o.visit_rate}, {"response_s", number_or_null(o.response_s)}};
    }
    j["servers"] = nlohmann::json::object();
    j["saturated"] = nlohmann::json::array();
    for (const auto& s : r.servers) {
        j["servers"][s.name] = {{"arrival_rate_per_s", s.arrival_rate}, {"mean_work_s", s.mean_work_s},
                                {"cores", s.cores},                     {"utilization", s.utilization},
                                {"wait_s", number_or_null(s.wait_s)},           {"saturated", s.saturated}};
        if (s.saturated) j["saturated"].push_back(s.name);
    }
    j["notes"] = r.notes;
    return j;
}

std::string format_table(const models::AnalyticResults& r) {
    std::string out = "analytic estimate (open network of M/M/c servers; no simulation)\n";
    out += fmt::format("\n{:<28} {:>10} {:>14}\n", "request", "per s", "mean ms");
    for (const auto& q : r.requests) {
        out += fmt::format("{:<28} {:>10.1f} {:>14}\n", q.name, q.rate,
                           std::isfinite(q.latency_s) ? fmt::format("{:.3f}", 1e3 * q.latency_s) : "saturated");
    }
    out += fmt::format("\n{:<28} {:>12} {:>12} {:>6} {:>8} {:>12}\n", "server", "jobs per s", "work ms", "cores",
                       "util", "wait ms");
    for (const auto& s : r.servers) {
        out += fmt::format("{:<28} {:>12.1f} {:>12.3f} {:>6} {:>7.1f}% {:>12}{}\n", s.name, s.arrival_rate,
                           1e3 * s.mean_work_s, s.cores, 100 * s.utilization,
                           std::isfinite(s.wait_s) ? fmt::format("{:.3f}", 1e3 * s.wait_s) : "inf",
                           s.saturated ? "  SATURATED" : "");
    }
    for (const auto& n : r.notes) out += "note: " + n + "\n";
    for (const auto& w : saturation_warnings(r)) out += "warning: " + w + "\n";
    return out;
}

std::vector<std::string> saturation_warnings(const models::AnalyticResults& r) {
    std::vector<std::string> out;
    for (const auto& s : r.servers) {
        if (!s.saturated) continue;
        out.push_back(fmt::format("server '{}' is saturated: utilisation {:.2f} ({:.1f} jobs/s of {:.3f} ms "
                                  "on {} cores); its queue will grow without bound",
                                  s.name, s.utilization, s.arrival_rate, 1e3 * s.mean_work_s, s.cores));
    }
    return out;
}

}  // namespace s2sim::scenario

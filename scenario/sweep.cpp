// Parameter sweeps: the grid of runs of one scenario (see experiment.hpp).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>

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
    if (jobs <= 1 || replications >= jobs || specs.size() == 1 || options.precision) {
        for (std::size_t i = 0; i < specs.size(); ++i) out.points[i].results = run_experiment(specs[i], options);
        return out;
    }
    ExperimentOptions single = options;
    single.jobs = 1;
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex mutex;
    const auto worker = [&] {
        for (;;) {
            const std::size_t i = next.fetch_add(1);
            if (i >= specs.size()) return;
            try {
                out.points[i].results = run_experiment(specs[i], single);
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
    // Split on semicolons outside quotes and brackets, as split_top_level does on commas.
    std::vector<std::string_view> pieces;
    int depth = 0;
    char quote = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '[' || c == '{' || c == '(') {
            ++depth;
        } else if (c == ']' || c == '}' || c == ')') {
            --depth;
        } else if (c == ';' && depth == 0) {
            pieces.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    pieces.push_back(text.substr(start));
    std::vector<SweepParam> out;
    for (const std::string_view piece : pieces) {
        SweepParam p = parse_sweep_param(trim(piece));
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
        for (std::size_t i = 0; i < s.params.size(); ++i) values[s.params[i].key] = point.values[i];
        j["points"].push_back({{"values", values}, {"results", to_json(point.results)}});
    }
    return j;
}

std::string format_table(const SweepResults& s) {
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
    header += fmt::format("{:<26} {:>14} {:>7} {:>18} {:>18}", "request", "per s", "errors", "mean ms", "p99 ms");
    out += header + "\n";
    for (const auto& point : s.points) {
        for (const auto& c : point.results.requests) {
            std::string line;
            for (std::size_t i = 0; i < s.params.size(); ++i) line += fmt::format("{:<{}}  ", point.values[i], widths[i]);
            const std::string rate = std::isfinite(c.throughput_per_s.ci95)
                                         ? fmt::format("{:.1f} ±{:.1f}", c.throughput_per_s.value, c.throughput_per_s.ci95)
                                         : fmt::format("{:.1f}", c.throughput_per_s.value);
            line += fmt::format("{:<26} {:>14} {:>7} {:>18} {:>18}", c.name, rate, c.errors, ms(c.mean), ms(c.p99));
            out += line + "\n";
        }
        if (!point.results.stopped_early.empty()) out += "  (partial: " + point.results.stopped_early + ")\n";
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
    for (const auto& point : s.points) {
        std::string values;
        for (const auto& v : point.values) values += csv_quoted(v) + ",";
        const auto& e = point.results;
        for (const auto& c : e.requests) {
            requests += fmt::format("{}{},{},{},{},{},{},{},{},{},{}\n", values, csv_quoted(c.name), e.replications,
                                    c.count, csv_figure(c.throughput_per_s), c.errors, csv_figure(c.error_rate),
                                    csv_figure(c.mean), csv_figure(c.p50), csv_figure(c.p99), csv_figure(c.max));
        }
        for (const auto& sv : e.servers) {
            servers += fmt::format("{}{},{},{},{}\n", values, csv_quoted(sv.name), e.replications,
                                   csv_figure(sv.utilization), csv_figure(sv.mean_queue));
        }
    }
    const std::filesystem::path dir(folder);
    write_file_atomically((dir / "sweep_requests.csv").string(), requests);
    write_file_atomically((dir / "sweep_servers.csv").string(), servers);
}

}  // namespace s2sim::scenario

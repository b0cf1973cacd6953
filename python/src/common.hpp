#pragma once
// Helpers shared by the register_*.cpp files of s2sim._core.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pybind11/stl.h>

#include "register.hpp"
#include "scenario/experiment.hpp"
#include "scenario/report.hpp"

namespace s2sim::python {

/// Runs `work(stop)` on a thread of its own with the GIL released, while the calling
/// thread looks for Ctrl-C / a Jupyter interrupt ten times a second. On an interrupt it
/// sets `stop` (which `work` gives the experiment as its stop flag and progress answer), waits for
/// `work` to wind down and raises KeyboardInterrupt. Exceptions of `work` are rethrown here.
template <typename Work>
auto interruptible(Work&& work) -> decltype(work(std::declval<const std::atomic<bool>&>())) {
    using Result = decltype(work(std::declval<const std::atomic<bool>&>()));
    std::atomic<bool> stop{false};
    std::optional<Result> result;
    std::exception_ptr error;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    bool interrupted = false;
    {
        py::gil_scoped_release release;
        std::thread worker([&] {
            try {
                result.emplace(work(stop));
            } catch (...) {
                error = std::current_exception();
            }
            const std::lock_guard lock(mutex);
            done = true;
            done_cv.notify_all();
        });
        std::unique_lock lock(mutex);
        while (!done_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return done; })) {
            lock.unlock();
            {
                py::gil_scoped_acquire acquire;
                if (!interrupted && PyErr_CheckSignals() != 0) {
                    interrupted = true;
                    stop.store(true);
                }
            }
            lock.lock();
        }
        lock.unlock();
        worker.join();
    }
    if (interrupted) throw py::error_already_set();  // the KeyboardInterrupt set by PyErr_CheckSignals
    if (error) std::rethrow_exception(error);
    return std::move(*result);
}

/// Experiment options from the keyword arguments shared by run, compare and sweep.
inline scenario::ExperimentOptions options_of(std::optional<std::uint64_t> seed, int replications, int jobs,
                                              std::optional<double> precision, int max_replications,
                                              const std::atomic<bool>& stop) {
    scenario::ExperimentOptions o;
    o.seed = seed;
    o.replications = replications;
    o.jobs = jobs;
    o.precision = precision;
    o.max_replications = max_replications;
    o.progress = [&stop](double) { return !stop.load(); };
    o.stop_flag = &stop;  // a Jupyter interrupt stops the replications running too
    return o;
}

/// Latency quantiles (seconds) of each request class at probabilities `qs`, from the
/// pooled histograms; nullopt where nothing completed.
using Quantiles = std::map<std::string, std::vector<std::optional<double>>>;
inline Quantiles quantiles_of(const scenario::ExperimentResults& r, const std::vector<double>& qs) {
    Quantiles out;
    for (const auto& c : r.requests) {
        auto& row = out[c.name];
        for (const double q : qs) {
            row.push_back(c.latency.count() ? std::optional<double>(c.latency.quantile(q)) : std::nullopt);
        }
    }
    return out;
}

/// What `run` and `pool_runs` give back: the pooled results JSON, each replication's
/// JSON (UTF-8) and the pooled quantiles. Built without the GIL, see to_python().
struct RunOutput {
    std::string json;
    std::vector<std::string> runs;
    Quantiles quantiles;
};

inline RunOutput run_output(const scenario::ExperimentResults& r, const std::vector<double>& quantiles) {
    RunOutput o;
    o.json = scenario::to_json(r).dump();
    for (const auto& run : r.runs) o.runs.push_back(scenario::to_json(run).dump());
    o.quantiles = quantiles_of(r, quantiles);
    return o;
}

/// (json bytes, [replication json bytes], quantiles) for Results.from_core. Needs the GIL.
inline py::tuple to_python(const RunOutput& o) {
    py::list runs;
    for (const auto& s : o.runs) runs.append(py::bytes(s));
    return py::make_tuple(py::bytes(o.json), runs, o.quantiles);
}

}  // namespace s2sim::python

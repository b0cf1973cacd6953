// The progress bar of the long commands (run, compare, sweep) on stderr.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

namespace s2sim::cli {

/// A duration for people: "42 s", "3 min 05 s", "2 h 07 min". Negative or non-finite
/// values read "?".
[[nodiscard]] std::string format_duration(double seconds);

/// One line of the bar: "[#####.....]  42%  12 s elapsed, about 17 s left". `fraction`
/// (0..1, clamped) of the work is done after `elapsed_s` seconds; the time left,
/// elapsed × (1 − f) / f, is shown once f > 0. At most 76 characters for fractions in
/// 0..1 and durations under 100 hours, so it fits a terminal of 80 columns.
[[nodiscard]] std::string format_progress_line(double fraction, double elapsed_s);

/// A progress bar on stderr, drawn only when `enabled` and stderr is a terminal, once
/// the work has taken a second, at most ten times a second; cleared when destroyed.
/// update() may be called from several threads: draws are serialised.
class ProgressBar {
public:
    explicit ProgressBar(bool enabled);
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    /// Records that `fraction` (0..1) of the work is done, redrawing when due.
    void update(double fraction);
    /// Erases the bar (nothing when none was drawn); the destructor calls it.
    void clear();

private:
    using Clock = std::chrono::steady_clock;
    std::mutex mutex_;
    bool enabled_;
    Clock::time_point start_ = Clock::now();
    Clock::time_point last_draw_{};
    std::size_t drawn_width_ = 0;  ///< characters of the line on screen; 0 = none
};

}  // namespace s2sim::cli

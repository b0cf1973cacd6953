#include "cli/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace s2sim::cli {

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    const auto s = static_cast<long long>(std::llround(std::min(seconds, 1e9)));
    if (s < 60) return fmt::format("{} s", s);
    if (s < 3600) return fmt::format("{} min {:02} s", s / 60, s % 60);
    return fmt::format("{} h {:02} min", s / 3600, s % 3600 / 60);
}

std::string format_progress_line(double fraction, double elapsed_s) {
    const double f = std::isfinite(fraction) ? std::clamp(fraction, 0.0, 1.0) : 0.0;
    constexpr int width = 24;
    const int filled = static_cast<int>(f * width);
    std::string line = fmt::format("[{}{}] {:3.0f}%  {} elapsed", std::string(filled, '#'),
                                   std::string(width - filled, '.'), 100 * f, format_duration(elapsed_s));
    if (f > 0 && f < 1) line += ", about " + format_duration(elapsed_s * (1 - f) / f) + " left";
    return line;
}

ProgressBar::ProgressBar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) != 0) {}

ProgressBar::~ProgressBar() { clear(); }

void ProgressBar::update(double fraction) {
    if (!enabled_) return;
    const auto now = Clock::now();
    std::lock_guard lock(mutex_);
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    // Short work shows nothing; then at most ten draws a second.
    if (elapsed < 1.0 || now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const std::string line = format_progress_line(fraction, elapsed);
    // Spaces over what a longer previous line left behind.
    const std::size_t pad = drawn_width_ > line.size() ? drawn_width_ - line.size() : 0;
    std::fprintf(stderr, "\r%s%s", line.c_str(), std::string(pad, ' ').c_str());
    std::fflush(stderr);
    drawn_width_ = std::max(line.size(), drawn_width_);
}

void ProgressBar::clear() {
    std::lock_guard lock(mutex_);
    if (drawn_width_ == 0) return;
    std::fprintf(stderr, "\r%s\r", std::string(drawn_width_, ' ').c_str());
    std::fflush(stderr);
    drawn_width_ = 0;
}

}  // namespace s2sim::cli

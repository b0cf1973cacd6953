#include "sim/stats/confidence.hpp"

#include <cmath>

#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim::stats {

double student_t_quantile(double p, double dof) {
    if (!(p > 0.0 && p < 1.0)) {
        throw Error(fmt::format("student t quantile: p {} is outside (0, 1)", p));
    }
    if (!(dof > 0.0)) {
        throw Error(fmt::format("student t quantile: degrees of freedom {} must be > 0", dof));
    }
    return boost::math::quantile(boost::math::students_t_distribution<double>(dof), p);
}

double ci_half_width(std::span<const double> replications, double confidence) {
    if (!(confidence > 0.0 && confidence < 1.0)) {
        throw Error(fmt::format("confidence {} is outside (0, 1)", confidence));
    }
    const std::size_t n = replications.size();
    if (n < 2) return std::nan("");
    // Two passes: replications are few, and this avoids cancellation.
    double sum = 0.0;
    for (const double x : replications) sum += x;
    const double mean = sum / static_cast<double>(n);
    double ss = 0.0;
    for (const double x : replications) ss += (x - mean) * (x - mean);
    const double s = std::sqrt(ss / static_cast<double>(n - 1));
    const double t = student_t_quantile(0.5 + 0.5 * confidence, static_cast<double>(n - 1));
    return t * s / std::sqrt(static_cast<double>(n));
}

double ci95_half_width(std::span<const double> replications) {
    return ci_half_width(replications, 0.95);
}

}  // namespace s2sim::stats

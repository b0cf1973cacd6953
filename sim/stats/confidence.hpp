#pragma once
#include <span>

namespace s2sim::stats {

/// The p-quantile of Student's t distribution with `dof` degrees of freedom (Boost.Math).
/// Throws s2sim::Error unless 0 < p < 1 and dof > 0.
[[nodiscard]] double student_t_quantile(double p, double dof);

/// Half-width of the two-sided `confidence` interval (e.g. 0.95) for the mean of
/// independent replications: t_{(1+confidence)/2, n-1} * s / sqrt(n), s the sample standard
/// deviation. NaN for fewer than 2 replications. `replications` is borrowed.
[[nodiscard]] double ci_half_width(std::span<const double> replications, double confidence);

/// ci_half_width(replications, 0.95): the "ci95" of the results.
[[nodiscard]] double ci95_half_width(std::span<const double> replications);

}  // namespace s2sim::stats

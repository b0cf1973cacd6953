#include "scenario/timeseries.hpp"

namespace s2sim::scenario {

// Filled in by the issue "Workloads" (windowed series in RunResults).
void add_timeseries_json(nlohmann::json&, const models::RunResults&) {}
void write_timeseries_csv(const models::RunResults&, const std::string&) {}

}  // namespace s2sim::scenario

#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "models/results.hpp"

namespace s2sim::scenario {

/// The log table of random failures and recoveries (models/failures.cpp logs each as
/// what = "fail" or "recover", row = the server).
inline constexpr const char* random_failure_log_table = "failures";

/// Adds the time series of `results` (per `workload/op` and per server, one entry
/// per window) under "timeseries" in `json`; adds nothing when there are none. Its
/// "events" are the scheduled [[event]]s, then the random failures and recoveries of the
/// log, marked "random": true.
void add_timeseries_json(nlohmann::json& json, const models::RunResults& results);

/// Writes timeseries_requests.csv and timeseries_servers.csv into `folder`
/// (which exists), atomically; writes nothing when there are no time series.
void write_timeseries_csv(const models::RunResults& results, const std::string& folder);

}  // namespace s2sim::scenario

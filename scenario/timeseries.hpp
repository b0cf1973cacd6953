#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "models/results.hpp"

namespace s2sim::scenario {

/// Adds the time series of `results` (per `workload/op` and per server, one entry
/// per window) under "timeseries" in `json`; adds nothing when there are none.
void add_timeseries_json(nlohmann::json& json, const models::RunResults& results);

/// Writes timeseries_requests.csv and timeseries_servers.csv into `folder`
/// (which exists), atomically; writes nothing when there are no time series.
void write_timeseries_csv(const models::RunResults& results, const std::string& folder);

}  // namespace s2sim::scenario

#pragma once
#include <string>
#include <string_view>

#include "models/results.hpp"

/// A lossless serial form of one run's results, so that replications run in other
/// processes (Dask workers) can be pooled here exactly as if they had run locally.
namespace s2sim::scenario {

/// The bytes of `results`: CBOR (RFC 8949) of every field, histograms bucket by bucket,
/// doubles bit for bit (NaN and infinities included, which JSON text would turn into
/// null). decode_run_results() of them gives back the same RunResults: the same JSON,
/// CSV, time series and pooled percentiles.
[[nodiscard]] std::string encode_run_results(const models::RunResults& results);

/// The RunResults that encode_run_results() turned into `bytes`. Throws s2sim::Error
/// ("run results: ...") when `bytes` are not such an encoding, come from another format
/// version, or hold a histogram state that stats::LogHistogram::from_state() refuses.
[[nodiscard]] models::RunResults decode_run_results(std::string_view bytes);

}  // namespace s2sim::scenario

// libFuzzer target: the unit and distribution parsers. The first byte picks the
// parser, the rest is its text. Each must return a value or throw s2sim::Error.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sim/distribution.hpp"
#include "sim/error.hpp"
#include "sim/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        double value = 0;
        switch (data[0] % 8) {
            case 0: value = s2sim::units::parse_time(text); break;
            case 1: value = s2sim::units::parse_size(text); break;
            case 2: value = s2sim::units::parse_bandwidth(text); break;
            case 3: value = s2sim::units::parse_distance(text); break;
            case 4: value = s2sim::units::parse_rate(text); break;
            case 5: value = s2sim::units::parse_speed(text); break;
            default: {
                const auto d = s2sim::parse_distribution(
                    text, data[0] % 8 == 6 ? s2sim::Quantity::time : s2sim::Quantity::size);
                s2sim::RandomStream rng(1, "fuzz");
                value = d->sample(rng);
                (void)d->mean();
                (void)d->describe();
            }
        }
        // A parsed value is never NaN or negative: they would poison a run.
        if (std::isnan(value) || value < 0) std::abort();
    } catch (const s2sim::Error&) {
    }
    return 0;
}

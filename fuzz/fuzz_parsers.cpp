// libFuzzer target: the unit and distribution parsers, and the checks of command-line
// values (scenario/arguments.hpp) and of --set values. The first byte picks the parser
// (its high bit: a command-line check), the rest is its text. Each parser must return a
// value or throw s2sim::Error; each check must answer, never throw anything else.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scenario/arguments.hpp"
#include "scenario/loader.hpp"
#include "sim/distribution.hpp"
#include "sim/error.hpp"
#include "sim/units.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    if ((data[0] & 0x80) != 0) {
        namespace sc = s2sim::scenario;
        const std::string owned(text);
        std::string problem;
        switch (data[0] % 8) {
            case 0: problem = sc::seed_problem(text); break;
            case 1: problem = sc::integer_problem(text, 1, sc::max_replications_allowed); break;
            case 2: problem = sc::number_problem(text, 1e-6, 1.0); break;
            case 3: problem = sc::time_problem(text, true); break;
            case 4: problem = sc::sweep_param_problem(owned); break;
            case 5: problem = sc::variant_problem(owned); break;
            default: {
                // A --set override on a small document: applied, or a ConfigError.
                try {
                    (void)sc::apply_overrides_to_text("[scenario]\nduration = \"1s\"\n", "fuzz.toml", {owned});
                } catch (const s2sim::Error&) {
                }
                return 0;
            }
        }
        (void)problem;
        return 0;
    }
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

// libFuzzer target: the TOML scenario loader and the builder, with the checks of
// impossible sizes (a 1 GiB budget, well inside the fuzzer's 2 GiB), zero-time loops,
// overflowing weights and files that are not files. Any input must end in a Spec or an
// s2sim::Error; anything else (a crash, another exception, a sanitizer report, an
// out-of-memory, a hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scenario/builder.hpp"
#include "scenario/footprint.hpp"
#include "scenario/loader.hpp"
#include "sim/error.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    s2sim::scenario::set_memory_budget(std::uint64_t{1} << 30);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const s2sim::scenario::Spec spec = s2sim::scenario::parse(text, "fuzz.toml", {}, "/nonexistent");
        s2sim::scenario::validate(spec);
        s2sim::scenario::check_replications_fit(spec, spec.run.replications);
    } catch (const s2sim::Error&) {
        // A clear error is the right answer to a bad file.
    }
    return 0;
}

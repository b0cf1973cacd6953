// libFuzzer target: the TOML scenario loader and the builder. Any input must end
// in a Spec or an s2sim::Error; anything else (a crash, another exception, a
// sanitizer report, a hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scenario/builder.hpp"
#include "scenario/loader.hpp"
#include "sim/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const s2sim::scenario::Spec spec = s2sim::scenario::parse(text, "fuzz.toml", {}, "/nonexistent");
        s2sim::scenario::validate(spec);
    } catch (const s2sim::Error&) {
        // A clear error is the right answer to a bad file.
    }
    return 0;
}

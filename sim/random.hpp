#pragma once
#include <cstdint>
#include <string_view>

#include <pcg_random.hpp>

namespace s2sim {

/// One component's stream of random numbers (PCG64).
/// Streams are derived from (master seed, component name), so adding or
/// removing a component never changes the numbers another component draws:
/// the basis of common random numbers when comparing designs.
class RandomStream {
public:
    /// The stream of component `name` under `master_seed`.
    RandomStream(std::uint64_t master_seed, std::string_view name);

    /// Uniform on [0, 2^64).
    std::uint64_t next_u64() { return engine_(); }
    /// Uniform on the open interval (0, 1): never 0, so log() is safe.
    double uniform01() {
        return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53;
    }
    /// Uniform integer on [0, n), n > 0, without modulo bias.
    std::uint64_t uniform_index(std::uint64_t n) { return engine_(n); }

private:
    pcg64 engine_;
};

/// A stable 64-bit hash of a name (FNV-1a), the same on every platform and run.
[[nodiscard]] std::uint64_t stable_hash(std::string_view text);

}  // namespace s2sim

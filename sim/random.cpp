#include "sim/random.hpp"

namespace s2sim {
namespace {

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator whose outputs are well-mixed
/// even from similar seeds, the usual way to expand a 64-bit seed into PCG's 256 bits.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

private:
    std::uint64_t state_;
};

pcg_extras::pcg128_t make_u128(std::uint64_t high, std::uint64_t low) {
    return (static_cast<pcg_extras::pcg128_t>(high) << 64) | low;
}

/// The engine of stream `name`: the master seed is mixed first so that seeds 1 and 2 are
/// far apart, then the name's hash picks both the starting state and PCG's stream
/// selector, so two names give unrelated sequences rather than shifted copies of one.
pcg64 make_engine(std::uint64_t master_seed, std::string_view name) {
    SplitMix64 seed_mixer(master_seed);
    SplitMix64 g(seed_mixer.next() ^ stable_hash(name));
    const std::uint64_t s_hi = g.next();
    const std::uint64_t s_lo = g.next();
    const std::uint64_t q_hi = g.next();
    const std::uint64_t q_lo = g.next();
    return pcg64(make_u128(s_hi, s_lo), make_u128(q_hi, q_lo));
}

}  // namespace

RandomStream::RandomStream(std::uint64_t master_seed, std::string_view name)
    : engine_(make_engine(master_seed, name)) {}

std::uint64_t stable_hash(std::string_view text) {
    // FNV-1a, 64-bit: offset basis and prime from the reference description.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

}  // namespace s2sim

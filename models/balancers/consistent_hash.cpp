#include "models/balancers/consistent_hash.hpp"

#include <algorithm>
#include <utility>

#include "models/balancers/common.hpp"

namespace s2sim::models {
namespace {
// Salts keep ring positions and key positions independent of the hashes
// other policies use (maglev), so the two never correlate by accident.
constexpr std::uint64_t kRingSalt = 0x6b65746f6d615f72ULL;
constexpr std::uint64_t kKeySalt = 0x636f6e73686b6579ULL;
constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
}  // namespace

ConsistentHash::ConsistentHash(std::size_t backend_count, unsigned vnodes) : count_(backend_count) {
    std::vector<std::pair<std::uint64_t, ServerIndex>> ring;
    ring.reserve(backend_count * vnodes);
    for (std::size_t i = 0; i < backend_count; ++i) {
        // Replica r of backend i is draw r of a splitmix64 stream seeded by the
        // backend: independent, well-spread points, the same on every platform.
        const std::uint64_t seed = balancing::mix64(static_cast<std::uint64_t>(i) ^ kRingSalt);
        for (unsigned r = 0; r < vnodes; ++r) {
            ring.emplace_back(balancing::mix64(seed + kGolden * r), static_cast<ServerIndex>(i));
        }
    }
    std::sort(ring.begin(), ring.end());  // ties (64-bit collisions) go to the lower index
    points_.reserve(ring.size());
    owners_.reserve(ring.size());
    for (const auto& [point, owner] : ring) {
        points_.push_back(point);
        owners_.push_back(owner);
    }
    // About one point per arc, at most 2^16 arcs (256 KiB).
    while (bucket_bits_ < 16 && (std::size_t{1} << bucket_bits_) < points_.size()) ++bucket_bits_;
    const std::size_t buckets = std::size_t{1} << bucket_bits_;
    bucket_start_.resize(buckets + 1);
    std::size_t j = 0;
    for (std::size_t b = 0; b < buckets; ++b) {
        // Arc b starts at b << (64 - bits); with 0 bits there is one arc, from 0.
        const std::uint64_t start = bucket_bits_ == 0 ? 0 : static_cast<std::uint64_t>(b) << (64 - bucket_bits_);
        while (j < points_.size() && points_[j] < start) ++j;
        bucket_start_[b] = static_cast<std::uint32_t>(j);
    }
    bucket_start_[buckets] = static_cast<std::uint32_t>(points_.size());

    // About 8 arcs per point, so that few arcs hold a point, at most 2^16 arcs (64 KiB).
    const unsigned owner_bits = bucket_bits_ + 3;
    if (owner_bits > 16 || count_ >= kMixed) {
        arc_owner_.assign(2, kMixed);
        return;
    }
    owner_shift_ = 64 - owner_bits;
    arc_owner_.resize(std::size_t{1} << owner_bits);
    // Keys of arc a go to the owners of the points from the first at or after its start to
    // the first after its end: the owner of that first point unless two neighbours on the
    // ring in the arc have different owners.
    const std::size_t size = points_.size();
    std::size_t a = 0;
    for (std::size_t k = 0; k < size; ++k) {
        for (const std::size_t arc = points_[k] >> owner_shift_; a <= arc; ++a) {
            arc_owner_[a] = static_cast<std::uint8_t>(owners_[k]);
        }
    }
    for (; a < arc_owner_.size(); ++a) arc_owner_[a] = static_cast<std::uint8_t>(owners_[0]);  // wrapping
    for (std::size_t k = 0; k < size; ++k) {
        if (owners_[k] != owners_[k + 1 == size ? 0 : k + 1]) arc_owner_[points_[k] >> owner_shift_] = kMixed;
    }
}

ServerIndex ConsistentHash::pick_hashed(std::uint64_t h, std::span<const ServerView> servers) const {
    const std::uint8_t owner = arc_owner_[h >> owner_shift_];
    if (owner != kMixed && servers[owner].healthy) [[likely]] return owner;
    return pick_on_ring(h, servers);
}

ServerIndex ConsistentHash::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    return pick_hashed(balancing::mix64(ctx.key ^ kKeySalt), servers);
}

ServerIndex ConsistentHash::pick_on_ring(std::uint64_t h, std::span<const ServerView> servers) const {
    std::size_t j = arc_search(h);
    if (j == points_.size()) j = 0;
    const ServerIndex owner = owners_[j];
    if (servers[owner].healthy) [[likely]] return owner;
    return walk_on(j, servers);
}

ServerIndex ConsistentHash::walk_on(std::size_t j, std::span<const ServerView> servers) const {
    if (balancing::count_healthy(servers) == 0) return static_cast<ServerIndex>(count_);
    const std::size_t size = points_.size();
    for (std::size_t step = 0; step < size; ++step, ++j) {
        if (j == size) j = 0;
        if (servers[owners_[j]].healthy) return owners_[j];
    }
    return static_cast<ServerIndex>(count_);  // unreachable: some backend is healthy
}

std::size_t ConsistentHash::first_at_or_after(std::uint64_t h) const { return arc_search(h); }

inline std::size_t ConsistentHash::arc_search(std::uint64_t h) const {
    // The first point >= h in the whole ring lies in h's arc: every point before the arc is
    // < h, and the next arc's first point is > h. Arcs hold about one point: a plain scan.
    const std::size_t arc = bucket_bits_ == 0 ? 0 : static_cast<std::size_t>(h >> (64 - bucket_bits_));
    std::size_t j = bucket_start_[arc];
    const std::size_t last = bucket_start_[arc + 1];
    while (j != last && points_[j] < h) ++j;
    return j;
}

}  // namespace s2sim::models

#include "models/balancers/maglev.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "models/balancers/common.hpp"

namespace s2sim::models {
namespace {
constexpr std::uint64_t kOffsetSalt = 0x6d61676c65766f66ULL;
constexpr std::uint64_t kSkipSalt = 0x6d61676c6576736bULL;
constexpr std::uint64_t kKeySalt = 0x6d61676c65766b79ULL;
// Health sets seen recently; a few cover a backend flapping or a rolling
// restart, and bound the memory (at most 6 bytes x M each).
constexpr std::size_t kCachedTables = 4;
}  // namespace

Maglev::Maglev(std::size_t backend_count, std::uint32_t table_size)
    : count_(backend_count), size_(table_size), health_(backend_count, 1) {
    offset_.reserve(backend_count);
    skip_.reserve(backend_count);
    for (std::size_t i = 0; i < backend_count; ++i) {
        const auto id = static_cast<std::uint64_t>(i);
        // As in the paper: offset = h1(b) mod M, skip = h2(b) mod (M - 1) + 1.
        // M prime makes every skip coprime with M, so each permutation visits all slots.
        offset_.push_back(static_cast<std::uint32_t>(balancing::mix64(id ^ kOffsetSalt) % size_));
        skip_.push_back(static_cast<std::uint32_t>(balancing::mix64(id ^ kSkipSalt) % (size_ - 1) + 1));
    }
}

void Maglev::build(Table& table) const {
    // The population loop of the paper (Pseudocode 1), over the healthy backends.
    const std::uint32_t m = size_;
    constexpr ServerIndex kEmpty = ~ServerIndex{0};
    table.entries.assign(m, kEmpty);
    std::vector<ServerIndex> live;
    std::vector<std::uint32_t> slot;  // next candidate slot of each live backend's permutation
    for (std::size_t i = 0; i < count_; ++i) {
        if (!table.health[i]) continue;
        live.push_back(static_cast<ServerIndex>(i));
        slot.push_back(offset_[i]);
    }
    if (live.empty()) {
        table.entries.clear();
        return;
    }
    std::uint32_t filled = 0;
    while (true) {
        for (std::size_t k = 0; k < live.size(); ++k) {
            const std::uint32_t skip = skip_[live[k]];
            std::uint32_t c = slot[k];
            while (table.entries[c] != kEmpty) {
                c += skip;
                if (c >= m) c -= m;
            }
            table.entries[c] = live[k];
            c += skip;
            if (c >= m) c -= m;
            slot[k] = c;
            if (++filled == m) {
                if (count_ <= std::numeric_limits<std::uint8_t>::max()) {
                    table.narrow8.assign(table.entries.begin(), table.entries.end());
                } else if (count_ <= std::numeric_limits<std::uint16_t>::max()) {
                    table.narrow16.assign(table.entries.begin(), table.entries.end());
                }
                return;
            }
        }
    }
}

std::span<const ServerIndex> Maglev::table(std::span<const ServerView> servers) {
    return find(servers).entries;
}

const Maglev::Table& Maglev::find(std::span<const ServerView> servers) {
    std::size_t k = 0;
    while (k < cache_.size() && !built_for(cache_[k], servers)) ++k;
    if (k < cache_.size()) {
        // Move it to the front, keeping the others in recency order.
        std::rotate(cache_.begin(), cache_.begin() + static_cast<std::ptrdiff_t>(k),
                    cache_.begin() + static_cast<std::ptrdiff_t>(k) + 1);
    } else {
        Table fresh;
        fresh.health.resize(count_);
        for (std::size_t i = 0; i < count_; ++i) fresh.health[i] = servers[i].healthy ? 1 : 0;
        build(fresh);
        if (cache_.size() == kCachedTables) cache_.pop_back();
        cache_.insert(cache_.begin(), std::move(fresh));
    }
    // The front table may be another one, or have moved: point the usual pick at it again.
    const Table& front = cache_[0];
    current8_ = !front.narrow8.empty() && front.health == health_ ? front.narrow8.data() : nullptr;
    return front;
}

namespace {
ServerIndex read_entry(const auto& t, std::uint64_t slot) {
    if (!t.narrow8.empty()) return t.narrow8[slot];
    if (!t.narrow16.empty()) return t.narrow16[slot];
    return t.entries[slot];
}
}  // namespace

bool Maglev::built_for(const Table& t, std::span<const ServerView> servers) const {
    for (std::size_t i = 0; i < count_; ++i) {
        if ((t.health[i] != 0) != servers[i].healthy) return false;
    }
    return true;
}

ServerIndex Maglev::pick(const PickContext& ctx, std::span<const ServerView> servers) {
    const std::uint64_t slot = balancing::mix64(ctx.key ^ kKeySalt) % size_;
    // The usual pick: the most recent table fits the health set as told, in 8 bits.
    if (current8_ != nullptr) [[likely]] return current8_[slot];
    return pick_found(slot, servers);
}

void Maglev::on_view_changed(ServerIndex server, const ServerView& view) {
    const char healthy = view.healthy ? 1 : 0;
    if (health_[server] == healthy) return;
    health_[server] = healthy;
    current8_ = nullptr;  // the next pick finds (or builds) the table for the new set
}

ServerIndex Maglev::pick_found(std::uint64_t slot, std::span<const ServerView> servers) {
    const Table& t = find(servers);
    if (t.entries.empty()) return static_cast<ServerIndex>(count_);
    return read_entry(t, slot);
}

ServerIndex Maglev::entry(std::span<const ServerView> servers, std::uint64_t slot) {
    return read_entry(find(servers), slot);
}

}  // namespace s2sim::models

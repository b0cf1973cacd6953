#pragma once
#include <cstdint>
#include <list>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

/// A cache's store of keys (docs/consistency.md, `cache` on an op): a bounded set of
/// entries (key, version, expiry) with an eviction policy. One per (cache op, server).
namespace s2sim::models {

enum class CachePolicy : std::uint8_t {
    lru,     ///< evicts the entry used least recently
    lfu,     ///< evicts the entry used least often (ties: least recently)
    fifo,    ///< evicts the entry stored first
    random,  ///< evicts an entry chosen uniformly
};

/// What a committed write of a cached key does to the cache's entries.
enum class CacheOnWrite : std::uint8_t {
    invalidate,  ///< removes the entry: the next read misses
    update,      ///< the entry takes the new version (its expiry is kept)
    none,        ///< nothing: only the TTL bounds staleness
};

/// A cache on an op: a hit serves the key from the store; a miss calls `miss` (the op's only
/// call step), and its answer is stored.
struct CacheModel {
    std::optional<std::uint64_t> capacity;  ///< keys per server; none = unbounded
    /// Bytes per server; none = unbounded. An entry's size is a draw of the miss op's response
    /// size, made when it is stored; an entry larger than the whole capacity is not stored.
    std::optional<double> capacity_bytes;
    DistributionPtr entry_bytes;  ///< the miss op's response size (set when capacity_bytes is)
    CachePolicy policy = CachePolicy::lru;
    std::optional<double> ttl_s;            ///< seconds an entry stays valid; none = forever
    std::uint32_t miss_service = 0;         ///< the backing op (SystemModel indices)
    std::uint32_t miss_op = 0;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> writes;  ///< (service, op) whose commits reach it
    CacheOnWrite on_write = CacheOnWrite::invalidate;
};

class CacheStore {
public:
    CacheStore(std::optional<std::uint64_t> capacity, CachePolicy policy, RandomStream rng,
               std::optional<double> capacity_bytes = std::nullopt);

    enum class Lookup : std::uint8_t { hit, miss, expired };
    /// Looks `key` up at `now`: on a hit, `version` is the entry's and the entry counts as used;
    /// an expired entry is removed.
    Lookup lookup(std::uint64_t key, Time now, std::uint32_t& version);
    /// Stores `key` (replacing an entry of it) valid until `expires`, taking `bytes` of the byte
    /// capacity; returns the entries evicted. An entry larger than the byte capacity is not
    /// stored (an entry of the key already there is dropped: it would be stale).
    std::uint32_t insert(std::uint64_t key, std::uint32_t version, Time expires, double bytes = 0);
    /// Removes `key`; true when it was there.
    bool erase(std::uint64_t key);
    /// Gives the entry of `key` (if any) `version`, when newer.
    void update(std::uint64_t key, std::uint32_t version);
    [[nodiscard]] std::size_t size() const { return entries_.size(); }
    [[nodiscard]] double bytes() const { return bytes_; }  ///< bytes the entries take

private:
    struct Entry {
        std::uint32_t version = 0;
        Time expires = Time::max();
        std::list<std::uint64_t>::iterator order;  ///< lru, fifo
        std::uint64_t uses = 0;                   ///< lfu
        std::uint64_t last = 0;                   ///< lfu: tick of the last use
        std::size_t index = 0;                    ///< random: position in keys_
        double bytes = 0;                         ///< its share of the byte capacity
    };
    void touch(std::uint64_t key, Entry& e);
    void forget(std::unordered_map<std::uint64_t, Entry>::iterator it);
    void evict_one();
    void evict_one_except(std::uint64_t key);

    std::optional<std::uint64_t> capacity_;
    std::optional<double> capacity_bytes_;
    double bytes_ = 0;
    CachePolicy policy_;
    RandomStream rng_;
    std::unordered_map<std::uint64_t, Entry> entries_;
    std::list<std::uint64_t> order_;                                    ///< lru: front = most recent; fifo: front = newest
    std::set<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>> by_use_;  ///< lfu: (uses, last, key)
    std::vector<std::uint64_t> keys_;                                   ///< random
    std::uint64_t tick_ = 0;
};

}  // namespace s2sim::models

#include "models/cache.hpp"

namespace s2sim::models {

CacheStore::CacheStore(std::optional<std::uint64_t> capacity, CachePolicy policy, RandomStream rng)
    : capacity_(capacity), policy_(policy), rng_(std::move(rng)) {}

void CacheStore::touch(std::uint64_t key, Entry& e) {
    switch (policy_) {
        case CachePolicy::lru: order_.splice(order_.begin(), order_, e.order); break;
        case CachePolicy::lfu:
            by_use_.erase({e.uses, e.last, key});
            ++e.uses;
            e.last = ++tick_;
            by_use_.insert({e.uses, e.last, key});
            break;
        case CachePolicy::fifo:
        case CachePolicy::random: break;
    }
}

void CacheStore::forget(std::unordered_map<std::uint64_t, Entry>::iterator it) {
    Entry& e = it->second;
    switch (policy_) {
        case CachePolicy::lru:
        case CachePolicy::fifo: order_.erase(e.order); break;
        case CachePolicy::lfu: by_use_.erase({e.uses, e.last, it->first}); break;
        case CachePolicy::random: {
            const std::uint64_t moved = keys_.back();
            keys_[e.index] = moved;
            entries_.find(moved)->second.index = e.index;
            keys_.pop_back();
            break;
        }
    }
    entries_.erase(it);
}

void CacheStore::evict_one() {
    std::uint64_t victim = 0;
    switch (policy_) {
        case CachePolicy::lru:
        case CachePolicy::fifo: victim = order_.back(); break;
        case CachePolicy::lfu: victim = std::get<2>(*by_use_.begin()); break;
        case CachePolicy::random: victim = keys_[rng_.next_u64() % keys_.size()]; break;
    }
    forget(entries_.find(victim));
}

CacheStore::Lookup CacheStore::lookup(std::uint64_t key, Time now, std::uint32_t& version) {
    const auto it = entries_.find(key);
    if (it == entries_.end()) return Lookup::miss;
    if (it->second.expires <= now) {
        forget(it);
        return Lookup::expired;
    }
    version = it->second.version;
    touch(key, it->second);
    return Lookup::hit;
}

std::uint32_t CacheStore::insert(std::uint64_t key, std::uint32_t version, Time expires) {
    if (const auto it = entries_.find(key); it != entries_.end()) {
        it->second.version = version;
        it->second.expires = expires;
        touch(key, it->second);
        return 0;
    }
    std::uint32_t evicted = 0;
    if (capacity_) {
        if (*capacity_ == 0) return 0;
        while (entries_.size() >= *capacity_) {
            evict_one();
            ++evicted;
        }
    }
    Entry& e = entries_[key];
    e.version = version;
    e.expires = expires;
    switch (policy_) {
        case CachePolicy::lru:
        case CachePolicy::fifo:
            order_.push_front(key);
            e.order = order_.begin();
            break;
        case CachePolicy::lfu:
            e.uses = 1;
            e.last = ++tick_;
            by_use_.insert({e.uses, e.last, key});
            break;
        case CachePolicy::random:
            e.index = keys_.size();
            keys_.push_back(key);
            break;
    }
    return evicted;
}

bool CacheStore::erase(std::uint64_t key) {
    const auto it = entries_.find(key);
    if (it == entries_.end()) return false;
    forget(it);
    return true;
}

void CacheStore::update(std::uint64_t key, std::uint32_t version) {
    const auto it = entries_.find(key);
    if (it != entries_.end() && it->second.version < version) it->second.version = version;
}

}  // namespace s2sim::models

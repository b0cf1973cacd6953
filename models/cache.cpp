#include "models/cache.hpp"

namespace s2sim::models {

CacheStore::CacheStore(std::optional<std::uint64_t> capacity, CachePolicy policy, RandomStream rng,
                       std::optional<double> capacity_bytes)
    : capacity_(capacity), capacity_bytes_(capacity_bytes), policy_(policy), rng_(std::move(rng)) {}

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
    bytes_ -= e.bytes;
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

void CacheStore::evict_one_except(std::uint64_t key) {
    // The policy's victim, unless it is `key`: then the next one in the policy's order.
    switch (policy_) {
        case CachePolicy::lru:
        case CachePolicy::fifo:
            for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
                if (*it != key) return forget(entries_.find(*it));
            }
            return;
        case CachePolicy::lfu:
            for (const auto& entry : by_use_) {
                if (std::get<2>(entry) != key) return forget(entries_.find(std::get<2>(entry)));
            }
            return;
        case CachePolicy::random: {
            if (keys_.size() < 2) return;
            std::uint64_t victim = key;
            while (victim == key) victim = keys_[rng_.next_u64() % keys_.size()];
            return forget(entries_.find(victim));
        }
    }
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

std::uint32_t CacheStore::insert(std::uint64_t key, std::uint32_t version, Time expires, double bytes) {
    if (capacity_bytes_ && bytes > *capacity_bytes_) {
        erase(key);
        return 0;
    }
    if (const auto it = entries_.find(key); it != entries_.end()) {
        it->second.version = version;
        it->second.expires = expires;
        touch(key, it->second);
        if (!capacity_bytes_) return 0;
        // A new size: make room for it without evicting the entry itself.
        bytes_ += bytes - it->second.bytes;
        it->second.bytes = bytes;
        std::uint32_t evicted = 0;
        while (bytes_ > *capacity_bytes_ && entries_.size() > 1) {
            const std::size_t before = entries_.size();
            evict_one_except(key);
            if (entries_.size() == before) break;
            ++evicted;
        }
        return evicted;
    }
    std::uint32_t evicted = 0;
    if (capacity_) {
        if (*capacity_ == 0) return 0;
        while (entries_.size() >= *capacity_) {
            evict_one();
            ++evicted;
        }
    }
    if (capacity_bytes_) {
        while (!entries_.empty() && bytes_ + bytes > *capacity_bytes_) {
            evict_one();
            ++evicted;
        }
    }
    Entry& e = entries_[key];
    e.version = version;
    e.expires = expires;
    e.bytes = bytes;
    bytes_ += bytes;
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

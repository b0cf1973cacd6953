#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "models/cache.hpp"
#include "models/consistency.hpp"
#include "models/recorder.hpp"
#include "models/system/context.hpp"

namespace s2sim::models::system {

class CallEngine;
struct Call;
class Hosts;
class ServicePools;

/// Keyed data and the staleness of reads (the `reads` and `read_quorum` keys of an op;
/// models/consistency.hpp has the semantics): versions written and committed by the
/// writing ops and their replication, reads compared with the newest commit, Dynamo-style
/// read quorums (requests to every copy asked, answered after r, optional read repair).
/// Does nothing, and is not registered in the Context, unless some op reads keyed data.
class Consistency {
public:
    /// The state of one quorum read in flight (indexed by call id).
    struct QuorumRead {
        std::uint32_t answers = 0;
        std::uint32_t failures = 0;
        std::uint32_t newest = 0;        ///< newest version among the answers
        std::uint32_t answered = 0;      ///< bit j: from[j] answered
        std::uint32_t answered_old = 0;  ///< bit j: from[j] answered an older version than `newest`
    };
    /// Servers a read quorum may ask (bit masks of 32).
    static constexpr std::size_t max_quorum = 32;

    /// Throws s2sim::Error when a reading op's server holds no copy, a workload has no keys
    /// or the version state would not fit (KeyedData::max_bytes).
    Consistency(Context& context, CallEngine& engine, Hosts& hosts, ServicePools& pools);

    /// After the work of call `id` (not failed): a write without replication commits; a read
    /// is compared. True when it took the call over (a quorum read goes on by itself).
    bool after_work(std::uint32_t id);
    /// A replicated write of call `id` commits on its primary: its version (0 when no op
    /// reads what it writes).
    std::uint32_t write(std::uint32_t id);
    /// The replicated write of call `id` counts as committed now (its writer is answered).
    void commit(std::uint32_t id);
    /// Replication pair `pair`'s replica `host` applied `version` of `key`.
    void apply_replica(std::uint32_t pair, std::uint32_t host, std::uint64_t key, std::uint32_t version);
    /// Child call `id` (now freed; `child` is its copy) answered its waiting parent: a cache
    /// miss stores the answer.
    void returned(std::uint32_t id, const Call& child);
    /// Sets the fractions and adds the t-visibility rows (before Recorder::collect).
    void finish();

private:
    [[nodiscard]] std::uint32_t op_index(std::uint32_t service, std::uint32_t op) const {
        return first_op_[service] + op;
    }
    /// A cache op: its stores (one per server of its service) and figures.
    struct Cache {
        const CacheModel* model = nullptr;
        std::uint32_t service = 0;
        std::uint32_t op = 0;
        std::uint32_t data = KeyedData::none;    ///< data set of `writes`, or none
        std::uint32_t reader = KeyedData::none;  ///< its reader row, or none
        std::vector<std::uint32_t> store_of_host;  ///< per host: index into stores, or none
        std::vector<CacheStore> stores;
        Recorder::Counter hits;
        Recorder::Counter misses;
        Recorder::Value hit_ratio;
        Recorder::Counter expired;
        Recorder::Counter evictions;
        Recorder::Counter invalidations;
        RandomStream size_rng{0, "cache-size"};  ///< entry sizes (byte capacity only)
    };
    /// Version `version` of `key` in data set `d` committed now: writes reach its caches.
    void committed(std::uint32_t d, std::uint64_t key, std::uint32_t version);
    /// Records read `reader` (or nothing when none) of `key` that returned `version`.
    void record_read(std::uint32_t reader, std::uint32_t call, std::uint64_t key, std::uint32_t version, Time started);
    void build_caches();
    void start_quorum_read(std::uint32_t id);
    void quorum_request_arrived(std::uint32_t id, std::uint32_t generation, std::uint32_t index, bool ok);
    void quorum_answer(std::uint32_t id, std::uint32_t generation, std::uint32_t index, std::uint32_t version, bool ok);

    Context& context_;
    CallEngine& calls_;
    Hosts& hosts_;
    ServicePools& services_;
    std::vector<std::uint32_t> first_op_;      ///< per service: index of its first op
    std::optional<KeyedData> data_;            ///< none unless an op reads keyed data
    std::vector<std::uint32_t> data_of_op_;    ///< per op: data set it writes, or none
    std::vector<std::uint32_t> reader_of_op_;  ///< per op: reader index, or none
    std::vector<std::uint32_t> data_of_pair_;  ///< per replication pair: data set, or none
    std::vector<std::uint32_t> call_version_;  ///< per call id: the version its write assigned
    std::vector<QuorumRead> quorum_;           ///< per call id
    std::vector<Cache> caches_;
    std::vector<std::uint32_t> cache_of_op_;   ///< per op: index into caches_, or none
    std::vector<std::vector<std::uint32_t>> caches_of_data_;  ///< per data set: caches its writes reach
    std::vector<std::uint32_t> served_;        ///< per call id: the version its read returned (with caches)
};

}  // namespace s2sim::models::system

#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "models/recorder.hpp"
#include "sim/stats/log_histogram.hpp"
#include "sim/time.hpp"

/// Keyed data and the staleness of reads (docs/consistency.md).
///
/// A *data set* is what one writing op writes (named after it, "db.write"): one version
/// counter per request key, and a copy of every key on each server that holds it (the
/// writing service's servers, which commit writes, and the replicas of its `replicate`).
/// A write assigns the key's next version when its op's work ends on a primary (the copy
/// there has it at once) and counts as *committed* when its writer is answered, as PBS
/// defines it: after its acknowledgements (sync, quorum), at once (async, no replication).
/// A replica's copy has a version once it applied it. A read returns the version of the
/// copy it is served from (or the newest of a read quorum's answers) and is compared with
/// the newest version of its key committed before the read started.
namespace s2sim::models {

/// A Dynamo-style read quorum: the read is sent to every server of `from` and answered
/// with the newest version among the first `r` answers.
struct ReadQuorumModel {
    std::vector<std::uint32_t> from;  ///< hosts asked (indices into SystemModel::hosts)
    std::uint32_t r = 1;              ///< answers waited for, 1 <= r <= from.size()
    bool repair = false;              ///< send the newest version back to the copies that answered older ones
};

/// What a reading op reads: the data set of a writing op, from its own server or a quorum.
struct ReadModel {
    std::uint32_t service = 0;  ///< the writing op's service (index into SystemModel::services)
    std::uint32_t op = 0;       ///< the writing op (index into that service's ops)
    std::optional<ReadQuorumModel> quorum;  ///< none = the copy on the server that runs the read
};

/// The versions of every data set, the commits, and the staleness figures of the reads.
/// Memory: keys x (copies x 4 + history x 8 + 8) bytes per data set, checked against
/// max_bytes when built.
class KeyedData {
public:
    static constexpr std::uint32_t none = UINT32_MAX;
    /// Commit times kept per key: a read's reference version and age are exact unless more
    /// than this many versions of its key were written while it ran (then approximate).
    static constexpr std::uint32_t history = 8;
    /// Version state a run may hold, all data sets together.
    static constexpr double max_bytes = 2.0 * 1024 * 1024 * 1024;
    /// Points of the t-visibility grid (intervals from 0 to where p reaches 0.999).
    static constexpr std::uint32_t grid_intervals = 40;

    /// One data set: `name` ("db.write"), the hosts with a copy, and the number of keys.
    struct DataSetSpec {
        std::string name;
        std::vector<std::uint32_t> copies;  ///< hosts holding a copy
    };
    /// One reading op: its row name ("db.read") and the data set it reads.
    struct ReaderSpec {
        std::string name;
        std::uint32_t data = 0;
    };
    /// Throws s2sim::Error when the state would exceed max_bytes or `keys` is 0.
    KeyedData(Recorder& recorder, std::uint64_t keys, std::uint32_t hosts, std::vector<DataSetSpec> data,
              std::vector<ReaderSpec> readers);

    [[nodiscard]] std::uint64_t keys() const { return keys_; }
    /// Copy index of `host` in data set `d`, or none.
    [[nodiscard]] std::uint32_t copy_of(std::uint32_t d, std::uint32_t host) const {
        return data_[d].copy_of_host[host];
    }

    /// A write of `key` on `host` at `now`: the key's next version, applied on the host's copy.
    std::uint32_t write(std::uint32_t d, std::uint64_t key, std::uint32_t host);
    /// The write of `version` counts as committed at `now`.
    void commit(std::uint32_t d, std::uint64_t key, std::uint32_t version, Time now);
    /// `host`'s copy has applied `version` (older versions change nothing).
    void apply(std::uint32_t d, std::uint64_t key, std::uint32_t host, std::uint32_t version);
    /// The version of `key` in `host`'s copy (0 = never written there).
    [[nodiscard]] std::uint32_t version_at(std::uint32_t d, std::uint64_t key, std::uint32_t host) const;

    /// Reader `reader` returned `served` for `key`, its read having started at `started`;
    /// counted only when `measured`.
    void read(std::uint32_t reader, std::uint64_t key, std::uint32_t served, Time started, bool measured);

    /// Sets the fractions and adds the t-visibility rows (call once, before Recorder::collect).
    void finish();

    /// The t-visibility grid of reader `reader` as points (t seconds, p): p at t is the
    /// fraction of consistent reads among those whose time since the newest commit of their
    /// key, at their start, lies within half an interval of t (from 0 for the first point).
    struct GridPoint {
        double t_s = 0;
        double p = 0;
        std::uint64_t reads = 0;
    };
    [[nodiscard]] std::vector<GridPoint> visibility(std::uint32_t reader) const;

private:
    struct DataSet {
        std::vector<std::uint32_t> copy_of_host;  ///< per host: copy index or none
        std::uint32_t copies = 0;
        std::vector<std::uint32_t> versions;   ///< key x copies
        std::vector<std::uint32_t> assigned;   ///< per key: versions written
        std::vector<std::uint32_t> committed;  ///< per key: newest version committed
        std::vector<Time> commits;             ///< key x history: commit time of version v at v % history
    };
    struct Reader {
        std::uint32_t data = 0;
        Recorder::Counter reads;
        Recorder::Counter stale;
        Recorder::Value stale_fraction;
        Recorder::Latency versions_behind;
        Recorder::Latency age;
        stats::LogHistogram since_commit;             ///< seconds from the newest commit to the start
        stats::LogHistogram since_commit_consistent;  ///< the same, of the consistent reads
        std::string name;
    };
    [[nodiscard]] std::uint64_t slot(std::uint64_t key) const { return key % keys_; }
    /// Commit time of `version` of key slot `k`; Time::max() when not committed or forgotten.
    [[nodiscard]] Time commit_time(const DataSet& d, std::uint64_t k, std::uint32_t version) const;

    Recorder& recorder_;
    std::uint64_t keys_ = 1;
    std::vector<DataSet> data_;
    std::vector<Reader> readers_;
    Recorder::TableId visibility_table_ = 0;
};

}  // namespace s2sim::models

// Caches as components (models/cache.hpp, docs/consistency.md): hit ratios against Che's
// approximation (LRU under Zipf keys) and the renewal formula of a TTL cache, staleness
// bounded by the TTL.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "models/system.hpp"
#include "sim/error.hpp"
#include "tests/models/fixtures.hpp"

namespace {
using namespace s2sim;
using namespace s2sim::models;
using testing::one_op_workload;
using testing::run;

const RecordedRow& row(const RunResults& r, const std::string& table, const std::string& name) {
    for (const RecordedTable& t : r.tables) {
        if (t.name != table) continue;
        for (const RecordedRow& row : t.rows) {
            if (row.name == name) return row;
        }
    }
    throw Error("no row " + table + "/" + name);
}

/// "front.get" is a cache in front of "db.read"; "db.write" writes on the same server as
/// db.read (the primary, always fresh). Requests of `keys` Zipf keys; no network, no work:
/// a miss is filled in the same instant. `write_rate` > 0 adds writes of the same keys.
SystemModel cached(CacheModel cache, std::uint64_t keys, double skew, double rate, double write_rate, double warmup_s,
                   double duration_s) {
    SystemModel m;
    m.name = "cache";
    m.seed = 3;
    m.warmup_s = warmup_s;
    m.duration_s = duration_s;
    for (const char* name : {"front", "db"}) {
        HostModel h;
        h.server.name = name;
        h.server.cores = 64;
        m.hosts.push_back(h);
    }
    ServiceModel front;
    front.name = "front";
    front.servers = {0};
    OpModel get;
    get.name = "get";
    CallModel miss;
    miss.service = 1;
    miss.op = 0;
    get.steps = {{miss}};
    cache.miss_service = 1;
    cache.miss_op = 0;
    if (write_rate > 0) {
        cache.writes = std::make_pair(1u, 1u);
        get.reads = ReadModel{1, 1, std::nullopt};
    }
    get.cache = cache;
    front.ops.push_back(get);
    ServiceModel db;
    db.name = "db";
    db.servers = {1};
    OpModel read;
    read.name = "read";
    if (write_rate > 0) read.reads = ReadModel{1, 1, std::nullopt};
    OpModel write;
    write.name = "write";
    db.ops.push_back(read);
    db.ops.push_back(write);
    m.services.push_back(std::move(front));
    m.services.push_back(std::move(db));
    m.workloads.push_back(one_op_workload("readers", 0, PoissonArrivals{rate}));
    m.workloads.back().keys = KeyModel{keys, skew};
    if (write_rate > 0) {
        WorkloadModel writers = one_op_workload("writers", 1, PoissonArrivals{write_rate});
        writers.ops = {1};
        writers.keys = KeyModel{keys, skew};
        m.workloads.push_back(std::move(writers));
    }
    return m;
}

std::vector<double> zipf(std::uint64_t keys, double skew) {
    std::vector<double> p(keys);
    double sum = 0;
    for (std::uint64_t k = 0; k < keys; ++k) sum += p[k] = std::pow(static_cast<double>(k + 1), -skew);
    for (double& x : p) x /= sum;
    return p;
}

}  // namespace

TEST_CASE("cache: LRU hit ratio under Zipf keys is within 2% of Che's approximation", "[models][cache][theory]") {
    // Che et al. (2002): with independent requests of probabilities p_i, an LRU cache of C
    // keys behaves as if each key stayed T_C requests after its last use, where
    // sum_i (1 - exp(-p_i T_C)) = C; its hit ratio is sum_i p_i (1 - exp(-p_i T_C)).
    const std::uint64_t keys = 10000;
    const double skew = 0.8;
    const std::uint64_t capacity = 500;
    const std::vector<double> p = zipf(keys, skew);
    const auto occupancy = [&](double t) {
        double sum = 0;
        for (const double q : p) sum += 1 - std::exp(-q * t);
        return sum;
    };
    double lo = 0;
    double hi = 1e9;
    for (int i = 0; i < 200; ++i) ((occupancy((lo + hi) / 2) < capacity) ? lo : hi) = (lo + hi) / 2;
    double che = 0;
    for (const double q : p) che += q * (1 - std::exp(-q * lo));
    for (const CachePolicy policy : {CachePolicy::lru}) {
        CacheModel cache;
        cache.capacity = capacity;
        cache.policy = policy;
        const RunResults r = run(cached(cache, keys, skew, 10000, 0, 10, 40));
        const RecordedRow& c = row(r, "cache", "front.get");
        CHECK(c.figures[0].count + c.figures[1].count > 350000);
        CHECK(c.figures[2].value == Approx(che).epsilon(0.02));
        CHECK(c.figures[4].count > 0);  // evictions
    }
}

TEST_CASE("cache: other policies keep the capacity and rank as expected under Zipf keys", "[models][cache]") {
    // Under independent requests FIFO and random replacement have the same hit ratio (Gelenbe,
    // 1973), below LRU's; no policy beats keeping the C most popular keys.
    const std::uint64_t keys = 10000;
    const double skew = 0.8;
    const std::uint64_t capacity = 500;
    const std::vector<double> p = zipf(keys, skew);
    double best = 0;
    for (std::uint64_t k = 0; k < capacity; ++k) best += p[k];
    std::vector<double> ratio;
    for (const CachePolicy policy : {CachePolicy::lfu, CachePolicy::lru, CachePolicy::fifo, CachePolicy::random}) {
        CacheModel cache;
        cache.capacity = capacity;
        cache.policy = policy;
        ratio.push_back(row(run(cached(cache, keys, skew, 10000, 0, 10, 20)), "cache", "front.get").figures[2].value);
    }
    for (const double h : ratio) CHECK(h < best);
    CHECK(ratio[0] > ratio[2] + 0.01);
    CHECK(ratio[1] > ratio[2] + 0.01);
    CHECK(ratio[2] == Approx(ratio[3]).epsilon(0.02));
}

TEST_CASE("cache: a TTL cache's hit ratio for a key of rate lambda is lambda T / (1 + lambda T)", "[models][cache][theory]") {
    // Renewal: a miss stores the key for T; the lambda T requests expected in that time hit;
    // the next request after it expires misses. Per cycle 1 miss and lambda T hits. With n
    // cycles the ratio's standard deviation is about sqrt(lambda T) / (sqrt(n) (1 + lambda T)^2).
    const double lambda = 20;
    const double ttl = 0.1;
    const double duration = 1000;
    CacheModel cache;
    cache.ttl_s = ttl;
    const RunResults r = run(cached(cache, 1, 0, lambda, 0, 0, duration));
    const RecordedRow& c = row(r, "cache", "front.get");
    const double a = lambda * ttl;
    const double cycles = duration / (ttl + 1 / lambda);
    const double sd = std::sqrt(a) / (std::sqrt(cycles) * (1 + a) * (1 + a));
    CHECK(c.figures[2].value == Approx(a / (1 + a)).margin(4 * sd));
    CHECK(c.figures[3].count == c.figures[1].count - 1);  // every miss but the first finds an expired entry
}

TEST_CASE("cache: with on_write = none the TTL bounds staleness; invalidation removes it", "[models][cache][consistency]") {
    CacheModel cache;
    cache.ttl_s = 0.05;
    cache.on_write = CacheOnWrite::none;
    const RunResults none = run(cached(cache, 10, 0, 1000, 20, 1, 60));
    const RecordedRow& s = row(none, "staleness", "front.get");
    INFO("reads " << s.figures[0].count << " hits " << row(none, "cache", "front.get").figures[0].count);
    CHECK(s.figures[1].count > 100);
    CHECK(s.figures[4].latency.max() <= 0.05 + 1e-9);  // age: at most one TTL
    cache.on_write = CacheOnWrite::invalidate;
    const RunResults invalidated = run(cached(cache, 10, 0, 1000, 20, 1, 60));
    CHECK(row(invalidated, "staleness", "front.get").figures[1].count == 0);
    CHECK(row(invalidated, "cache", "front.get").figures[5].count > 100);
    cache.on_write = CacheOnWrite::update;
    CHECK(row(run(cached(cache, 10, 0, 1000, 20, 1, 60)), "staleness", "front.get").figures[1].count == 0);
}

TEST_CASE("cache: a capacity in bytes holds as many entries as fit, evicting by the policy", "[models][cache]") {
    CacheStore store(std::nullopt, CachePolicy::lru, RandomStream(1, "t"), 1000.0);
    CHECK(store.insert(1, 1, Time::max(), 400) == 0);
    CHECK(store.insert(2, 1, Time::max(), 400) == 0);
    std::uint32_t version = 0;
    CHECK(store.lookup(1, Time::zero(), version) == CacheStore::Lookup::hit);  // 2 is now the LRU
    CHECK(store.insert(3, 1, Time::max(), 400) == 1);                         // evicts 2
    CHECK(store.lookup(2, Time::zero(), version) == CacheStore::Lookup::miss);
    CHECK(store.bytes() == 800);
    CHECK(store.insert(4, 1, Time::max(), 1001) == 0);  // larger than the whole cache: not stored
    CHECK(store.lookup(4, Time::zero(), version) == CacheStore::Lookup::miss);
    CHECK(store.size() == 2);
    // Key 1 grows to 700 B: key 3 (the other entry) goes, key 1 stays.
    CHECK(store.insert(1, 2, Time::max(), 700) == 1);
    CHECK(store.lookup(1, Time::zero(), version) == CacheStore::Lookup::hit);
    CHECK(version == 2);
    CHECK(store.size() == 1);
    CHECK(store.bytes() == 700);
    CHECK(store.insert(1, 3, Time::max(), 2000) == 0);  // too large now: dropped, not kept stale
    CHECK(store.size() == 0);
    CHECK(store.bytes() == 0);
}

TEST_CASE("cache: 10 KB of 1 KB entries behave exactly as a capacity of 10 keys", "[models][cache]") {
    CacheModel by_keys;
    by_keys.capacity = 10;
    CacheModel by_bytes;
    by_bytes.capacity_bytes = 10'000;
    by_bytes.entry_bytes = make_constant(1000);
    const RunResults a = run(cached(by_keys, 100, 0.8, 2000, 0, 1, 5));
    const RunResults b = run(cached(by_bytes, 100, 0.8, 2000, 0, 1, 5));
    const RecordedRow& ra = row(a, "cache", "front.get");
    const RecordedRow& rb = row(b, "cache", "front.get");
    CHECK(ra.figures[0].count > 1000);  // hits
    CHECK(ra.figures[4].count > 100);   // evictions
    for (const std::size_t f : {0u, 1u, 4u}) CHECK(ra.figures[f].count == rb.figures[f].count);
    // 9.5 KB holds 9 entries: fewer hits than 10.
    by_bytes.capacity_bytes = 9'500;
    CHECK(row(run(cached(by_bytes, 100, 0.8, 2000, 0, 1, 5)), "cache", "front.get").figures[0].count < ra.figures[0].count);
}

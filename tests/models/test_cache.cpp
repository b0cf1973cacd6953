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

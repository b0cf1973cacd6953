#include "models/consistency.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/error.hpp"

namespace s2sim::models {

KeyedData::KeyedData(Recorder& recorder, std::uint64_t keys, std::uint32_t hosts, std::vector<DataSetSpec> data,
                     std::vector<ReaderSpec> readers)
    : recorder_(recorder), keys_(keys) {
    if (keys == 0) throw Error("keyed data: the key count must be at least 1");
    double bytes = 0;
    for (const DataSetSpec& d : data) {
        bytes += static_cast<double>(keys) *
                 (4.0 * static_cast<double>(d.copies.size()) + 8.0 * history + 8.0);
    }
    if (bytes > max_bytes) {
        std::string sets;
        for (const DataSetSpec& d : data) sets += (sets.empty() ? "" : ", ") + d.name + fmt::format(" ({} copies)", d.copies.size());
        throw Error(fmt::format("keyed data: {} keys x the copies of {} need {:.3g} GB of version state, more than "
                                "the {:.3g} GB allowed (use fewer keys or fewer copies)",
                                keys, sets, bytes / 1e9, max_bytes / 1e9));
    }
    for (const DataSetSpec& spec : data) {
        DataSet d;
        d.copy_of_host.assign(hosts, none);
        for (const std::uint32_t h : spec.copies) {
            if (h >= hosts) throw Error("keyed data '" + spec.name + "': bad host index");
            if (d.copy_of_host[h] == none) d.copy_of_host[h] = d.copies++;
        }
        d.versions.assign(keys * d.copies, 0);
        d.assigned.assign(keys, 0);
        d.committed.assign(keys, 0);
        d.commits.assign(keys * history, Time::max());
        data_.push_back(std::move(d));
    }
    const std::vector<FigureSpec> staleness{
        {"reads", "reads", FigureKind::counter, "reads compared with the newest committed version of their key"},
        {"stale", "reads", FigureKind::counter, "reads that returned an older version than the newest committed"},
        {"stale_fraction", "fraction", FigureKind::value, "stale / reads"},
        {"versions_behind", "versions", FigureKind::latency,
         "stale reads: committed versions the read missed (a count kept as a histogram)"},
        {"age_s", "s", FigureKind::latency, "stale reads: time from the oldest missed commit to the read's start"},
    };
    const auto table = recorder_.add_table("staleness", "service.op", staleness);
    visibility_table_ = recorder_.add_table(
        "t_visibility", "service.op#point",
        {{"t_s", "s", FigureKind::value, "time from the newest commit of the key to the read's start"},
         {"p", "fraction", FigureKind::value, "fraction of the reads near t_s that were consistent"},
         {"reads", "reads", FigureKind::counter, "reads within half an interval of t_s"}});
    for (const ReaderSpec& r : readers) {
        if (r.data >= data_.size()) throw Error("keyed data: reader '" + r.name + "' reads an unknown data set");
        const auto row = recorder_.add_row(table, r.name);
        Reader reader;
        reader.data = r.data;
        reader.reads = recorder_.counter(table, row, 0);
        reader.stale = recorder_.counter(table, row, 1);
        reader.stale_fraction = recorder_.value(table, row, 2);
        reader.versions_behind = recorder_.latency(table, row, 3);
        reader.age = recorder_.latency(table, row, 4);
        reader.name = r.name;
        readers_.push_back(std::move(reader));
    }
}

std::uint32_t KeyedData::write(std::uint32_t d, std::uint64_t key, std::uint32_t host) {
    DataSet& data = data_[d];
    const std::uint64_t k = slot(key);
    const std::uint32_t version = ++data.assigned[k];
    data.commits[k * history + version % history] = Time::max();  // written, not committed yet
    apply(d, key, host, version);
    return version;
}

void KeyedData::commit(std::uint32_t d, std::uint64_t key, std::uint32_t version, Time now) {
    DataSet& data = data_[d];
    const std::uint64_t k = slot(key);
    // Only the newest `history` versions keep their commit time.
    if (version + history > data.assigned[k]) data.commits[k * history + version % history] = now;
    data.committed[k] = std::max(data.committed[k], version);
}

void KeyedData::apply(std::uint32_t d, std::uint64_t key, std::uint32_t host, std::uint32_t version) {
    DataSet& data = data_[d];
    const std::uint32_t copy = data.copy_of_host[host];
    if (copy == none) return;
    std::uint32_t& held = data.versions[slot(key) * data.copies + copy];
    held = std::max(held, version);
}

std::uint32_t KeyedData::version_at(std::uint32_t d, std::uint64_t key, std::uint32_t host) const {
    const DataSet& data = data_[d];
    const std::uint32_t copy = data.copy_of_host[host];
    return copy == none ? 0 : data.versions[slot(key) * data.copies + copy];
}

Time KeyedData::commit_time(const DataSet& d, std::uint64_t k, std::uint32_t version) const {
    if (version == 0 || version > d.assigned[k] || version + history <= d.assigned[k]) return Time::max();
    return d.commits[k * history + version % history];
}

void KeyedData::read(std::uint32_t r, std::uint64_t key, std::uint32_t served, Time started, bool measured) {
    if (!measured) return;
    Reader& reader = readers_[r];
    const DataSet& data = data_[reader.data];
    const std::uint64_t k = slot(key);
    // The reference: the newest version committed before the read started. Versions may
    // commit out of order (a quorum write overtaking another), so look down from the newest.
    std::uint32_t reference = 0;
    Time reference_commit = Time::max();
    const std::uint32_t newest = data.committed[k];
    const std::uint32_t oldest_known = data.assigned[k] >= history ? data.assigned[k] - history + 1 : 1;
    for (std::uint32_t v = std::min(newest, data.assigned[k]); v >= oldest_known && v > 0; --v) {
        const Time t = commit_time(data, k, v);
        if (t <= started) {
            reference = v;
            reference_commit = t;
            break;
        }
    }
    if (reference == 0 && newest > 0 && oldest_known > 1) {
        // Every remembered commit came after the start: the reference is older than the
        // history (approximate: its commit time is unknown).
        reference = std::min(newest, oldest_known - 1);
    }
    reader.reads.add();
    const bool stale = served < reference;
    if (reference_commit != Time::max()) {
        const double since = (started - reference_commit).seconds();
        reader.since_commit.record(since);
        if (!stale) reader.since_commit_consistent.record(since);
    }
    if (!stale) return;
    reader.stale.add();
    reader.versions_behind.record(static_cast<double>(reference - served));
    // Age: from the oldest commit the read missed (among those before its start).
    Time oldest_missed = reference_commit;
    for (std::uint32_t v = std::max(served + 1, oldest_known); v < reference; ++v) {
        const Time t = commit_time(data, k, v);
        if (t <= started) oldest_missed = std::min(oldest_missed, t);
    }
    if (oldest_missed != Time::max()) reader.age.record((started - oldest_missed).seconds());
}

std::vector<KeyedData::GridPoint> KeyedData::visibility(std::uint32_t r) const {
    const Reader& reader = readers_[r];
    const auto all = reader.since_commit.buckets();
    if (reader.since_commit.count() == 0) return {};
    const auto consistent = reader.since_commit_consistent.buckets();
    // Counts per bucket index (underflow, values near 0, as index 0 at value 0).
    struct Cell {
        double at = 0;
        std::uint64_t all = 0;
        std::uint64_t consistent = 0;
    };
    std::vector<Cell> cells;
    if (reader.since_commit.underflow() > 0) {
        cells.push_back({0.0, reader.since_commit.underflow(), reader.since_commit_consistent.underflow()});
    }
    std::size_t j = 0;
    for (const auto& b : all) {
        Cell c;
        const double lower = stats::LogHistogram::bucket_lower(b.index);
        c.at = lower + 0.5 * stats::LogHistogram::resolution(lower);
        c.all = b.count;
        while (j < consistent.size() && consistent[j].index < b.index) ++j;
        if (j < consistent.size() && consistent[j].index == b.index) c.consistent = consistent[j].count;
        cells.push_back(c);
    }
    if (reader.since_commit.overflow() > 0) {
        cells.push_back({std::numeric_limits<double>::max(), reader.since_commit.overflow(),
                         reader.since_commit_consistent.overflow()});
    }
    // Where p reaches 0.999: the smallest t from which every tail (reads at least that
    // long after their commit) is at least 99.9% consistent.
    double end = 0;
    std::uint64_t tail_all = 0;
    std::uint64_t tail_consistent = 0;
    for (std::size_t i = cells.size(); i-- > 0;) {
        tail_all += cells[i].all;
        tail_consistent += cells[i].consistent;
        if (static_cast<double>(tail_consistent) < 0.999 * static_cast<double>(tail_all)) {
            end = i + 1 < cells.size() ? cells[i + 1].at : cells[i].at;
            break;
        }
    }
    std::vector<GridPoint> grid;
    if (!(end > 0) || !std::isfinite(end)) {
        std::uint64_t n = 0;
        std::uint64_t c = 0;
        for (const Cell& cell : cells) {
            n += cell.all;
            c += cell.consistent;
        }
        grid.push_back({0.0, static_cast<double>(c) / static_cast<double>(n), n});
        return grid;
    }
    const double step = end / grid_intervals;
    std::vector<std::uint64_t> n(grid_intervals + 1, 0);
    std::vector<std::uint64_t> c(grid_intervals + 1, 0);
    for (const Cell& cell : cells) {
        const double x = std::floor(cell.at / step + 0.5);
        if (!(x <= grid_intervals)) continue;
        const auto i = static_cast<std::size_t>(x);
        n[i] += cell.all;
        c[i] += cell.consistent;
    }
    for (std::uint32_t i = 0; i <= grid_intervals; ++i) {
        if (n[i] == 0) continue;
        grid.push_back({step * i, static_cast<double>(c[i]) / static_cast<double>(n[i]), n[i]});
    }
    return grid;
}

void KeyedData::finish() {
    for (std::uint32_t r = 0; r < readers_.size(); ++r) {
        Reader& reader = readers_[r];
        const auto reads = *reader.reads.total;
        reader.stale_fraction.set(reads > 0 ? static_cast<double>(*reader.stale.total) / static_cast<double>(reads)
                                            : 0.0);
        const std::vector<GridPoint> grid = visibility(r);
        for (std::size_t i = 0; i < grid.size(); ++i) {
            const auto row = recorder_.add_row(visibility_table_, fmt::format("{}#{:02d}", reader.name, i));
            recorder_.value(visibility_table_, row, 0).set(grid[i].t_s);
            recorder_.value(visibility_table_, row, 1).set(grid[i].p);
            recorder_.counter(visibility_table_, row, 2).add(grid[i].reads);
        }
    }
}

}  // namespace s2sim::models

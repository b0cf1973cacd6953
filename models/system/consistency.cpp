// Keyed data, versions and the staleness of reads: System's part for the `reads` and
// `read_quorum` keys of an op (models/consistency.hpp has the semantics).
#include "models/system/consistency.hpp"

#include <algorithm>

#include "models/system/call_engine.hpp"
#include "models/system/hosts.hpp"
#include "models/system/service_pools.hpp"
#include "sim/error.hpp"

namespace s2sim::models::system {

Consistency::Consistency(Context& context, CallEngine& engine, Hosts& hosts, ServicePools& pools)
    : context_(context), calls_(engine), hosts_(hosts), services_(pools) {
    const SystemModel& model = context.model;
    std::uint32_t ops = 0;
    for (const ServiceModel& s : model.services) {
        first_op_.push_back(ops);
        ops += static_cast<std::uint32_t>(s.ops.size());
    }
    // Data sets: the ops some op reads. Nothing at all when no op reads keyed data.
    std::vector<std::uint32_t> data_of_op(ops, KeyedData::none);
    std::vector<std::uint32_t> reader_of_op(ops, KeyedData::none);
    std::vector<KeyedData::DataSetSpec> sets;
    std::vector<KeyedData::ReaderSpec> readers;
    for (std::uint32_t s = 0; s < model.services.size(); ++s) {
        const ServiceModel& service = model.services[s];
        for (std::uint32_t o = 0; o < service.ops.size(); ++o) {
            const OpModel& op = service.ops[o];
            if (!op.reads) continue;
            const std::string name = service.name + "." + op.name;
            if (op.reads->service >= model.services.size() || op.reads->op >= model.services[op.reads->service].ops.size()) {
                throw Error("op '" + name + "' reads an unknown op");
            }
            const ServiceModel& writer = model.services[op.reads->service];
            const OpModel& write = writer.ops[op.reads->op];
            std::uint32_t& d = data_of_op[op_index(op.reads->service, op.reads->op)];
            if (d == KeyedData::none) {
                d = static_cast<std::uint32_t>(sets.size());
                KeyedData::DataSetSpec set{writer.name + "." + write.name, writer.servers};
                if (write.replicate) set.copies.insert(set.copies.end(), write.replicate->to.begin(), write.replicate->to.end());
                sets.push_back(std::move(set));
            }
            const std::vector<std::uint32_t>& copies = sets[d].copies;
            const auto holds = [&](std::uint32_t h) { return std::find(copies.begin(), copies.end(), h) != copies.end(); };
            if (op.cache) {
                // A cache reads from its own store, not from a copy.
            } else if (op.reads->quorum) {
                const ReadQuorumModel& q = *op.reads->quorum;
                if (q.from.empty() || q.from.size() > max_quorum || q.r < 1 || q.r > q.from.size()) {
                    throw Error("op '" + name + "': a read quorum asks 1 to 32 servers and waits for 1 to all of them");
                }
                for (const std::uint32_t h : q.from) {
                    if (h >= model.hosts.size() || !holds(h)) {
                        throw Error("op '" + name + "': read_quorum asks a server that holds no copy of '" + sets[d].name + "'");
                    }
                }
            } else {
                for (const std::uint32_t h : service.servers) {
                    if (!holds(h)) {
                        throw Error("op '" + name + "' reads '" + sets[d].name + "' but its server '" +
                                    model.hosts[h].server.name + "' holds no copy (not a server of '" + writer.name +
                                    "' nor a replica of its writes)");
                    }
                }
            }
            reader_of_op[op_index(s, o)] = static_cast<std::uint32_t>(readers.size());
            readers.push_back({name, d});
        }
    }
    bool any_cache = false;
    for (const ServiceModel& service : model.services) {
        for (const OpModel& op : service.ops) any_cache = any_cache || op.cache.has_value();
    }
    if (readers.empty() && !any_cache) return;
    std::uint64_t keys = 0;
    for (const WorkloadModel& w : model.workloads) {
        if (!w.keys) {
            throw Error("workload '" + w.name + "' has no keys, but ops read keyed data or cache it: give it keys = { count = N }");
        }
        keys = std::max(keys, w.keys->count);
    }
    data_of_op_ = std::move(data_of_op);
    reader_of_op_ = std::move(reader_of_op);
    context.consistency = this;
    // The tables of the keyed data first, then the caches' (handles are taken as tables are added).
    if (!readers.empty()) {
        data_.emplace(context.recorder, std::max<std::uint64_t>(keys, 1), static_cast<std::uint32_t>(model.hosts.size()),
                      sets, readers);
    }
    build_caches();
    if (readers.empty()) return;
    caches_of_data_.resize(sets.size());
    for (std::uint32_t c = 0; c < caches_.size(); ++c) {
        if (caches_[c].data != KeyedData::none) caches_of_data_[caches_[c].data].push_back(c);
    }
    // Replication pairs in the Replicator's order: per service, per op, per replica.
    for (std::uint32_t s = 0; s < model.services.size(); ++s) {
        const ServiceModel& service = model.services[s];
        for (std::uint32_t o = 0; o < service.ops.size(); ++o) {
            if (!service.ops[o].replicate) continue;
            const std::uint32_t d = data_of_op_[op_index(s, o)];
            for (std::size_t j = 0; j < service.ops[o].replicate->to.size(); ++j) data_of_pair_.push_back(d);
        }
    }
}

void Consistency::build_caches() {
    const SystemModel& model = context_.model;
    cache_of_op_.assign(data_of_op_.size(), KeyedData::none);
    Recorder::TableId table = 0;
    for (std::uint32_t s = 0; s < model.services.size(); ++s) {
        const ServiceModel& service = model.services[s];
        for (std::uint32_t o = 0; o < service.ops.size(); ++o) {
            const OpModel& op = service.ops[o];
            if (!op.cache) continue;
            if (caches_.empty()) {
                table = context_.recorder.add_table(
                    "cache", "service.op",
                    {{"hits", "reads", FigureKind::counter, "reads served from the cache"},
                     {"misses", "reads", FigureKind::counter, "reads that called the miss op (expired ones included)"},
                     {"hit_ratio", "fraction", FigureKind::value, "hits / (hits + misses)"},
                     {"expired", "reads", FigureKind::counter, "misses on an entry past its TTL"},
                     {"evictions", "entries", FigureKind::counter, "entries evicted to make room"},
                     {"invalidations", "entries", FigureKind::counter, "entries removed by a committed write"}});
            }
            const std::string name = service.name + "." + op.name;
            const auto row = context_.recorder.add_row(table, name);
            Cache cache;
            cache.model = &*op.cache;
            cache.service = s;
            cache.op = o;
            if (op.cache->writes) cache.data = data_of_op_[op_index(op.cache->writes->first, op.cache->writes->second)];
            cache.reader = reader_of_op_[op_index(s, o)];
            cache.size_rng = RandomStream(model.seed, "cache-size/" + name);
            cache.store_of_host.assign(model.hosts.size(), KeyedData::none);
            for (const std::uint32_t h : service.servers) {
                cache.store_of_host[h] = static_cast<std::uint32_t>(cache.stores.size());
                cache.stores.emplace_back(op.cache->capacity, op.cache->policy,
                                          RandomStream(model.seed, "cache/" + name + "/" + model.hosts[h].server.name),
                                          op.cache->capacity_bytes);
            }
            cache.hits = context_.recorder.counter(table, row, 0);
            cache.misses = context_.recorder.counter(table, row, 1);
            cache.hit_ratio = context_.recorder.value(table, row, 2);
            cache.expired = context_.recorder.counter(table, row, 3);
            cache.evictions = context_.recorder.counter(table, row, 4);
            cache.invalidations = context_.recorder.counter(table, row, 5);
            cache_of_op_[op_index(s, o)] = static_cast<std::uint32_t>(caches_.size());
            caches_.push_back(std::move(cache));
        }
    }
}

void Consistency::record_read(std::uint32_t reader, std::uint32_t call, std::uint64_t key, std::uint32_t version,
                              Time started) {
    if (reader == KeyedData::none) return;
    data_->read(reader, key, version, started, context_.measuring && started >= context_.measure_from);
    if (!caches_.empty()) {
        if (served_.size() <= call) served_.resize(calls_.size(), 0);
        served_[call] = version;
    }
}

void Consistency::committed(std::uint32_t d, std::uint64_t key, std::uint32_t version) {
    if (caches_of_data_.empty()) return;
    for (const std::uint32_t c : caches_of_data_[d]) {
        Cache& cache = caches_[c];
        // Writes reach every server of the cache at the commit (no message is modelled).
        switch (cache.model->on_write) {
            case CacheOnWrite::invalidate:
                for (CacheStore& store : cache.stores) {
                    if (store.erase(key)) cache.invalidations.add();
                }
                break;
            case CacheOnWrite::update:
                for (CacheStore& store : cache.stores) store.update(key, version);
                break;
            case CacheOnWrite::none: break;
        }
    }
}

void Consistency::returned(std::uint32_t id, const Call& child) {
    if (caches_.empty()) return;
    const Call& parent = calls_[child.parent];
    const std::uint32_t c = cache_of_op_[op_index(parent.service, parent.op)];
    if (c == KeyedData::none) return;
    Cache& cache = caches_[c];
    if (child.service != cache.model->miss_service || child.op != cache.model->miss_op) return;
    // The miss op's answer: the version its read returned (0 when it reads no keyed data).
    const bool keyed = reader_of_op_[op_index(child.service, child.op)] != KeyedData::none;
    const std::uint32_t version = keyed && id < served_.size() ? served_[id] : 0;
    const Time now = context_.sim.now();
    const Time expires = cache.model->ttl_s ? now + Time::from_seconds(*cache.model->ttl_s) : Time::max();
    const std::uint32_t store = cache.store_of_host[parent.host];
    // Sizes are drawn only for a byte capacity (a key capacity alone draws nothing).
    const double bytes = cache.model->capacity_bytes && cache.model->entry_bytes
                             ? std::max(0.0, cache.model->entry_bytes->sample(cache.size_rng))
                             : 0.0;
    cache.evictions.add(cache.stores[store].insert(parent.key, version, expires, bytes));
    record_read(cache.reader, child.parent, parent.key, version, parent.sent);
}

bool Consistency::after_work(std::uint32_t id) {
    const Call& call = calls_[id];
    const OpModel& op = services_[call.service].model->ops[call.op];
    const std::uint32_t d = data_of_op_[op_index(call.service, call.op)];
    if (d != KeyedData::none && !op.replicate) {
        // A write without replication commits on its server at once.
        const std::uint32_t version = data_->write(d, call.key, call.host);
        data_->commit(d, call.key, version, context_.sim.now());
        committed(d, call.key, version);
    }
    if (!caches_.empty()) {
        const std::uint32_t c = cache_of_op_[op_index(call.service, call.op)];
        if (c != KeyedData::none) {
            Cache& cache = caches_[c];
            std::uint32_t version = 0;
            switch (cache.stores[cache.store_of_host[call.host]].lookup(call.key, context_.sim.now(), version)) {
                case CacheStore::Lookup::hit:
                    cache.hits.add();
                    record_read(cache.reader, id, call.key, version, call.sent);
                    calls_.skip_calls(id);
                    return true;
                case CacheStore::Lookup::expired: cache.expired.add(); [[fallthrough]];
                case CacheStore::Lookup::miss: cache.misses.add(); return false;  // its calls: the miss op
            }
        }
    }
    const std::uint32_t reader = reader_of_op_[op_index(call.service, call.op)];
    if (reader == KeyedData::none) return false;
    if (op.reads->quorum) {
        start_quorum_read(id);
        return true;
    }
    const std::uint32_t read = data_of_op_[op_index(op.reads->service, op.reads->op)];
    record_read(reader, id, call.key, data_->version_at(read, call.key, call.host), call.sent);
    return false;
}

std::uint32_t Consistency::write(std::uint32_t id) {
    const Call& call = calls_[id];
    const std::uint32_t d = data_of_op_[op_index(call.service, call.op)];
    if (d == KeyedData::none) return 0;
    const std::uint32_t version = data_->write(d, call.key, call.host);
    if (call_version_.size() <= id) call_version_.resize(calls_.size(), 0);
    call_version_[id] = version;
    return version;
}

void Consistency::commit(std::uint32_t id) {
    const Call& call = calls_[id];
    const std::uint32_t d = data_of_op_[op_index(call.service, call.op)];
    if (d == KeyedData::none) return;
    data_->commit(d, call.key, call_version_[id], context_.sim.now());
    committed(d, call.key, call_version_[id]);
}

void Consistency::apply_replica(std::uint32_t pair, std::uint32_t host, std::uint64_t key, std::uint32_t version) {
    if (data_of_pair_[pair] != KeyedData::none) data_->apply(data_of_pair_[pair], key, host, version);
}

void Consistency::finish() {
    for (Cache& cache : caches_) {
        const double hits = static_cast<double>(*cache.hits.total);
        const double all = hits + static_cast<double>(*cache.misses.total);
        cache.hit_ratio.set(all > 0 ? hits / all : 0.0);
    }
    if (data_) data_->finish();
}

void Consistency::start_quorum_read(std::uint32_t id) {
    Call& call = calls_[id];
    const ReadQuorumModel& q = *services_[call.service].model->ops[call.op].reads->quorum;
    call.state = State::replicating;
    if (quorum_.size() <= id) quorum_.resize(calls_.size());
    quorum_[id] = QuorumRead{};
    const std::uint32_t generation = call.generation;
    const NodeId from = hosts_[call.host].node;
    for (std::uint32_t j = 0; j < q.from.size(); ++j) {
        const NodeId to = hosts_[q.from[j]].node;
        if (context_.network && from != no_node && to != no_node) {
            context_.network->send(from, to, 0.0, [this, id, generation, j](bool ok) {
                quorum_request_arrived(id, generation, j, ok);
            });
        } else {
            context_.sim.schedule_in(Time::zero(),
                                     [this, id, generation, j] { quorum_request_arrived(id, generation, j, true); });
        }
    }
}

void Consistency::quorum_request_arrived(std::uint32_t id, std::uint32_t generation, std::uint32_t index, bool ok) {
    // A reader that is gone (answered, or its server failed) needs no answer.
    if (!calls_.waiting(id, generation, State::replicating)) return;
    const Call& call = calls_[id];
    const ReadModel& reads = *services_[call.service].model->ops[call.op].reads;
    const std::uint32_t host = reads.quorum->from[index];
    if (!ok || !hosts_[host].server->up()) {
        quorum_answer(id, generation, index, 0, false);
        return;
    }
    const std::uint32_t d = data_of_op_[op_index(reads.service, reads.op)];
    // The copy answers with the version it holds as the request arrives (no core work).
    const std::uint32_t version = data_->version_at(d, call.key, host);
    const NodeId from = hosts_[host].node;
    const NodeId to = hosts_[call.host].node;
    if (context_.network && from != no_node && to != no_node) {
        context_.network->send(from, to, 0.0, [this, id, generation, index, version](bool delivered) {
            quorum_answer(id, generation, index, version, delivered);
        });
    } else {
        quorum_answer(id, generation, index, version, true);
    }
}

void Consistency::quorum_answer(std::uint32_t id, std::uint32_t generation, std::uint32_t index, std::uint32_t version,
                                bool ok) {
    if (!calls_.waiting(id, generation, State::replicating)) return;  // late: the read was answered
    Call& call = calls_[id];
    const ReadModel& reads = *services_[call.service].model->ops[call.op].reads;
    const ReadQuorumModel& q = *reads.quorum;
    QuorumRead& state = quorum_[id];
    if (!ok) {
        ++state.failures;
        if (q.from.size() - state.failures < q.r) {
            call.failure = Failure::failed;  // too few copies left to answer
            calls_.respond(id);
        }
        return;
    }
    ++state.answers;
    const std::uint32_t bit = std::uint32_t{1} << index;
    if (version > state.newest) {
        state.answered_old |= state.answered;
        state.newest = version;
    } else if (version < state.newest) {
        state.answered_old |= bit;
    }
    state.answered |= bit;
    if (state.answers < q.r) return;
    const std::uint32_t d = data_of_op_[op_index(reads.service, reads.op)];
    record_read(reader_of_op_[op_index(call.service, call.op)], id, call.key, state.newest, call.sent);
    if (q.repair && state.answered_old != 0) {
        // Read repair: the newest version goes back to the copies that answered older ones.
        const NodeId from = hosts_[call.host].node;
        const std::uint64_t key = call.key;
        const std::uint32_t newest = state.newest;
        for (std::uint32_t j = 0; j < q.from.size(); ++j) {
            if ((state.answered_old & (std::uint32_t{1} << j)) == 0) continue;
            const std::uint32_t host = q.from[j];
            const NodeId to = hosts_[host].node;
            auto repair = [this, d, key, host, newest](bool delivered) {
                if (delivered && hosts_[host].server->up()) data_->apply(d, key, host, newest);
            };
            if (context_.network && from != no_node && to != no_node) {
                context_.network->send(from, to, 0.0, repair);
            } else {
                repair(true);
            }
        }
    }
    calls_.start_calls(id);
}

}  // namespace s2sim::models::system

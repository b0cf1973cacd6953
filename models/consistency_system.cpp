// Keyed data, versions and the staleness of reads: System's part for the `reads` and
// `read_quorum` keys of an op (models/consistency.hpp has the semantics).
#include <algorithm>

#include "models/system.hpp"
#include "sim/error.hpp"

namespace s2sim::models {

void System::build_keyed_data() {
    // Data sets: the ops some op reads. Nothing at all when no op reads keyed data.
    std::vector<std::uint32_t> data_of_op(op_stats_.size(), KeyedData::none);
    std::vector<std::uint32_t> reader_of_op(op_stats_.size(), KeyedData::none);
    std::vector<KeyedData::DataSetSpec> sets;
    std::vector<KeyedData::ReaderSpec> readers;
    for (std::uint32_t s = 0; s < services_.size(); ++s) {
        const ServiceModel& service = *services_[s].model;
        for (std::uint32_t o = 0; o < service.ops.size(); ++o) {
            const OpModel& op = service.ops[o];
            if (!op.reads) continue;
            const std::string name = service.name + "." + op.name;
            if (op.reads->service >= services_.size() ||
                op.reads->op >= services_[op.reads->service].model->ops.size()) {
                throw Error("op '" + name + "' reads an unknown op");
            }
            const ServiceModel& writer = *services_[op.reads->service].model;
            const OpModel& write = writer.ops[op.reads->op];
            std::uint32_t& d = data_of_op[services_[op.reads->service].first_op_stat + op.reads->op];
            if (d == KeyedData::none) {
                d = static_cast<std::uint32_t>(sets.size());
                KeyedData::DataSetSpec set{writer.name + "." + write.name, writer.servers};
                if (write.replicate) set.copies.insert(set.copies.end(), write.replicate->to.begin(), write.replicate->to.end());
                sets.push_back(std::move(set));
            }
            const std::vector<std::uint32_t>& copies = sets[d].copies;
            const auto holds = [&](std::uint32_t h) { return std::find(copies.begin(), copies.end(), h) != copies.end(); };
            if (op.reads->quorum) {
                const ReadQuorumModel& q = *op.reads->quorum;
                if (q.from.empty() || q.from.size() > KeyedWiring::max_quorum || q.r < 1 || q.r > q.from.size()) {
                    throw Error("op '" + name + "': a read quorum asks 1 to 32 servers and waits for 1 to all of them");
                }
                for (const std::uint32_t h : q.from) {
                    if (h >= hosts_.size() || !holds(h)) {
                        throw Error("op '" + name + "': read_quorum asks a server that holds no copy of '" + sets[d].name + "'");
                    }
                }
            } else {
                for (const std::uint32_t h : service.servers) {
                    if (!holds(h)) {
                        throw Error("op '" + name + "' reads '" + sets[d].name + "' but its server '" +
                                    hosts_[h].server->name() + "' holds no copy (not a server of '" + writer.name +
                                    "' nor a replica of its writes)");
                    }
                }
            }
            reader_of_op[services_[s].first_op_stat + o] = static_cast<std::uint32_t>(readers.size());
            readers.push_back({name, d});
        }
    }
    if (readers.empty()) return;
    std::uint64_t keys = 0;
    for (const WorkloadModel& w : model_.workloads) {
        if (!w.keys) {
            throw Error("workload '" + w.name + "' has no keys, but ops read keyed data: give it keys = { count = N }");
        }
        keys = std::max(keys, w.keys->count);
    }
    keyed_ = std::make_unique<KeyedWiring>(
        KeyedData(recorder_, std::max<std::uint64_t>(keys, 1), static_cast<std::uint32_t>(hosts_.size()), sets, readers));
    keyed_->data_of_op = std::move(data_of_op);
    keyed_->reader_of_op = std::move(reader_of_op);
    for (std::uint32_t s = 0; s < services_.size(); ++s) {
        const ServiceModel& service = *services_[s].model;
        for (std::uint32_t o = 0; o < service.ops.size(); ++o) {
            if (!service.ops[o].replicate) continue;
            const std::uint32_t d = keyed_->data_of_op[services_[s].first_op_stat + o];
            for (std::size_t j = 0; j < service.ops[o].replicate->to.size(); ++j) keyed_->data_of_pair.push_back(d);
        }
    }
}

bool System::keyed_after_work(std::uint32_t id) {
    const Call& call = calls_[id];
    const Service& service = services_[call.service];
    const std::uint32_t op_index = service.first_op_stat + call.op;
    const OpModel& op = service.model->ops[call.op];
    const std::uint32_t d = keyed_->data_of_op[op_index];
    if (d != KeyedData::none && !op.replicate) {
        // A write without replication commits on its server at once.
        const std::uint32_t version = keyed_->data.write(d, call.key, call.host);
        keyed_->data.commit(d, call.key, version, sim_.now());
    }
    const std::uint32_t reader = keyed_->reader_of_op[op_index];
    if (reader == KeyedData::none) return false;
    if (op.reads->quorum) {
        start_quorum_read(id);
        return true;
    }
    const std::uint32_t read_data = keyed_->data_of_op[services_[op.reads->service].first_op_stat + op.reads->op];
    keyed_->data.read(reader, call.key, keyed_->data.version_at(read_data, call.key, call.host), call.sent,
                      measuring_ && call.sent >= measure_from_);
    return false;
}

std::uint32_t System::write_keyed(std::uint32_t id) {
    const Call& call = calls_[id];
    const std::uint32_t d = keyed_->data_of_op[services_[call.service].first_op_stat + call.op];
    if (d == KeyedData::none) return 0;
    const std::uint32_t version = keyed_->data.write(d, call.key, call.host);
    if (keyed_->call_version.size() <= id) keyed_->call_version.resize(calls_.size(), 0);
    keyed_->call_version[id] = version;
    return version;
}

void System::commit_keyed(std::uint32_t id) {
    const Call& call = calls_[id];
    const std::uint32_t d = keyed_->data_of_op[services_[call.service].first_op_stat + call.op];
    if (d == KeyedData::none) return;
    keyed_->data.commit(d, call.key, keyed_->call_version[id], sim_.now());
}

void System::start_quorum_read(std::uint32_t id) {
    Call& call = calls_[id];
    const ReadQuorumModel& q = *services_[call.service].model->ops[call.op].reads->quorum;
    call.state = State::replicating;
    if (keyed_->quorum.size() <= id) keyed_->quorum.resize(calls_.size());
    keyed_->quorum[id] = KeyedWiring::QuorumRead{};
    const std::uint32_t generation = call.generation;
    const NodeId from = hosts_[call.host].node;
    for (std::uint32_t j = 0; j < q.from.size(); ++j) {
        const NodeId to = hosts_[q.from[j]].node;
        if (network_ && from != no_node && to != no_node) {
            network_->send(from, to, 0.0, [this, id, generation, j](bool ok) {
                quorum_request_arrived(id, generation, j, ok);
            });
        } else {
            sim_.schedule_in(Time::zero(), [this, id, generation, j] { quorum_request_arrived(id, generation, j, true); });
        }
    }
}

void System::quorum_request_arrived(std::uint32_t id, std::uint32_t generation, std::uint32_t index, bool ok) {
    // A reader that is gone (answered, or its server failed) needs no answer.
    if (!waiting(id, generation, State::replicating)) return;
    const Call& call = calls_[id];
    const ReadModel& reads = *services_[call.service].model->ops[call.op].reads;
    const std::uint32_t host = reads.quorum->from[index];
    if (!ok || !hosts_[host].server->up()) {
        quorum_answer(id, generation, index, 0, false);
        return;
    }
    const std::uint32_t d = keyed_->data_of_op[services_[reads.service].first_op_stat + reads.op];
    // The copy answers with the version it holds as the request arrives (no core work).
    const std::uint32_t version = keyed_->data.version_at(d, call.key, host);
    const NodeId from = hosts_[host].node;
    const NodeId to = hosts_[call.host].node;
    if (network_ && from != no_node && to != no_node) {
        network_->send(from, to, 0.0, [this, id, generation, index, version](bool delivered) {
            quorum_answer(id, generation, index, version, delivered);
        });
    } else {
        quorum_answer(id, generation, index, version, true);
    }
}

void System::quorum_answer(std::uint32_t id, std::uint32_t generation, std::uint32_t index, std::uint32_t version,
                           bool ok) {
    if (!waiting(id, generation, State::replicating)) return;  // late: the read was answered
    Call& call = calls_[id];
    const ReadModel& reads = *services_[call.service].model->ops[call.op].reads;
    const ReadQuorumModel& q = *reads.quorum;
    KeyedWiring::QuorumRead& state = keyed_->quorum[id];
    if (!ok) {
        ++state.failures;
        if (q.from.size() - state.failures < q.r) {
            call.failure = Failure::failed;  // too few copies left to answer
            respond(id);
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
    const Service& service = services_[call.service];
    const std::uint32_t d = keyed_->data_of_op[services_[reads.service].first_op_stat + reads.op];
    keyed_->data.read(keyed_->reader_of_op[service.first_op_stat + call.op], call.key, state.newest, call.sent,
                      measuring_ && call.sent >= measure_from_);
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
                if (delivered && hosts_[host].server->up()) keyed_->data.apply(d, key, host, newest);
            };
            if (network_ && from != no_node && to != no_node) {
                network_->send(from, to, 0.0, repair);
            } else {
                repair(true);
            }
        }
    }
    start_calls(id);
}

}  // namespace s2sim::models

#include "models/server.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <string_view>

#include "sim/error.hpp"

namespace s2sim::models {
namespace {

// Heap orders: std heaps are max-heaps, so "less" means "runs later".
bool runs_later(const auto& a, const auto& b) {
    if (a.priority_class != b.priority_class) return a.priority_class > b.priority_class;
    return a.seq > b.seq;
}
bool finishes_later(const auto& a, const auto& b) {
    if (a.finish_v != b.finish_v) return a.finish_v > b.finish_v;
    return a.seq > b.seq;
}

// Job counts as double through a signed integer: converting an unsigned 64-bit one takes a
// branch and several instructions; the counts are far below 2^63, so the value is the same.
double as_double(std::size_t count) {
    return static_cast<double>(static_cast<std::int64_t>(count));
}

// Time::from_seconds() of a service time: the same product and rounding, with its range tests
// only when the nanoseconds are not in [0, 2^62) (negative, -0, huge or NaN): for those the
// bits of the double, read as unsigned, are below 2^62's, so one compare tells them apart.
Time service_time(double s) {
    const double ns = s * 1e9;
    if (std::bit_cast<std::uint64_t>(ns) < std::bit_cast<std::uint64_t>(0x1p62)) [[likely]] {
        return Time::from_ns(static_cast<std::int64_t>(ns + 0.5));
    }
    return Time::from_seconds(s);
}

}  // namespace

Discipline parse_discipline(std::string_view text) {
    if (text == "fcfs") return Discipline::fcfs;
    if (text == "ps") return Discipline::ps;
    if (text == "priority") return Discipline::priority;
    throw Error("unknown discipline '" + std::string(text) + "' (expected: fcfs, ps, priority)");
}

Server::Server(Simulation& sim, ServerConfig config, JobListener& listener)
    : sim_(sim),
      listener_(listener),
      core_count_(config.cores),
      ps_(config.discipline == Discipline::ps),
      priority_(config.discipline == Discipline::priority),
      unit_speed_(config.speed == 1.0),
      config_(std::move(config)),
      last_update_(sim.now()) {
    if (config_.cores == 0) throw Error("server '" + config_.name + "': cores must be at least 1");
    if (!(config_.speed > 0)) throw Error("server '" + config_.name + "': speed must be positive");
    if (!ps_) {
        running_ = std::make_unique<Running[]>(core_count_);
        idle_cores_ = std::make_unique<std::uint32_t[]>(core_count_);
        for (std::uint32_t c = core_count_; c-- > 0;) idle_cores_[idle_count_++] = c;
    }
    busy_cores_.reset(sim.now());
    queue_.reset(sim.now());
}

// record_state(), start_fcfs() and pop_waiting() are inline in their callers here (submit,
// finish_fcfs, start_waiting): each runs once or twice per job, and the calls cost more than
// their bodies.
inline void Server::record_state() {
    if (!ps_) {
        record_fcfs_state();
        return;
    }
    const Time now = sim_.now();
    busy_cores_.update_mean_only(now, as_double(std::min<std::size_t>(ps_jobs_.size(), config_.cores)));
    const double queued = as_double(waiting());
    if (queued != 0.0 || queue_.value() != 0.0) queue_.update(now, queued);
}

inline void Server::record_busy_cores(Time now) {
    busy_cores_.update_mean_only(now, as_double(core_count_ - idle_count_));
}

inline void Server::record_fcfs_state() {
    const Time now = sim_.now();
    record_busy_cores(now);
    // A queue that stays empty adds exactly nothing to its time average: skip the update.
    if (queued_ != 0 || queue_.value() != 0.0) queue_.update(now, as_double(queued_));
}

bool Server::submit(double work_s, std::uint64_t token, int priority_class, Time deadline) {
    // The usual case inline and small: a core is idle (so no PS, whose idle_count_ is 0) and
    // the server is up (a failed one keeps its cores idle). An idle core means that no job
    // waits, and the queue's average held 0 already: only the busy cores change.
    // The statistics first: after the event is scheduled (stores the compiler cannot tell
    // from this server's fields) only the event's id is still to store.
    if (idle_count_ != 0 && up_) [[likely]] {
        const Time now = sim_.now();
        busy_cores_.update_mean_only(now, as_double(core_count_ - idle_count_ + 1));
        start_fcfs(now, work_s, token);
        return true;
    }
    return submit_to_busy(work_s, token, priority_class, deadline);
}

bool Server::submit_to_busy(double work_s, std::uint64_t token, int priority_class, Time deadline) {
    if (!up_) {
        ++rejected_;
        return false;
    }
    if (ps_) {
        if (config_.queue_limit && waiting() >= *config_.queue_limit &&
            ps_jobs_.size() >= config_.cores) {
            ++rejected_;
            return false;
        }
        ps_advance();
        ps_jobs_.push_back(PsJob{virtual_time_ + work_s, next_seq_++, token});
        std::push_heap(ps_jobs_.begin(), ps_jobs_.end(), finishes_later<PsJob, PsJob>);
        ps_reschedule();
        record_state();
        return true;
    }
    if (config_.queue_limit && waiting() >= *config_.queue_limit) {
        ++rejected_;
        return false;
    }
    const Waiting job{work_s, token, priority_class, next_seq_++, deadline};
    if (priority_) {
        by_class_.push_back(job);
        std::push_heap(by_class_.begin(), by_class_.end(), runs_later<Waiting, Waiting>);
    } else {
        fifo_.push_back(job);
    }
    ++queued_;
    record_fcfs_state();
    return true;
}

inline void Server::start_fcfs(Time now, double work_s, std::uint64_t token) {
    const std::uint32_t core = idle_cores_[--idle_count_];
    // Field by field: an aggregate is built on the stack 8 bytes at a time and copied with
    // 16-byte loads, which wait for those stores (no store forwarding). Before the event is
    // scheduled, so that token, time and work need no register across it.
    Running& running = running_[core];
    running.token = token;
    running.started = now;
    running.work_s = work_s;
    // Dividing by 1.0 (the usual speed) is exact: skipping it leaves the time the same and
    // takes a long-latency divsd off the path to the event's key.
    const double service_s = unit_speed_ ? work_s : work_s / config_.speed;
    running.done = sim_.schedule_in(service_time(service_s), [this, core, token] { finish_fcfs(core, token); });
}

std::vector<bool> Server::idle_mask() const {
    std::vector<bool> idle(core_count_, false);
    for (std::uint32_t i = 0; i < idle_count_; ++i) idle[idle_cores_[i]] = true;
    return idle;
}

inline bool Server::pop_waiting(Waiting& out) {
    if (priority_) {
        if (by_class_.empty()) return false;
        std::pop_heap(by_class_.begin(), by_class_.end(), runs_later<Waiting, Waiting>);
        out = by_class_.back();
        by_class_.pop_back();
        --queued_;
        return true;
    }
    if (queued_ == 0) return false;  // fifo_ is empty: its own test reads a colder line
    out = fifo_.front();
    fifo_.pop_front();
    --queued_;
    return true;
}

void Server::finish_fcfs(std::uint32_t core, std::uint64_t token) {
    // The count from a register: the store to the stack could be to idle_count_ itself as far
    // as the compiler knows, which would reload it for the busy cores.
    const std::uint32_t idle = idle_count_;
    idle_cores_[idle] = core;
    idle_count_ = idle + 1;
    ++completed_;
    if (queued_ != 0) [[unlikely]] {
        start_waiting(token);
        return;
    }
    // The usual case: no job waits, none did (the queue's average held 0), and the core
    // stays idle. Small enough to need no saved registers, and the listener's call is last.
    busy_cores_.update_mean_only(sim_.now(), as_double(core_count_ - (idle + 1)));
    listener_.job_finished(*this, token);  // it may submit to this server again
}

void Server::start_waiting(std::uint64_t token) {
    const Time now = sim_.now();
    bool shed = false;  // shed_ is empty between jobs: testing this flag reads no vector
    for (Waiting next{}; pop_waiting(next);) {
        if (next.deadline < now) [[unlikely]] {
            shed_.push_back(next.token);  // waited past its deadline: shed rather than served
            shed = true;
            continue;
        }
        start_fcfs(now, next.work_s, next.token);
        break;
    }
    record_fcfs_state();
    // Last: the listener may submit to this server again.
    listener_.job_finished(*this, token);
    if (shed) [[unlikely]] tell_shed();
}

void Server::tell_shed() {
    // Taken out first: the listener may shed more on this server while it is told.
    std::vector<std::uint64_t> shed;
    shed.swap(shed_);
    for (const std::uint64_t t : shed) listener_.job_shed(*this, t);
    if (shed_.empty()) {
        shed.clear();
        shed_.swap(shed);  // keeps the capacity: no allocation next time
    }
}

double Server::ps_rate() const {
    const auto n = static_cast<double>(ps_jobs_.size());
    const auto c = static_cast<double>(config_.cores);
    return n <= c ? config_.speed : config_.speed * c / n;
}

void Server::ps_advance() {
    const Time now = sim_.now();
    if (!ps_jobs_.empty()) virtual_time_ += ps_rate() * (now - last_update_).seconds();
    last_update_ = now;
}

void Server::ps_reschedule() {
    sim_.cancel(ps_event_);
    ps_event_ = EventId{};
    if (ps_jobs_.empty()) return;
    const double remaining = std::max(0.0, ps_jobs_.front().finish_v - virtual_time_);
    ps_event_ = sim_.schedule_in(Time::from_seconds(remaining / ps_rate()), [this] { ps_complete(); });
}

void Server::ps_complete() {
    ps_event_ = EventId{};
    ps_advance();
    // Completion times are rounded to the nanosecond, so allow that much virtual slack.
    const double slack = 1e-9 * config_.speed;
    while (!ps_jobs_.empty() && ps_jobs_.front().finish_v <= virtual_time_ + slack) {
        std::pop_heap(ps_jobs_.begin(), ps_jobs_.end(), finishes_later<PsJob, PsJob>);
        const std::uint64_t token = ps_jobs_.back().token;
        ps_jobs_.pop_back();
        ++completed_;
        record_state();
        listener_.job_finished(*this, token);
    }
    ps_reschedule();
}

void Server::fail() {
    if (!up_) return;
    up_ = false;
    std::vector<std::uint64_t> dropped;
    if (running_) {
        const std::vector<bool> idle = idle_mask();
        for (std::uint32_t core = 0; core < core_count_; ++core) {
            if (idle[core]) continue;
            sim_.cancel(running_[core].done);
            dropped.push_back(running_[core].token);
        }
        idle_count_ = 0;
        for (std::uint32_t c = core_count_; c-- > 0;) idle_cores_[idle_count_++] = c;
    }
    for (const auto& w : fifo_) dropped.push_back(w.token);
    for (const auto& w : by_class_) dropped.push_back(w.token);
    for (const auto& j : ps_jobs_) dropped.push_back(j.token);
    fifo_.clear();
    by_class_.clear();
    queued_ = 0;
    ps_jobs_.clear();
    sim_.cancel(ps_event_);
    ps_event_ = EventId{};
    record_state();
    for (const std::uint64_t token : dropped) listener_.job_dropped(*this, token);
}

bool Server::cancel(std::uint64_t token) {
    if (ps_) {
        const auto at = std::find_if(ps_jobs_.begin(), ps_jobs_.end(), [token](const PsJob& j) { return j.token == token; });
        if (at == ps_jobs_.end()) return false;
        ps_advance();
        ps_jobs_.erase(at);
        std::make_heap(ps_jobs_.begin(), ps_jobs_.end(), finishes_later<PsJob, PsJob>);
        ps_reschedule();
        record_state();
        return true;
    }
    for (std::uint32_t core = 0; core < core_count_; ++core) {
        // An idle core keeps its last job's token: ask the idle stack only on a match.
        if (running_[core].token != token ||
            std::find(idle_cores_.get(), idle_cores_.get() + idle_count_, core) != idle_cores_.get() + idle_count_) {
            continue;
        }
        sim_.cancel(running_[core].done);
        idle_cores_[idle_count_++] = core;
        if (Waiting next{}; pop_waiting(next)) start_fcfs(sim_.now(), next.work_s, next.token);
        record_state();
        return true;
    }
    const auto same = [token](const Waiting& w) { return w.token == token; };
    if (const auto at = std::find_if(fifo_.begin(), fifo_.end(), same); at != fifo_.end()) {
        fifo_.erase(at);
        --queued_;
        record_state();
        return true;
    }
    if (const auto at = std::find_if(by_class_.begin(), by_class_.end(), same); at != by_class_.end()) {
        by_class_.erase(at);
        --queued_;
        std::make_heap(by_class_.begin(), by_class_.end(), runs_later<Waiting, Waiting>);
        record_state();
        return true;
    }
    return false;
}

void Server::recover() {
    up_ = true;
    last_update_ = sim_.now();
}

void Server::set_speed(double speed) {
    if (!(speed > 0)) throw Error("server '" + config_.name + "': speed must be positive");
    unit_speed_ = speed == 1.0;
    if (ps_) {
        ps_advance();
        config_.speed = speed;
        ps_reschedule();
        return;
    }
    const Time now = sim_.now();
    const double old_speed = config_.speed;
    config_.speed = speed;
    const std::vector<bool> idle = idle_mask();
    for (std::uint32_t core = 0; core < core_count_; ++core) {
        if (idle[core]) continue;
        Running& running = running_[core];
        // Work left, in core-seconds, at the old speed; the rest runs at the new one.
        running.work_s = std::max(0.0, running.work_s - (now - running.started).seconds() * old_speed);
        running.started = now;
        sim_.cancel(running.done);
        running.done = sim_.schedule_in(Time::from_seconds(running.work_s / speed),
                                        [this, core, token = running.token] { finish_fcfs(core, token); });
    }
}

void Server::reset_stats(Time now) {
    busy_before_reset_ += busy_cores_.integral(now);
    queue_before_reset_ += queue_.integral(now);
    busy_cores_.reset(now);
    queue_.reset(now);
    completed_ = 0;
    rejected_ = 0;
}

double Server::utilization(Time now) const {
    return busy_cores_.mean(now) / static_cast<double>(config_.cores);
}
double Server::mean_queue(Time now) const { return queue_.mean(now); }
double Server::max_queue() const { return queue_.max(); }

}  // namespace s2sim::models

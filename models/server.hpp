#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/simulation.hpp"
#include "sim/stats/time_weighted.hpp"
#include "sim/time.hpp"

namespace s2sim::models {

/// How a server shares its cores among the jobs it holds.
enum class Discipline {
    fcfs,      ///< one queue, first come first served, c cores
    ps,        ///< processor sharing: n jobs share c cores, each at min(1, c/n) of a core
    priority,  ///< non-preemptive priority: lower class first, FCFS within a class
};

/// What a server is: cores, speed and discipline, as the scenario gives them.
struct ServerConfig {
    std::string name;
    unsigned cores = 1;
    double speed = 1.0;  ///< work (core-seconds) is divided by speed
    Discipline discipline = Discipline::fcfs;
    std::optional<std::size_t> queue_limit;  ///< waiting jobs beyond the cores; nullopt = unbounded
};

class Server;

/// Told when a job leaves a server. `token` is the submitter's own identifier.
class JobListener {
public:
    virtual ~JobListener() = default;
    /// The job's work is done.
    virtual void job_finished(Server& server, std::uint64_t token) = 0;
    /// The job was lost because the server failed.
    virtual void job_dropped(Server& server, std::uint64_t token) = 0;
    /// The job was still waiting at its deadline and was shed (load shedding). Default: dropped.
    virtual void job_shed(Server& server, std::uint64_t token) { job_dropped(server, token); }
};

/// A server: c cores of a given speed and a discipline, fed with jobs of work
/// (core-seconds). Utilisation and queue length are tracked as time-weighted
/// averages; `queue` counts jobs present but not being served, i.e. max(0, n - c)
/// under PS.
class alignas(64) Server {
public:
    /// `sim` and `listener` are borrowed and must outlive the server.
    Server(Simulation& sim, ServerConfig config, JobListener& listener);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Offers a job of `work_s` core-seconds. Returns false when the queue is
    /// full (the job is rejected and counted) or the server is down. A job still waiting
    /// for a core after `deadline` is shed (JobListener::job_shed) when a core frees up
    /// (FCFS and priority; under PS every job is served at once).
    bool submit(double work_s, std::uint64_t token, int priority_class = 0, Time deadline = Time::max());

    /// Withdraws job `token` (waiting or in service) without telling the listener: a hedged
    /// attempt another one beat. Work done on it stays spent. O(jobs held). False when the
    /// server does not hold it.
    bool cancel(std::uint64_t token);

    /// Takes the server down: every job it holds is dropped (JobListener::job_dropped).
    void fail();
    /// Brings a failed server back, empty.
    void recover();
    [[nodiscard]] bool up() const { return up_; }
    /// Changes the speed (a `slow` event); jobs in service keep their remaining work.
    void set_speed(double speed);

    [[nodiscard]] const ServerConfig& config() const { return config_; }
    [[nodiscard]] const std::string& name() const { return config_.name; }
    /// Jobs held: waiting plus in service. Inline: balancers' views read it on every change.
    [[nodiscard]] std::size_t jobs() const {
        if (ps_) return ps_jobs_.size();
        return (core_count_ - idle_count_) + queued_;
    }
    /// Jobs held but not being served.
    [[nodiscard]] std::size_t waiting() const {
        if (ps_) {
            return ps_jobs_.size() > core_count_ ? ps_jobs_.size() - core_count_ : 0;
        }
        return queued_;
    }

    /// Restarts the statistics at `now` (end of warm-up), keeping the state.
    void reset_stats(Time now);
    /// Mean busy fraction of the cores since the last reset.
    [[nodiscard]] double utilization(Time now) const;
    [[nodiscard]] double mean_queue(Time now) const;
    [[nodiscard]] double max_queue() const;
    [[nodiscard]] std::uint64_t completed() const { return completed_; }
    [[nodiscard]] std::uint64_t rejected() const { return rejected_; }
    /// Busy core-seconds since the server was built (never reset: autoscaler metrics).
    [[nodiscard]] double busy_core_seconds(Time now) const { return busy_before_reset_ + busy_cores_.integral(now); }
    /// Integral of the waiting jobs since the server was built, job-seconds (never reset).
    [[nodiscard]] double queue_seconds(Time now) const { return queue_before_reset_ + queue_.integral(now); }

private:
    struct Waiting {
        double work_s;
        std::uint64_t token;
        int priority_class;
        std::uint64_t seq;
        Time deadline;  ///< shed when still waiting after it
    };
    /// A core's job, written by stores alone when it starts. A core in the idle stack has no
    /// job (its fields are stale): the completion neither reads nor writes this line, and only
    /// the rare paths that visit cores (fail, cancel, set_speed) ask the stack.
    struct Running {
        std::uint64_t token;
        Time started;
        double work_s;
        EventId done;
    };
    struct PsJob {
        double finish_v;  ///< virtual time at which its work is done
        std::uint64_t seq;
        std::uint64_t token;
    };

    /// submit() when no core is idle or the server is down (out of the usual path).
    [[gnu::noinline]] bool submit_to_busy(double work_s, std::uint64_t token, int priority_class, Time deadline);
    /// Starts job `token` at `now` on an idle core (no statistics recorded).
    void start_fcfs(Time now, double work_s, std::uint64_t token);
    /// Per core, whether it is in the idle stack (for the rare paths that visit cores).
    [[nodiscard]] std::vector<bool> idle_mask() const;
    /// The job `token` on `core` is done (the token comes with the event: no read of running_).
    void finish_fcfs(std::uint32_t core, std::uint64_t token);
    /// finish_fcfs() when jobs wait: starts the first one on the freed core (shedding those
    /// past their deadline), then tells the listener of job `token` (out of the usual path).
    [[gnu::noinline]] void start_waiting(std::uint64_t token);
    /// Tells the listener of the jobs shed while a core freed up (out of the hot path).
    [[gnu::noinline]] void tell_shed();
    bool pop_waiting(Waiting& out);
    void ps_advance();
    void ps_reschedule();
    void ps_complete();
    [[nodiscard]] double ps_rate() const;
    void record_state();
    /// record_state() for FCFS and priority (not PS): no test of the discipline.
    void record_fcfs_state();
    /// record_fcfs_state() when no job waits and none did since the last record.
    void record_busy_cores(Time now);

    // Layout: what every submit and completion of FCFS and priority reads or writes fills the
    // first two cache lines of the (64-byte aligned) object: up to the busy cores' average,
    // whose cold start_ ends the first line, then that average and the queue's up to its
    // current value (the queue's integral, on the third, changes only while jobs wait). The
    // config's cores, speed and discipline are read from copies here; config_ is cold.
    Simulation& sim_;
    JobListener& listener_;
    /// FCFS and priority: per core, the job it runs (core_count_ of them; none under PS).
    std::unique_ptr<Running[]> running_;
    /// FCFS and priority: the idle cores' indices, a stack of idle_count_ (room for all cores).
    std::unique_ptr<std::uint32_t[]> idle_cores_;
    std::uint64_t completed_ = 0;
    /// fifo_.size() + by_class_.size(), kept apart: a deque's size takes a dozen instructions,
    /// and every change of state reads it.
    std::uint32_t queued_ = 0;
    std::uint32_t core_count_;  ///< config_.cores
    std::uint32_t idle_count_ = 0;
    bool up_ = true;
    bool ps_;                 ///< config_.discipline == Discipline::ps
    bool priority_;           ///< config_.discipline == Discipline::priority
    bool unit_speed_ = true;  ///< config_.speed == 1.0: work is not divided
    stats::TimeWeighted busy_cores_;  ///< updated mean only: its min and max are not kept
    stats::TimeWeighted queue_;
    ServerConfig config_;
    std::vector<std::uint64_t> shed_;  ///< tokens shed while a core freed up, told after it (empty between jobs)

    std::deque<Waiting> fifo_;
    std::vector<Waiting> by_class_;  ///< a heap on (class, seq) for the priority discipline
    std::uint64_t next_seq_ = 0;

    // PS: virtual time advances at the per-job rate; jobs finish in order of finish_v.
    std::vector<PsJob> ps_jobs_;  ///< a heap on (finish_v, seq)
    double virtual_time_ = 0.0;
    Time last_update_;
    EventId ps_event_;

    std::uint64_t rejected_ = 0;
    double busy_before_reset_ = 0;   ///< busy core-seconds before the last reset_stats
    double queue_before_reset_ = 0;  ///< queue job-seconds before the last reset_stats
};

/// Parses "fcfs", "ps" or "priority"; throws s2sim::Error listing the choices.
[[nodiscard]] Discipline parse_discipline(std::string_view text);

}  // namespace s2sim::models

#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/random.hpp"
#include "sim/time.hpp"

/// Load-balancer policies: how a service picks one of its backends for a request.
///
/// Contract with the service that owns a balancer (see docs/balancers.md):
/// - A balancer is made for a fixed list of n backends (n >= 1) and is told
///   nothing but indices 0..n-1 into that list.
/// - The service keeps one ServerView per backend (in list order) and passes
///   them to pick(); the returned index is where the request goes. After every
///   change to a view (in_flight, queue_length, utilization or healthy) it calls
///   on_view_changed(i, view): the load-reading policies keep their own index of
///   the views (a segment tree, the list of healthy backends) so that a pick
///   costs O(log n) or O(choices) instead of a scan of all n. Views start as
///   ServerView{} (idle and healthy); a view changed without the call leaves
///   such a policy picking from stale figures.
/// - The service calls on_sent(i) when it sends the request to backend i and
///   on_response(i, latency) when the answer is back (latency from sending to
///   the answer, seconds). Only latency-aware policies (peak_ewma) use them;
///   calling them is cheap for the others.
/// - A policy may declare with hooks() which of these calls it needs: the service then
///   skips the others (on_view_changed() is skipped only after a change of in_flight
///   alone; health and load changes always call it). The default asks for all of them.
/// - Balancers are deterministic: all randomness comes from the RandomStream
///   passed in the PickContext, so same stream + same calls = same picks.
namespace s2sim::models {

/// Index into the service's backend list (0..n-1).
using ServerIndex = std::uint32_t;

/// What a balancer may see of one backend when it decides (filled by the service).
struct ServerView {
    /// Requests this service (the caller side) has sent to the backend and not yet
    /// seen answered: Envoy's "active requests", HAProxy's connections.
    std::uint32_t in_flight = 0;
    /// Requests at the server itself, waiting or running, from any caller
    /// (what join-shortest-queue reads; a real client seldom knows it).
    std::uint32_t queue_length = 0;
    /// Recent busy fraction of the backend's cores, 0..1 (locality spill-over).
    double utilization = 0.0;
    /// False once health checks have noticed a failure: never picked then.
    bool healthy = true;
};

/// What the balancer knows about the request being placed.
struct PickContext {
    /// The request's key (hash policies); any 64-bit value, hashed again inside.
    std::uint64_t key = 0;
    /// Site id of the calling server (locality); compared with BalancerOptions::sites.
    std::uint32_t caller_site = 0;
    /// The current simulated time.
    Time now;
    /// The caller's random stream, borrowed for the call (random, JSQ ties, P2C samples).
    RandomStream& rng;
};

/// Which of a balancer's feedback calls do anything (Balancer::hooks()): the service skips
/// the calls marked false, on every request, without a virtual call.
struct BalancerHooks {
    /// on_view_changed() after a change of ServerView::in_flight alone (a request sent or
    /// answered). Policies that read only the health flags in it need no such call.
    bool in_flight = true;
    bool sent = true;      ///< on_sent()
    bool response = true;  ///< on_response()
};

/// A balancer's configuration, as the scenario's `balancer = { policy = ..., ... }`
/// says it after units are resolved. Each policy reads only its own fields.
struct BalancerOptions {
    /// TOML policy name, one of balancer_policies().
    std::string policy = "round_robin";
    /// power_of_two, peak_ewma: backends sampled per pick (>= 1; capped at the healthy count).
    unsigned choices = 2;
    /// weighted_round_robin, weighted_random: one positive finite weight per backend,
    /// in list order; empty = all 1. Other policies reject non-empty weights.
    std::vector<double> weights;
    /// consistent_hash: points on the ring per backend (>= 1). 160 as in Ketama
    /// (libketama: 40 MD5 digests x 4 points per server). A backend's share of
    /// the ring then has a relative spread of about 1/sqrt(160) ~ 8%, so with
    /// n ~ 10 the busiest backend typically gets 1.1-1.25x the mean.
    unsigned vnodes = 160;
    /// peak_ewma: time constant of the latency EWMA, seconds (> 0). Finagle's default 10 s.
    double decay_s = 10.0;
    /// locality: utilisation (0..1] at or above which every local backend counts as
    /// full, so requests spill over to all healthy backends.
    double spill_at = 0.8;
    /// maglev: lookup-table size M, a prime >= n (65537 as in the Maglev paper and Envoy).
    std::uint32_t maglev_table_size = 65537;
    /// locality: site id per backend, in list order; empty = no site information
    /// (every backend counts as local).
    std::vector<std::uint32_t> sites;
};

/// A load-balancing policy for one service's fixed list of backends.
/// Owned by the service (or by each calling server, if the caller keeps its own
/// balancer state, as Envoy sidecars do). Not thread-safe: one simulation thread.
class Balancer {
public:
    virtual ~Balancer() = default;

    /// Picks a backend among `servers` (borrowed for the call; size n, the
    /// backend count the balancer was made for; health flags may change between
    /// calls). Only healthy backends are returned; returns n (== servers.size())
    /// when no backend is healthy.
    [[nodiscard]] virtual ServerIndex pick(const PickContext& ctx,
                                           std::span<const ServerView> servers) = 0;

    /// The service changed its view of backend `server` to `view` (see the contract
    /// above). Default no-op: policies that read the views only at pick time.
    virtual void on_view_changed(ServerIndex server, const ServerView& view) {
        (void)server;
        (void)view;
    }
    /// Feedback: a request was sent to backend `server` at time `now`. Default no-op.
    virtual void on_sent(ServerIndex server, Time now) {
        (void)server;
        (void)now;
    }
    /// Feedback: backend `server` answered after `latency_s` seconds (from sending
    /// to the answer), received at `now`. Default no-op.
    virtual void on_response(ServerIndex server, double latency_s, Time now) {
        (void)server;
        (void)latency_s;
        (void)now;
    }
    /// True when pick() reads ServerView::queue_length or utilization. The service
    /// keeps those two current only for such policies: updating them costs a write
    /// per job start and end. Default false.
    [[nodiscard]] virtual bool reads_server_load() const { return false; }
    /// Which feedback calls this policy needs (asked once, when the service is built); the
    /// others may be skipped. Default: all (a policy that overrides a hook is then always
    /// told); the built-ins name exactly what their hooks use.
    [[nodiscard]] virtual BalancerHooks hooks() const { return {}; }
};

/// Makes a balancer from checked options for `backend_count` backends.
using BalancerFactory =
    std::function<std::unique_ptr<Balancer>(const BalancerOptions& options, std::size_t backend_count)>;

/// The policies a scenario may name, by TOML name. Built-ins are added by
/// register_builtins(); embedders may add their own before building a model.
class BalancerRegistry {
public:
    /// Adds policy `name`. Throws s2sim::Error if the name is already taken.
    void add(std::string_view name, BalancerFactory factory);
    /// True if `name` is registered.
    [[nodiscard]] bool contains(std::string_view name) const;
    /// The registered names, sorted.
    [[nodiscard]] std::vector<std::string> names() const;
    /// Checks the options common to all policies (backend_count >= 1, weights and
    /// sites sizes, choices >= 1), then calls the policy's factory, which checks
    /// its own. Throws s2sim::Error, e.g. "unknown policy 'x' (expected: a, b)".
    [[nodiscard]] std::unique_ptr<Balancer> make(const BalancerOptions& options,
                                                 std::size_t backend_count) const;

private:
    std::map<std::string, BalancerFactory, std::less<>> factories_;
};

/// Registers the built-in policies of docs/balancers.md under their TOML names.
void register_builtins(BalancerRegistry& registry);

/// Builds a built-in balancer by its TOML policy name for `backend_count` backends.
/// Throws s2sim::Error "unknown policy 'x' (expected: ...)" listing the choices, or
/// when an option does not fit (weights size, choices < 1, maglev size not prime, ...).
[[nodiscard]] std::unique_ptr<Balancer> make_balancer(const BalancerOptions& options,
                                                      std::size_t backend_count);

/// The built-in policy names, sorted, for error messages and docs (static storage).
[[nodiscard]] std::span<const std::string_view> balancer_policies();

}  // namespace s2sim::models

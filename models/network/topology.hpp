#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "sim/time.hpp"

namespace s2sim::models {

/// Index of a node, dense from 0 in the order nodes were added.
using NodeId = std::uint32_t;
/// Index of a full-duplex link, dense from 0 in the order links were added.
using LinkId = std::uint32_t;
/// One direction of a link: `2 * link + direction` (see Direction), dense from 0.
/// Each direction has its own capacity and its own statistics.
using DirectedLinkId = std::uint32_t;

/// What a node is. Only shapes reports and DOT output; every kind forwards traffic.
enum class NodeKind : std::uint8_t { server, switch_, client };

/// Lowercase name of a kind as the scenario file spells it: "server", "switch", "client".
[[nodiscard]] std::string_view to_string(NodeKind kind);

/// Direction of a link relative to the order of its endpoints in add_link(a, b, ...).
enum class Direction : std::uint8_t { a_to_b = 0, b_to_a = 1 };

/// The link a directed link belongs to.
[[nodiscard]] constexpr LinkId link_of(DirectedLinkId d) { return d >> 1U; }
/// The direction of a directed link.
[[nodiscard]] constexpr Direction direction_of(DirectedLinkId d) { return static_cast<Direction>(d & 1U); }

/// Propagation latency in seconds: `distance_m / speed_m_per_s + fixed_s`.
/// Throws s2sim::Error on a negative distance or latency or a non-positive speed.
[[nodiscard]] double propagation_latency(double distance_m, double speed_m_per_s, double fixed_s);

/// A path through the topology, as returned by Topology::route().
struct Route {
    /// Directed links from source to destination, in order; empty for a node to itself.
    /// Up to 6 inline (a data centre's routes are 2 to 6 links), so that a message's send
    /// reads them from the route's own cache line.
    boost::container::small_vector<DirectedLinkId, 6> links;
    /// Sum of the links' latencies, each rounded to a whole nanosecond, so that
    /// equal paths compare equal exactly and a flow's latency phase is exact.
    Time latency;
    /// `latency` in seconds.
    double latency_s = 0.0;
    /// Smallest capacity along the path, bytes per second; +infinity when `links` is empty.
    double bottleneck_bytes_per_s = std::numeric_limits<double>::infinity();
    /// Topology::latency_class(latency): routes of equal latency share it.
    std::uint32_t latency_class = 0;
};

/// What a message's send reads of a route (FlowNetwork, once per message), on one cache
/// line: one load that misses instead of three dependent ones (a pointer, the Route, its
/// links).
struct alignas(64) CompactRoute {
    /// Links held here; a longer route's are read from `route`.
    static constexpr std::size_t inline_links = 10;
    /// The full route (never null in an entry Topology hands out).
    const Route* route = nullptr;
    /// route->latency.
    Time latency;
    /// route->latency_class.
    std::uint32_t latency_class = 0;
    /// route->links.size().
    std::uint32_t link_count = 0;
    /// The route's links when there are at most inline_links of them.
    DirectedLinkId links[inline_links] = {};
    /// The route's links, link_count of them.
    [[nodiscard]] const DirectedLinkId* link_data() const {
        return link_count <= inline_links ? links : route->links.data();
    }
};
static_assert(sizeof(CompactRoute) == 64, "a CompactRoute is one cache line");

/// A network of named nodes joined by full-duplex links, with shortest-path
/// routing by latency. A small facade over Boost.Graph, which stays out of this
/// header so that includers build fast.
///
/// Routing rule (deterministic): the route from `a` to `b` is a path of least
/// total latency (nanosecond sums, exact); among those, one with the fewest
/// hops; among those, the path whose nodes read from `b` back to `a` have the
/// lexicographically smallest ids (each node's predecessor is the lowest-id
/// candidate), and between parallel links the lowest link id. A link that is
/// down (set_link_up) is never used.
///
/// Cost: a leaf (a node whose links that are up all reach one other node, its
/// hub: a server or client under its switch) routes through its hub, so Dijkstra
/// runs only over the other nodes (the core: switches, multi-homed servers), once
/// per core source on first use. Routes are made when first asked for and cached
/// until the topology changes; memory grows with the core's size squared plus the
/// pairs asked for, not with the square of the fleet (but for a topology of at most
/// max_direct_nodes nodes, whose routes are found through a table of a CompactRoute per
/// pair: at most 4 MiB of zeroed address space, of which only the pages of the pairs
/// asked for are touched).
class Topology {
public:
    Topology();
    Topology(Topology&&) noexcept;
    Topology& operator=(Topology&&) noexcept;
    Topology(const Topology&) = delete;
    Topology& operator=(const Topology&) = delete;
    ~Topology();

    // ---- building ------------------------------------------------------------

    /// Adds a node and returns its id. `name` must be unique and non-empty;
    /// `site` is a free label ("eu-west") for locality-aware policies, may be empty.
    /// Throws s2sim::Error on a duplicate or empty name.
    NodeId add_node(std::string name, NodeKind kind, std::string site = {});

    /// Longest one-way latency of a link, seconds: a day. Route latencies are sums of
    /// link latencies in int64 nanoseconds, so a bound keeps any path of fewer than
    /// 100,000 links from overflowing; no real link comes near it.
    static constexpr double max_link_latency_s = 86400;

    /// Adds a full-duplex link between distinct nodes `a` and `b`.
    /// Bandwidths are bytes per second per direction (> 0, may be +infinity);
    /// `latency_s` is the one-way latency in seconds (0 to max_link_latency_s), the
    /// same both ways, rounded to a whole nanosecond for routing and timing.
    /// Parallel links are allowed. Throws s2sim::Error on bad ids or values.
    LinkId add_link(NodeId a, NodeId b, double bandwidth_a_to_b, double bandwidth_b_to_a, double latency_s);

    /// Adds a link with the same bandwidth (bytes per second) both ways.
    LinkId add_link(NodeId a, NodeId b, double bandwidth, double latency_s) {
        return add_link(a, b, bandwidth, bandwidth, latency_s);
    }

    // ---- nodes ---------------------------------------------------------------

    [[nodiscard]] std::size_t node_count() const { return node_count_; }
    /// The node called `name`, if any.
    [[nodiscard]] std::optional<NodeId> find_node(std::string_view name) const;
    /// The node called `name`; throws s2sim::Error "unknown node 'x'" if none.
    [[nodiscard]] NodeId node(std::string_view name) const;
    [[nodiscard]] const std::string& node_name(NodeId n) const { return nodes_.at(n).name; }
    [[nodiscard]] NodeKind node_kind(NodeId n) const { return nodes_.at(n).kind; }
    /// The node's site label; empty when none was given.
    [[nodiscard]] const std::string& node_site(NodeId n) const { return nodes_.at(n).site; }
    void set_node_site(NodeId n, std::string site) { nodes_.at(n).site = std::move(site); }
    /// Links touching node `n`, in the order they were added.
    [[nodiscard]] const std::vector<LinkId>& node_links(NodeId n) const { return nodes_.at(n).links; }

    // ---- links ---------------------------------------------------------------

    [[nodiscard]] std::size_t link_count() const { return links_.size(); }
    /// Number of directed links: 2 * link_count(); DirectedLinkIds are below it.
    [[nodiscard]] std::size_t directed_link_count() const { return directed_link_count_; }
    /// One direction of a link.
    [[nodiscard]] static constexpr DirectedLinkId directed_link(LinkId link, Direction dir) {
        return 2 * link + static_cast<std::uint32_t>(dir);
    }
    /// The endpoints (a, b) as given to add_link.
    [[nodiscard]] std::pair<NodeId, NodeId> endpoints(LinkId link) const {
        const auto& l = links_.at(link);
        return {l.a, l.b};
    }
    /// The node a directed link leaves from.
    [[nodiscard]] NodeId source(DirectedLinkId d) const {
        const auto& l = links_.at(link_of(d));
        return direction_of(d) == Direction::a_to_b ? l.a : l.b;
    }
    /// The node a directed link arrives at.
    [[nodiscard]] NodeId target(DirectedLinkId d) const {
        const auto& l = links_.at(link_of(d));
        return direction_of(d) == Direction::a_to_b ? l.b : l.a;
    }
    /// Capacity of one direction, bytes per second.
    [[nodiscard]] double capacity(DirectedLinkId d) const { return links_[link_of(d)].capacity[d & 1U]; }
    /// Changes the capacity of one direction (> 0, bytes per second), e.g. a `slow`
    /// event. Routes do not depend on it, but their cached bottlenecks do: the cache
    /// is cleared. FlowNetwork::set_link_capacity is the way to do it during a run.
    void set_capacity(DirectedLinkId d, double bytes_per_s);
    /// One-way latency of a link, seconds (as given to add_link).
    [[nodiscard]] double latency(LinkId link) const { return links_.at(link).latency_s; }
    /// One-way latency of a link rounded to whole nanoseconds, as routes use it.
    [[nodiscard]] Time latency_time(LinkId link) const { return links_.at(link).latency; }
    /// The lowest-id link between `a` and `b` (either order), if any.
    [[nodiscard]] std::optional<LinkId> find_link(NodeId a, NodeId b) const;
    /// "a--b", the name scenario events use for a link.
    [[nodiscard]] std::string link_name(LinkId link) const;
    /// "web-1->tor-eu", the name results use for one direction.
    [[nodiscard]] std::string directed_link_name(DirectedLinkId d) const;

    /// Takes a link out of (false) or back into (true) routing. Clears the route
    /// cache, so references returned by route() become invalid.
    void set_link_up(LinkId link, bool up);
    [[nodiscard]] bool link_up(LinkId link) const { return links_.at(link).up; }

    // ---- routing -------------------------------------------------------------

    /// The route from `from` to `to` (see the class comment for the rule).
    /// The reference stays valid until the topology changes (add_node, add_link,
    /// set_link_up). A node to itself is an empty route with zero latency.
    /// Throws s2sim::Error "no route from 'a' to 'b'" when none exists.
    [[nodiscard]] const Route& route(NodeId from, NodeId to);
    /// The route as route() gives it, or nullptr when there is none: one cache
    /// lookup for callers that send a message per call (FlowNetwork::send).
    /// Throws s2sim::Error on an unknown node.
    /// Inline: FlowNetwork asks once per message.
    [[nodiscard]] const Route* find_route(NodeId from, NodeId to) {
        if (from >= node_count_ || to >= node_count_) check_node(std::max(from, to));  // throws
        return find_route_of_nodes(from, to);
    }
    /// find_route() for nodes known to exist (both below node_count()), for a caller that
    /// has checked them already.
    [[nodiscard]] const Route* find_route_of_nodes(NodeId from, NodeId to) {
        const CompactRoute* c = find_compact_route(from, to);
        return c == nullptr ? nullptr : c->route;
    }
    /// find_route_of_nodes() as the compact copy a message's send reads (valid as long as
    /// the route), or nullptr when there is no route.
    [[nodiscard]] const CompactRoute* find_compact_route(NodeId from, NodeId to) {
        if (CompactRoute* table = route_table_.data()) {
            const CompactRoute& c = table[std::size_t{from} * node_count_ + to];
            if (c.route != nullptr) return &c;
        } else if (const CompactRoute* c = route_index_.find(RouteIndex::key(from, to))) {
            return c;
        }
        return add_route(from, to);
    }
    /// find_compact_route() of a route already in the direct table, with no call; nullptr
    /// otherwise (no table, the route not made yet, or none): the caller takes its slower path.
    [[nodiscard]] const CompactRoute* find_made_compact_route(NodeId from, NodeId to) const {
        const CompactRoute* table = route_table_.data();
        if (table == nullptr) return nullptr;
        const CompactRoute* c = table + (std::size_t{from} * node_count_ + to);
        return c->route != nullptr ? c : nullptr;
    }
    /// Up to this many nodes, routes are found in a table of a CompactRoute per (from, to)
    /// pair (one load per lookup); above it, through a hash index of the pairs asked for.
    static constexpr std::size_t max_direct_nodes = 256;
    /// True when route(from, to) would succeed (both ends are connected by links
    /// that are up); makes no route. Throws s2sim::Error on an unknown node.
    [[nodiscard]] bool has_route(NodeId from, NodeId to);
    /// A dense number (0, 1, ...) for each distinct latency, given in the order first
    /// asked for and kept for the topology's life. Messages sent over routes of equal
    /// latency start moving bytes in the order they were sent, so FlowNetwork keeps
    /// one first-in first-out queue per class instead of one event per message.
    [[nodiscard]] std::uint32_t latency_class(Time latency);
    /// Number of latency classes handed out so far.
    [[nodiscard]] std::size_t latency_class_count() const;
    /// Number of shortest-path trees cached: one per core source, which a leaf's
    /// routes share with its hub (for tests and benchmarks).
    [[nodiscard]] std::size_t cached_sources() const;
    /// Number of routes cached: the (from, to) pairs asked for since the topology
    /// last changed (for tests and benchmarks).
    [[nodiscard]] std::size_t cached_routes() const;

    // ---- output --------------------------------------------------------------

    /// Graphviz DOT text: servers are boxes, switches diamonds, clients ellipses;
    /// each link is one undirected edge labelled with its bandwidth (bits per
    /// second in human units; "a->b / b->a" when the directions differ, where
    /// the edge is written "a -- b") and latency.
    /// Links that are down are dashed.
    [[nodiscard]] std::string to_dot() const;

private:
    struct NodeData {
        std::string name;
        NodeKind kind;
        std::string site;
        std::vector<LinkId> links;
    };
    struct LinkData {
        NodeId a;
        NodeId b;
        double capacity[2];
        double latency_s;
        Time latency;
        bool up = true;
    };
    struct Impl;  // Boost.Graph, name index, leaves, core trees and the routes

    // Routes handed out, by (from, to): open addressing with linear probing over a
    // power-of-two table, at most half full. FlowNetwork asks for a route per message,
    // so this lookup is on the hot path; std::unordered_map chases a node per lookup.
    // The table holds only the pairs asked for: a row per source over all nodes grows
    // with the square of the fleet.
    class RouteIndex {
    public:
        static std::uint64_t key(NodeId from, NodeId to) { return (std::uint64_t{from} << 32U) | to; }

        [[nodiscard]] const CompactRoute* find(std::uint64_t k) const {
            if (slots_.empty()) return nullptr;
            for (std::size_t i = slot_of(k);; i = (i + 1) & (slots_.size() - 1)) {
                const Slot& s = slots_[i];
                if (s.key == k) return s.route;
                if (s.key == empty) return nullptr;
            }
        }

        void insert(std::uint64_t k, const CompactRoute* route) {
            if (2 * (size_ + 1) > slots_.size()) grow();
            std::size_t i = slot_of(k);
            while (slots_[i].key != empty) i = (i + 1) & (slots_.size() - 1);
            slots_[i] = Slot{k, route};
            ++size_;
        }

        void clear() {
            slots_.clear();
            slots_.shrink_to_fit();
            size_ = 0;
            shift_ = 64;
        }

        [[nodiscard]] std::size_t size() const { return size_; }

    private:
        static constexpr std::uint64_t empty = UINT64_MAX;  // from = to = UINT32_MAX: never a node pair
        struct Slot {
            std::uint64_t key = empty;
            const CompactRoute* route = nullptr;
        };

        // Fibonacci hashing: the top bits of key * 2^64 / phi.
        [[nodiscard]] std::size_t slot_of(std::uint64_t k) const {
            return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ULL) >> shift_);
        }

        void grow() {
            std::vector<Slot> old = std::move(slots_);
            const std::size_t capacity = old.empty() ? 64 : 2 * old.size();
            slots_.assign(capacity, Slot{});
            shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
            size_ = 0;
            for (const Slot& s : old) {
                if (s.key != empty) insert(s.key, s.route);
            }
        }

        std::vector<Slot> slots_;
        std::size_t size_ = 0;
        unsigned shift_ = 64;
    };

    // The direct table of routes: CompactRoutes from calloc, zero (`route` null) until made,
    // 64-byte aligned; the pages of pairs never asked for stay untouched.
    class CompactRouteTable {
    public:
        CompactRouteTable() = default;
        CompactRouteTable(CompactRouteTable&& other) noexcept
            : storage_(std::exchange(other.storage_, nullptr)), entries_(std::exchange(other.entries_, nullptr)) {}
        CompactRouteTable& operator=(CompactRouteTable&& other) noexcept {
            if (this != &other) {
                reset();
                storage_ = std::exchange(other.storage_, nullptr);
                entries_ = std::exchange(other.entries_, nullptr);
            }
            return *this;
        }
        CompactRouteTable(const CompactRouteTable&) = delete;
        CompactRouteTable& operator=(const CompactRouteTable&) = delete;
        ~CompactRouteTable() { reset(); }
        /// `count` zeroed entries (the old ones freed). Throws std::bad_alloc.
        void allocate(std::size_t count);
        void reset() {
            std::free(storage_);
            storage_ = nullptr;
            entries_ = nullptr;
        }
        /// The entries, or nullptr when there is no table.
        [[nodiscard]] CompactRoute* data() const { return entries_; }

    private:
        void* storage_ = nullptr;  // from calloc, 64 bytes more than the entries need
        CompactRoute* entries_ = nullptr;
    };

    void check_node(NodeId n) const;
    /// Makes, caches and returns the route; nullptr when there is none.
    const CompactRoute* add_route(NodeId from, NodeId to);
    /// Finds the leaves, the core graph and the connected components.
    void rebuild_routing();
    /// Per core node, the directed link into it on the shortest-path tree from core node `from`.
    const std::vector<DirectedLinkId>& core_tree(NodeId from);
    /// Forgets the routes handed out (their bottlenecks changed).
    void clear_routes();
    /// Forgets everything routing derived from the nodes and links (they changed).
    void mark_stale();

    std::vector<NodeData> nodes_;
    std::vector<LinkData> links_;
    // nodes_.size() and 2 * links_.size(), kept: a NodeData is 96 bytes, a LinkData 48, and
    // FlowNetwork checks both counts per message (a size is then a division, not a load).
    std::size_t node_count_ = 0;
    std::size_t directed_link_count_ = 0;
    // Routes handed out, by from * node_count_ + to (`route` null: not made yet) when there
    // are at most max_direct_nodes nodes and a route was asked for since the last change;
    // no table otherwise, and route_index_ holds them.
    CompactRouteTable route_table_;
    RouteIndex route_index_;  // here, not in Impl: find_route() reads it inline
    std::unique_ptr<Impl> impl_;
};

}  // namespace s2sim::models

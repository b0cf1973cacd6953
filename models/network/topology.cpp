#include "models/network/topology.hpp"

#include <algorithm>
#include <bit>
#include <deque>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <new>
#include <utility>
#include <unordered_map>

#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <fmt/format.h>

#include "sim/error.hpp"
#include "sim/units.hpp"

namespace s2sim::models {

namespace {

constexpr std::uint32_t none = UINT32_MAX;
constexpr std::int64_t infinite_ns = std::numeric_limits<std::int64_t>::max();

// Dijkstra's distance label. Ordering (latency, hops, predecessor node,
// predecessor link) makes the tie-break part of the distance itself: among
// candidates of equal latency and hops, the relaxation from the lowest-id
// predecessor wins. Every candidate predecessor has a strictly smaller
// (latency, hops) than the node it leads to, so all of them are settled and
// tried before that node is, and the result does not depend on queue order.
struct Label {
    std::int64_t ns = infinite_ns;
    std::uint32_t hops = 0;
    std::uint32_t pred_node = none;
    std::uint32_t pred_link = none;  // directed link into this node
};

// What an edge contributes to a path: its latency, and its source node and
// directed link for the tie-break. Stored as the graph's edge bundle.
struct EdgeProps {
    std::int64_t ns = 0;
    std::uint32_t from = none;
    DirectedLinkId dlink = none;
};

struct LabelLess {
    bool operator()(const Label& x, const Label& y) const {
        if (x.ns != y.ns) return x.ns < y.ns;
        if (x.hops != y.hops) return x.hops < y.hops;
        if (x.pred_node != y.pred_node) return x.pred_node < y.pred_node;
        return x.pred_link < y.pred_link;
    }
};

struct LabelCombine {
    Label operator()(const Label& d, const EdgeProps& w) const {
        if (d.ns == infinite_ns) return Label{};
        return Label{d.ns + w.ns, d.hops + 1, w.from, w.dlink};
    }
};

// A compressed sparse row graph keeps each node's out-edges and their
// properties contiguous: Dijkstra on 10,000 nodes ran about 10 times faster
// than on an adjacency_list, whose edge properties are separate allocations.
// It is immutable, so it is rebuilt (in about a millisecond for 20,000 links)
// on the first route query after links were added or went up or down; links
// that are down are left out of it, which keeps Dijkstra's inner loop on
// contiguous memory.
using Graph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, EdgeProps>;

struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Quotes a DOT identifier.
std::string dot_quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '\n') {
            out += "\\n";  // DOT's line break
            continue;
        }
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace

// Routing works on two levels. A leaf is a node whose links that are up all go to
// one other node, its hub: a server or client under its switch. Every route from
// a leaf starts with its uplink and every route to a leaf ends with its downlink
// (the lowest-latency link to the hub, then the lowest id: what the tie rule picks
// there), and the part between is the route between the two hubs. Dijkstra then runs
// only over the core (every node but the leaves), once per core source asked for,
// so a fleet of servers under a few switches costs a few small trees instead of one
// tree over all nodes per server. Equivalence with Dijkstra over the whole graph:
// a leaf is a dead end, so no shortest path between two other nodes crosses it and
// it is never a candidate predecessor of another node; from a leaf, every label is
// its hub's plus the uplink, so each node's predecessor (the lowest-id candidate
// among equal labels) is the same as in its hub's tree.
struct Topology::Impl {
    std::unordered_map<std::string, NodeId, NameHash, std::equal_to<>> by_name;
    std::unordered_map<std::int64_t, std::uint32_t> latency_classes;  // by latency in ns

    // The routing structure, rebuilt on the first query after nodes or links were
    // added or a link went up or down (`stale`).
    bool stale = true;
    std::vector<NodeId> hub;               // per node: its hub if it is a leaf, else `none`
    std::vector<DirectedLinkId> uplink;    // per node: leaf to hub, else `none`
    std::vector<std::uint32_t> component;  // per node: connected component over links that are up
    std::vector<std::uint32_t> core_index;  // per node: dense index among the core nodes (in id order), else `none`
    Graph core;                            // the core: its nodes by core index, the links between two of them
    // Per core node: the directed link into each core node on its shortest-path tree
    // (`none` for the source and unreachable nodes). Empty = not computed yet.
    std::vector<std::vector<DirectedLinkId>> trees;
    std::size_t cached = 0;
    std::vector<Label> labels;  // scratch for Dijkstra

    std::deque<Route> routes;  // what the CompactRoutes point to; a deque keeps addresses stable
    std::deque<CompactRoute> compact_routes;  // what route_index_ points to (above max_direct_nodes)
};

std::string_view to_string(NodeKind kind) {
    switch (kind) {
        case NodeKind::server: return "server";
        case NodeKind::switch_: return "switch";
        case NodeKind::client: return "client";
    }
    return "unknown";
}

double propagation_latency(double distance_m, double speed_m_per_s, double fixed_s) {
    if (!(distance_m >= 0.0) || std::isinf(distance_m)) {
        throw Error(fmt::format("invalid distance {} m (expected a finite value >= 0)", distance_m));
    }
    if (!(speed_m_per_s > 0.0)) {
        throw Error(fmt::format("invalid propagation speed {} m/s (expected a value > 0)", speed_m_per_s));
    }
    if (!(fixed_s >= 0.0) || std::isinf(fixed_s)) {
        throw Error(fmt::format("invalid latency {} s (expected a finite value >= 0)", fixed_s));
    }
    return distance_m / speed_m_per_s + fixed_s;
}

Topology::Topology() : impl_(std::make_unique<Impl>()) {}
Topology::Topology(Topology&&) noexcept = default;
Topology& Topology::operator=(Topology&&) noexcept = default;
Topology::~Topology() = default;

void Topology::check_node(NodeId n) const {
    if (n >= nodes_.size()) {
        throw Error(fmt::format("unknown node id {} (the topology has {} nodes)", n, nodes_.size()));
    }
}

void Topology::clear_routes() {
    if (impl_->routes.empty()) return;
    route_table_.reset();
    route_index_.clear();
    impl_->routes.clear();
    impl_->routes.shrink_to_fit();
    impl_->compact_routes.clear();
    impl_->compact_routes.shrink_to_fit();
}

void Topology::mark_stale() {
    impl_->stale = true;
    clear_routes();
    if (impl_->cached != 0 || !impl_->trees.empty()) {
        impl_->trees.clear();
        impl_->trees.shrink_to_fit();
        impl_->cached = 0;
    }
}

NodeId Topology::add_node(std::string name, NodeKind kind, std::string site) {
    if (name.empty()) throw Error("empty node name");
    const auto id = static_cast<NodeId>(nodes_.size());
    if (!impl_->by_name.try_emplace(name, id).second) throw Error(fmt::format("duplicate node name '{}'", name));
    nodes_.push_back(NodeData{std::move(name), kind, std::move(site), {}});
    node_count_ = nodes_.size();
    mark_stale();
    return id;
}

LinkId Topology::add_link(NodeId a, NodeId b, double bandwidth_a_to_b, double bandwidth_b_to_a, double latency_s) {
    check_node(a);
    check_node(b);
    if (a == b) throw Error(fmt::format("link from node '{}' to itself", nodes_[a].name));
    for (double bw : {bandwidth_a_to_b, bandwidth_b_to_a}) {
        if (!(bw > 0.0)) {
            throw Error(fmt::format("link '{}--{}': invalid bandwidth {} B/s (expected a value > 0)",
                                    nodes_[a].name, nodes_[b].name, bw));
        }
    }
    if (!(latency_s >= 0.0 && latency_s <= max_link_latency_s)) {
        throw Error(fmt::format("link '{}--{}': invalid latency {} s (expected a value from 0 to {} s, a day)",
                                nodes_[a].name, nodes_[b].name, latency_s, max_link_latency_s));
    }
    const auto id = static_cast<LinkId>(links_.size());
    links_.push_back(LinkData{a, b, {bandwidth_a_to_b, bandwidth_b_to_a}, latency_s,
                              Time::from_seconds(latency_s), true});
    nodes_[a].links.push_back(id);
    nodes_[b].links.push_back(id);
    directed_link_count_ = 2 * links_.size();
    mark_stale();
    return id;
}

std::optional<NodeId> Topology::find_node(std::string_view name) const {
    const auto it = impl_->by_name.find(name);
    if (it == impl_->by_name.end()) return std::nullopt;
    return it->second;
}

NodeId Topology::node(std::string_view name) const {
    if (auto n = find_node(name)) return *n;
    throw Error(fmt::format("unknown node '{}'", name));
}

std::optional<LinkId> Topology::find_link(NodeId a, NodeId b) const {
    check_node(a);
    check_node(b);
    for (LinkId l : nodes_[a].links) {  // ascending: links are appended in id order
        const auto& d = links_[l];
        if ((d.a == a && d.b == b) || (d.a == b && d.b == a)) return l;
    }
    return std::nullopt;
}

std::string Topology::link_name(LinkId link) const {
    const auto& l = links_.at(link);
    return nodes_[l.a].name + "--" + nodes_[l.b].name;
}

std::string Topology::directed_link_name(DirectedLinkId d) const {
    return nodes_[source(d)].name + "->" + nodes_[target(d)].name;
}

void Topology::set_capacity(DirectedLinkId d, double bytes_per_s) {
    if (!(bytes_per_s > 0.0)) {
        throw Error(fmt::format("link '{}': capacity must be positive, got {}", directed_link_name(d), bytes_per_s));
    }
    links_.at(link_of(d)).capacity[d & 1U] = bytes_per_s;
    clear_routes();  // their bottlenecks; the paths stay
}

void Topology::set_link_up(LinkId link, bool up) {
    auto& l = links_.at(link);
    if (l.up == up) return;
    l.up = up;
    mark_stale();
}

std::uint32_t Topology::latency_class(Time latency) {
    const auto [it, added] = impl_->latency_classes.try_emplace(
        latency.ns(), static_cast<std::uint32_t>(impl_->latency_classes.size()));
    return it->second;
}

std::size_t Topology::latency_class_count() const { return impl_->latency_classes.size(); }

std::size_t Topology::cached_sources() const { return impl_->cached; }

std::size_t Topology::cached_routes() const { return impl_->routes.size(); }

namespace {

// Runs Dijkstra from `from` and returns, per node, the directed link into it.
std::vector<DirectedLinkId> shortest_path_tree(const Graph& g, NodeId from, std::vector<Label>& labels) {
    const std::size_t n = boost::num_vertices(g);
    labels.assign(n, Label{});
    Label zero;
    zero.ns = 0;
    labels[from] = zero;
    auto distance = boost::make_iterator_property_map(labels.begin(), boost::get(boost::vertex_index, g));
    boost::dijkstra_shortest_paths(g, from,
                                   boost::weight_map(boost::get(boost::edge_bundle, g))
                                       .distance_map(distance)
                                       .distance_compare(LabelLess{})
                                       .distance_combine(LabelCombine{})
                                       .distance_inf(Label{})
                                       .distance_zero(zero));
    std::vector<DirectedLinkId> tree(n, none);
    for (std::size_t v = 0; v < n; ++v) tree[v] = labels[v].pred_link;
    tree[from] = none;
    return tree;
}

}  // namespace

void Topology::rebuild_routing() {
    Impl& m = *impl_;
    const std::size_t n = nodes_.size();
    // Leaves and their uplinks. A node's links are in ascending id order, so a strict
    // `<` on latency keeps the lowest id among the fastest links to the hub.
    m.hub.assign(n, none);
    m.uplink.assign(n, none);
    for (NodeId v = 0; v < n; ++v) {
        NodeId neighbour = none;
        DirectedLinkId best = none;
        std::int64_t best_ns = 0;
        bool one_neighbour = true;
        for (const LinkId id : nodes_[v].links) {
            const LinkData& l = links_[id];
            if (!l.up) continue;
            const NodeId other = l.a == v ? l.b : l.a;
            if (neighbour == none) {
                neighbour = other;
            } else if (other != neighbour) {
                one_neighbour = false;
                break;
            }
            if (best == none || l.latency.ns() < best_ns) {
                best = directed_link(id, l.a == v ? Direction::a_to_b : Direction::b_to_a);
                best_ns = l.latency.ns();
            }
        }
        if (one_neighbour && neighbour != none) {
            m.hub[v] = neighbour;
            m.uplink[v] = best;
        }
    }
    // The core: every node that is not a leaf, numbered in id order so that the
    // tie rule's comparison of node ids is unchanged (labels hold node ids anyway).
    m.core_index.assign(n, none);
    std::uint32_t core_nodes = 0;
    for (NodeId v = 0; v < n; ++v) {
        if (m.hub[v] == none) m.core_index[v] = core_nodes++;
    }
    std::vector<std::pair<std::size_t, std::size_t>> edges;
    std::vector<EdgeProps> props;
    for (LinkId id = 0; id < links_.size(); ++id) {
        const LinkData& l = links_[id];
        if (!l.up || m.core_index[l.a] == none || m.core_index[l.b] == none) continue;
        edges.emplace_back(m.core_index[l.a], m.core_index[l.b]);
        props.push_back(EdgeProps{l.latency.ns(), l.a, directed_link(id, Direction::a_to_b)});
        edges.emplace_back(m.core_index[l.b], m.core_index[l.a]);
        props.push_back(EdgeProps{l.latency.ns(), l.b, directed_link(id, Direction::b_to_a)});
    }
    m.core = Graph(boost::edges_are_unsorted_multi_pass, edges.begin(), edges.end(), props.begin(), core_nodes);
    m.trees.assign(core_nodes, {});
    m.cached = 0;
    // Connected components over the links that are up: has_route without a route.
    m.component.assign(n, none);
    std::vector<NodeId> stack;
    std::uint32_t components = 0;
    for (NodeId start = 0; start < n; ++start) {
        if (m.component[start] != none) continue;
        m.component[start] = components;
        stack.push_back(start);
        while (!stack.empty()) {
            const NodeId v = stack.back();
            stack.pop_back();
            for (const LinkId id : nodes_[v].links) {
                const LinkData& l = links_[id];
                const NodeId other = l.a == v ? l.b : l.a;
                if (l.up && m.component[other] == none) {
                    m.component[other] = components;
                    stack.push_back(other);
                }
            }
        }
        ++components;
    }
    m.stale = false;
}

const std::vector<DirectedLinkId>& Topology::core_tree(NodeId from) {
    const std::uint32_t c = impl_->core_index[from];
    auto& tree = impl_->trees[c];
    if (tree.empty()) {
        tree = shortest_path_tree(impl_->core, c, impl_->labels);
        ++impl_->cached;
    }
    return tree;
}

bool Topology::has_route(NodeId from, NodeId to) {
    if (from >= nodes_.size() || to >= nodes_.size()) check_node(std::max(from, to));  // throws
    if (impl_->stale) rebuild_routing();
    return impl_->component[from] == impl_->component[to];
}

const Route& Topology::route(NodeId from, NodeId to) {
    if (const Route* r = find_route(from, to)) return *r;
    throw Error(fmt::format("no route from '{}' to '{}'", nodes_[from].name, nodes_[to].name));
}

void Topology::CompactRouteTable::allocate(std::size_t count) {
    reset();
    // calloc: zeroed, and for a large table fresh pages that stay untouched until used.
    storage_ = std::calloc(count * sizeof(CompactRoute) + alignof(CompactRoute), 1);
    if (storage_ == nullptr) throw std::bad_alloc();
    const auto address = reinterpret_cast<std::uintptr_t>(storage_);
    const std::uintptr_t aligned = (address + alignof(CompactRoute) - 1) & ~std::uintptr_t{alignof(CompactRoute) - 1};
    entries_ = reinterpret_cast<CompactRoute*>(aligned);
}

const CompactRoute* Topology::add_route(NodeId from, NodeId to) {
    if (impl_->stale) rebuild_routing();
    const Impl& m = *impl_;
    if (m.component[from] != m.component[to]) return nullptr;
    Route r;
    if (from != to) {
        // from [-> hub(from)] -> ... -> [hub(to) ->] to: leaves reduce to their hubs
        // (see Impl). Two leaves linked only to each other are each other's hub.
        NodeId x = from;
        NodeId y = to;
        DirectedLinkId up = none;
        DirectedLinkId down = none;
        if (m.hub[x] != none) {
            up = m.uplink[x];
            x = m.hub[x];
        }
        if (x != y && m.hub[y] != none) {
            down = m.uplink[y] ^ 1U;  // the other direction of the same link
            y = m.hub[y];
        }
        if (up != none) r.links.push_back(up);
        if (x != y) {
            const auto& tree = core_tree(x);
            const std::size_t first = r.links.size();
            for (NodeId v = y; v != x;) {
                const DirectedLinkId d = tree[m.core_index[v]];
                r.links.push_back(d);
                v = source(d);
            }
            std::reverse(r.links.begin() + static_cast<std::ptrdiff_t>(first), r.links.end());
        }
        if (down != none) r.links.push_back(down);
        for (DirectedLinkId d : r.links) {
            r.latency += links_[link_of(d)].latency;
            r.bottleneck_bytes_per_s = std::min(r.bottleneck_bytes_per_s, capacity(d));
        }
        r.latency_s = r.latency.seconds();
    }
    r.latency_class = latency_class(r.latency);
    const Route* stored = &impl_->routes.emplace_back(std::move(r));
    CompactRoute compact;
    compact.route = stored;
    compact.latency = stored->latency;
    compact.latency_class = stored->latency_class;
    compact.link_count = static_cast<std::uint32_t>(stored->links.size());
    std::copy_n(stored->links.data(), std::min(stored->links.size(), CompactRoute::inline_links), compact.links);
    if (node_count_ <= max_direct_nodes) {
        // Made at the first route after a change (clear_routes() frees it), so that its
        // size always matches the node count.
        if (route_table_.data() == nullptr) route_table_.allocate(node_count_ * node_count_);
        CompactRoute& entry = route_table_.data()[std::size_t{from} * node_count_ + to];
        entry = compact;
        return &entry;
    }
    const CompactRoute* entry = &impl_->compact_routes.emplace_back(compact);
    route_index_.insert(RouteIndex::key(from, to), entry);
    return entry;
}

std::string Topology::to_dot() const {
    std::string out = "graph topology {\n";
    for (const auto& n : nodes_) {
        const char* shape = n.kind == NodeKind::server ? "box" : n.kind == NodeKind::switch_ ? "diamond" : "ellipse";
        std::string label = n.name;
        if (!n.site.empty()) label += "\n" + n.site;
        out += fmt::format("  {} [shape={}, label={}];\n", dot_quote(n.name), shape, dot_quote(label));
    }
    for (const auto& l : links_) {
        std::string label;
        if (l.capacity[0] == l.capacity[1]) {
            label = units::format_bandwidth(l.capacity[0]);
        } else {
            label = fmt::format("{} / {}", units::format_bandwidth(l.capacity[0]), units::format_bandwidth(l.capacity[1]));
        }
        label += ", " + units::format_time(l.latency_s);
        out += fmt::format("  {} -- {} [label={}{}];\n", dot_quote(nodes_[l.a].name), dot_quote(nodes_[l.b].name),
                           dot_quote(label), l.up ? "" : ", style=dashed");
    }
    out += "}\n";
    return out;
}

}  // namespace s2sim::models

#include "scenario/overrides.hpp"

#include <algorithm>
#include <charconv>
#include <memory>

#include "scenario/suggest.hpp"
#include "sim/error.hpp"

namespace s2sim::scenario {

namespace {

struct Segment {
    std::string text;
    int column = 0;  // 1-based column in the override text
};

std::string quote_basic_string(std::string_view raw) {
    std::string out = "\"";
    for (const char c : raw) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default: out += c;
        }
    }
    return out + "\"";
}

/// The value of an override as a TOML table holding it under key "v"; parsed from
/// text padded so that the value's column equals `column` (1-based, >= 3) in the override.
toml::table parse_value(std::string_view value, int column, const std::string& origin) {
    std::string pad(static_cast<std::size_t>(column - 1), ' ');  // "v   =" ending just before the value
    pad.front() = 'v';
    pad.back() = '=';
    try {
        auto doc = toml::parse(pad + std::string(value), origin);
        if (doc.size() == 1 && doc.contains("v")) return doc;
    } catch (const toml::parse_error&) {
        // Not a TOML value: a bare string such as 60s or power_of_two.
    }
    // Digits that TOML cannot hold (19 or more, no leading zero) are a number out of range,
    // not a string.
    const std::string_view digits = value.substr(!value.empty() && (value[0] == '-' || value[0] == '+') ? 1 : 0);
    if (digits.size() >= 19 && digits[0] != '0' && digits.find_first_not_of("0123456789") == std::string_view::npos) {
        throw ConfigError({origin, 1, column},
                          "integer " + std::string(value) +
                              " is out of range (TOML integers go from -9223372036854775808 to 9223372036854775807)");
    }
    try {
        return toml::parse(pad + quote_basic_string(value), origin);
    } catch (const toml::parse_error& e) {
        // Not even as a string: invalid UTF-8 or a control character.
        throw ConfigError({origin, 1, column},
                          "cannot read the value as TOML or as text: " + std::string(e.description()));
    }
}

/// The source region of column `column` on the override's only line.
toml::source_region region_at(const std::string& origin, int column) {
    toml::source_region r;
    r.begin = {1, static_cast<toml::source_index>(column)};
    r.end = r.begin;
    r.path = std::make_shared<const std::string>(origin);
    return r;
}

/// A key made by an override, positioned at its segment, so "unknown key" points at it.
toml::key key_at(const Segment& seg, const std::string& origin) { return toml::key(seg.text, region_at(origin, seg.column)); }

/// An empty table positioned at column `column` of the override (TOML++ nodes get their
/// position only from the parser), so errors about a table an override made point there.
toml::table table_at(int column, const std::string& origin) {
    auto doc = toml::parse(std::string(static_cast<std::size_t>(column - 1), ' ') + "[t]", origin);
    return std::move(*doc.get("t")->as_table());
}

/// An empty array positioned at column `column` (>= 3) of the override.
toml::array array_at(int column, const std::string& origin) {
    auto doc = parse_value("[]", column, origin);
    return std::move(*doc.get("v")->as_array());
}

bool is_index(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

const char* kind_of(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        default: return "a date or time";
    }
}

/// The index of the element of an array of tables named by `seg` (its `name`, or a 0-based index).
std::size_t select_element(toml::array& arr, const Segment& seg, const std::string& so_far,
                           const SourcePos& base) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < arr.size(); ++i) {
        if (auto* t = arr.get(i)->as_table()) {
            if (auto name = (*t)["name"].value<std::string>()) {
                if (*name == seg.text) return i;
                names.push_back(*name);
            }
        }
    }
    std::size_t index = 0;
    const auto* end = seg.text.data() + seg.text.size();
    const auto [ptr, ec] = std::from_chars(seg.text.data(), end, index);
    if (ec == std::errc() && ptr == end) {
        if (index < arr.size()) return index;
        throw ConfigError({base.file, 1, seg.column},
                          "index " + seg.text + " is out of range: '" + so_far + "' has " +
                              std::to_string(arr.size()) + " entries, numbered from 0 (to add one: " + so_far +
                              "+={ ... })");
    }
    throw ConfigError({base.file, 1, seg.column},
                      "no entry named '" + seg.text + "' in '" + so_far + "'" + did_you_mean(seg.text, names));
}

}  // namespace

void apply_override(toml::table& root, std::string_view override_text) {
    const std::string origin = "--set " + std::string(override_text);
    const SourcePos base{origin, 1, 1};
    const auto eq = override_text.find('=');
    if (eq == std::string_view::npos) {
        throw ConfigError(base, "override '" + std::string(override_text) +
                                    "' has no '=' (expected KEY=VALUE, e.g. scenario.duration=60s, or KEY+=VALUE "
                                    "to append)");
    }
    // KEY+=VALUE appends VALUE to the array at KEY.
    const bool append = eq > 0 && override_text[eq - 1] == '+';
    const std::string_view key = override_text.substr(0, append ? eq - 1 : eq);
    const std::string_view value = override_text.substr(eq + 1);
    const int value_column = static_cast<int>(eq) + 2;
    const auto value_node = [&] { return parse_value(value, value_column, origin); };

    std::vector<Segment> segments;
    std::size_t start = 0;
    while (true) {
        const auto dot = key.find('.', start);
        const auto piece = key.substr(start, dot == std::string_view::npos ? key.size() - start : dot - start);
        if (piece.empty()) {
            throw ConfigError({origin, 1, static_cast<int>(start) + 1},
                              "empty key in override path '" + std::string(key) + "'");
        }
        segments.push_back({std::string(piece), static_cast<int>(start) + 1});
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }

    toml::node* current = &root;
    std::string so_far;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const Segment& seg = segments[i];
        const bool last = i + 1 == segments.size();
        const std::string path = so_far + (so_far.empty() ? "" : ".") + seg.text;
        toml::node* child = nullptr;
        if (auto* table = current->as_table()) {
            child = table->get(seg.text);
            if (last && !append) {
                auto parsed = value_node();
                table->insert_or_assign(key_at(seg, origin), std::move(*parsed.get("v")));
                return;
            }
            if (child == nullptr && last) {  // appending to an array not there yet
                child = &table->insert_or_assign(key_at(seg, origin), array_at(value_column, origin)).first->second;
            } else if (child == nullptr) {
                if (is_index(segments[i + 1].text)) {
                    throw ConfigError({origin, 1, segments[i + 1].column},
                                      "there is no entry " + segments[i + 1].text + " of '" + path + "': '" + path +
                                          "' is not in the scenario (to add an entry: " + path + "+={ ... })");
                }
                child = &table->insert_or_assign(key_at(seg, origin), table_at(seg.column, origin)).first->second;
            }
        } else if (auto* array = current->as_array()) {
            const std::size_t index = select_element(*array, seg, so_far, base);
            if (last && !append) {
                auto parsed = value_node();
                array->replace(array->cbegin() + static_cast<std::ptrdiff_t>(index), std::move(*parsed.get("v")));
                return;
            }
            child = array->get(index);
        } else {
            throw ConfigError({origin, 1, seg.column},
                              "cannot set '" + std::string(key) + "': '" + so_far + "' is " +
                                  kind_of(*current) + ", not a table");
        }
        if (last) {  // append
            auto* target = child->as_array();
            if (target == nullptr) {
                throw ConfigError({origin, 1, seg.column}, "cannot append to '" + path + "': it is " +
                                                               kind_of(*child) + ", not an array");
            }
            auto parsed = value_node();
            toml::node& element = *parsed.get("v");
            if (!target->empty() && target->is_array_of_tables() != element.is_table()) {
                throw ConfigError({origin, 1, value_column},
                                  "cannot append " + std::string(kind_of(element)) + " to '" + path +
                                      "': its entries are " + (target->is_array_of_tables() ? "tables" : "values") +
                                      (target->is_array_of_tables() ? " (write " + path + "+={ key = value, ... })"
                                                                    : ""));
            }
            if (auto* t = element.as_table()) t->is_inline(false);  // written back as [[path]]
            target->push_back(std::move(element));
            return;
        }
        current = child;
        so_far = path;
    }
}

void apply_overrides(toml::table& root, const std::vector<std::string>& overrides) {
    for (const auto& o : overrides) apply_override(root, o);
}

}  // namespace s2sim::scenario

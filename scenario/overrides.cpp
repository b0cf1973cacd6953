#include "scenario/overrides.hpp"

#include <charconv>

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
/// text padded so that the value's column equals its column in KEY=VALUE.
toml::table parse_value(std::string_view key, std::string_view value, const std::string& origin) {
    std::string pad(key.size() + 1, ' ');  // "v   =" as wide as "KEY="
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
        throw ConfigError({origin, 1, static_cast<int>(key.size()) + 2},
                          "integer " + std::string(value) +
                              " is out of range (TOML integers go from -9223372036854775808 to 9223372036854775807)");
    }
    try {
        return toml::parse(pad + quote_basic_string(value), origin);
    } catch (const toml::parse_error& e) {
        // Not even as a string: invalid UTF-8 or a control character.
        throw ConfigError({origin, 1, static_cast<int>(key.size()) + 2},
                          "cannot read the value as TOML or as text: " + std::string(e.description()));
    }
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
                              std::to_string(arr.size()) + " entries");
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
                                    "' has no '=' (expected KEY=VALUE, e.g. scenario.duration=60s)");
    }
    const std::string_view key = override_text.substr(0, eq);
    const std::string_view value = override_text.substr(eq + 1);

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
        if (auto* table = current->as_table()) {
            if (last) {
                auto parsed = parse_value(key, value, origin);
                table->insert_or_assign(seg.text, std::move(*parsed.get("v")));
                return;
            }
            toml::node* child = table->get(seg.text);
            if (child == nullptr) {
                child = &table->insert_or_assign(seg.text, toml::table{}).first->second;
            }
            current = child;
        } else if (auto* array = current->as_array()) {
            const std::size_t index = select_element(*array, seg, so_far, base);
            if (last) {
                auto parsed = parse_value(key, value, origin);
                array->replace(array->cbegin() + static_cast<std::ptrdiff_t>(index), std::move(*parsed.get("v")));
                return;
            }
            current = array->get(index);
        } else {
            throw ConfigError({origin, 1, seg.column},
                              "cannot set '" + std::string(key) + "': '" + so_far + "' is " +
                                  kind_of(*current) + ", not a table");
        }
        so_far += (so_far.empty() ? "" : ".") + seg.text;
    }
}

void apply_overrides(toml::table& root, const std::vector<std::string>& overrides) {
    for (const auto& o : overrides) apply_override(root, o);
}

}  // namespace s2sim::scenario

#include "scenario/suggest.hpp"

#include <algorithm>
#include <numeric>

namespace s2sim::scenario {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // One row of the dynamic-programming table is enough.
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::optional<std::string> closest(std::string_view input, const std::vector<std::string>& choices) {
    std::optional<std::string> best;
    std::size_t best_distance = 0;
    for (const auto& choice : choices) {
        const std::size_t d = edit_distance(input, choice);
        const std::size_t limit = std::min<std::size_t>(2, std::max(input.size(), choice.size()) / 3 + 1);
        if (d > limit || d == 0) continue;
        if (!best || d < best_distance) {
            best = choice;
            best_distance = d;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view input, const std::vector<std::string>& choices) {
    if (auto c = closest(input, choices)) return " (did you mean '" + *c + "'?)";
    if (choices.empty()) return "";
    std::string out = " (expected: ";
    const std::size_t shown = std::min<std::size_t>(choices.size(), 12);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0) out += ", ";
        out += choices[i];
    }
    if (shown < choices.size()) out += ", ...";
    return out + ")";
}

}  // namespace s2sim::scenario

#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// "did you mean ...?" help for misspelt keys and names.
namespace s2sim::scenario {

/// Levenshtein distance (insertions, deletions, substitutions; ASCII case-sensitive).
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

/// The choice closest to `input`, if it is close enough to be a likely typo:
/// at most 2 edits, and fewer edits than a third of the longer name plus one.
/// Ties go to the earliest choice.
[[nodiscard]] std::optional<std::string> closest(std::string_view input,
                                                 const std::vector<std::string>& choices);

/// " (did you mean 'x'?)" when a choice is close, else " (expected: a, b, c)" listing
/// up to 12 choices, or "" when there are none. Ready to append to a message.
[[nodiscard]] std::string did_you_mean(std::string_view input, const std::vector<std::string>& choices);

}  // namespace s2sim::scenario

#include "scenario/suggest.hpp"

#include <catch2/catch.hpp>

namespace sc = s2sim::scenario;

TEST_CASE("suggest: edit distance counts insertions, deletions and substitutions", "[scenario]") {
    CHECK(sc::edit_distance("", "") == 0);
    CHECK(sc::edit_distance("abc", "") == 3);
    CHECK(sc::edit_distance("kitten", "sitting") == 3);
    CHECK(sc::edit_distance("duration", "durration") == 1);
    CHECK(sc::edit_distance("ab", "ba") == 2);
}

TEST_CASE("suggest: only close names are suggested", "[scenario]") {
    const std::vector<std::string> keys = {"duration", "warmup", "seed"};
    CHECK(sc::closest("duraton", keys) == "duration");
    CHECK(sc::closest("sed", keys) == "seed");
    CHECK_FALSE(sc::closest("xyz", keys));
    CHECK_FALSE(sc::closest("seed", keys));  // an exact match is not a typo
    CHECK(sc::did_you_mean("warmpu", keys) == " (did you mean 'warmup'?)");
    CHECK(sc::did_you_mean("zzz", keys) == " (expected: duration, warmup, seed)");
    CHECK(sc::did_you_mean("zzz", {}).empty());
}

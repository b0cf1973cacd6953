#pragma once
// Where the tests find the source tree and the s2sim program. The paths differ per
// clone, so they live in one generated file (test_paths.cpp in the build folder)
// rather than in every test's compile flags: ccache then reuses every other object
// across clones. Force-included into each test program (see tests/CMakeLists.txt).

namespace s2sim::testing {
/// The source tree, absolute (e.g. "/work/main").
const char* source_dir();
/// The s2sim program built with the tests, absolute.
const char* binary();
}  // namespace s2sim::testing

#define S2SIM_SOURCE_DIR (::s2sim::testing::source_dir())
#define S2SIM_BINARY (::s2sim::testing::binary())

#pragma once
// Files the report tests write and read back.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace s2sim::testing {

/// The whole text of file `p` ("" when it cannot be read).
inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// An empty folder's path in the temporary directory, `s2sim-<name>` (removed if it was
/// there; not created: the writers under test create it).
inline std::string fresh_temp_folder(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("s2sim-" + name);
    std::filesystem::remove_all(dir);
    return dir.string();
}

}  // namespace s2sim::testing

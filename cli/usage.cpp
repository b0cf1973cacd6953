#include "cli/usage.hpp"

#include <iostream>

#include "scenario/arguments.hpp"
#include "scenario/files.hpp"

namespace s2sim::cli {

CLI::Validator checked(std::string (*problem)(std::string_view)) {
    return CLI::Validator([problem](std::string& v) { return problem(v); }, "");
}
CLI::Validator checked_text(std::string (*problem)(const std::string&)) {
    return CLI::Validator([problem](std::string& v) { return problem(v); }, "");
}
CLI::Validator checked_file() {
    return CLI::Validator([](std::string& v) { return scenario::scenario_file_problem(v); }, "");
}
CLI::Validator integer_from(std::int64_t min, std::int64_t max) {
    return CLI::Validator([min, max](std::string& v) { return scenario::integer_problem(v, min, max); }, "");
}

void check_outputs(const std::string& json, const std::string& csv) {
    if (!json.empty()) scenario::check_output_file(json, "--json");
    if (!csv.empty()) scenario::check_output_folder(csv, "--csv");
}

int write_outputs(const std::vector<std::function<void()>>& writes, const std::function<void()>& print, int code) {
    const std::vector<std::string> failed = scenario::write_each(writes);
    print();
    for (const auto& message : failed) std::cerr << "s2sim: error: " << message << "\n";
    return failed.empty() ? code : 1;
}

int exit_code_of(const CLI::App& app, const CLI::ParseError& e) {
    if (dynamic_cast<const CLI::CallForHelp*>(&e) != nullptr || dynamic_cast<const CLI::CallForAllHelp*>(&e) != nullptr ||
        dynamic_cast<const CLI::CallForVersion*>(&e) != nullptr) {
        return app.exit(e);
    }
    std::cerr << "s2sim: error: " << e.what() << "\nRun 's2sim --help' (or 's2sim COMMAND --help') for the options.\n";
    return 2;
}

}  // namespace s2sim::cli

// libFuzzer target: the trace reader. The input is written to a file (the reader
// streams from disk) and read to the end; it must end or throw s2sim::Error.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "models/workload/trace_reader.hpp"
#include "sim/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/tmp/s2sim-fuzz-trace-" + std::to_string(::getpid()) + ".csv";
    if (FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    } else {
        return 0;
    }
    try {
        (void)s2sim::models::scan_trace(path, {"home", "search", "checkout"}, "frontend");
    } catch (const s2sim::Error&) {
    }
    return 0;
}

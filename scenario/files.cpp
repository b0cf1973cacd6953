#include "scenario/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string_view>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "scenario/arguments.hpp"
#include "scenario/report.hpp"
#include "sim/error.hpp"

namespace s2sim::scenario {

namespace {

namespace fs = std::filesystem;

std::string kind_of(fs::file_type type) {
    switch (type) {
        case fs::file_type::regular: return "a regular file";
        case fs::file_type::directory: return "a folder";
        case fs::file_type::symlink: return "a symbolic link";
        case fs::file_type::block: return "a block device";
        case fs::file_type::character: return "a character device";
        case fs::file_type::fifo: return "a FIFO (named pipe)";
        case fs::file_type::socket: return "a socket";
        case fs::file_type::not_found: return "missing";
        default: return "not a regular file";
    }
}

std::string size_text(std::uintmax_t bytes) {
    if (bytes >= (std::uintmax_t{1} << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1 << 30));
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

/// The file a results path names: a symbolic link is followed to the file it points at,
/// so the link itself is never replaced.
fs::path output_target(const fs::path& path) {
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(path, ec))) {
        const fs::path resolved = fs::weakly_canonical(path, ec);
        if (!ec) return resolved;
    }
    return path;
}

/// The folder a results file goes in; "." for a bare file name.
fs::path folder_of(const fs::path& target) {
    const fs::path folder = target.parent_path();
    return folder.empty() ? fs::path(".") : folder;
}

/// Checks that `folder` exists and is writable, or that its nearest existing ancestor is
/// (the folder is then created when the results are written).
void check_folder_writable(const fs::path& folder, const std::string& option, const std::string& shown) {
    std::error_code ec;
    fs::path existing = folder;
    while (!fs::exists(existing, ec) && existing.has_relative_path() && existing != existing.parent_path()) {
        existing = existing.parent_path();
        if (existing.empty()) existing = ".";
    }
    if (!fs::exists(existing, ec)) return;  // the root: nothing more to check
    if (!fs::is_directory(existing, ec)) {
        throw UsageError(fmt::format("{} '{}': '{}' is {}, not a folder", option, shown, existing.string(),
                                     kind_of(fs::status(existing, ec).type())));
    }
    if (::access(existing.c_str(), W_OK | X_OK) != 0) {
        throw UsageError(fmt::format("{} '{}': cannot write into folder '{}': {}", option, shown, existing.string(),
                                     std::strerror(errno)));
    }
}

/// The temporary name of the fallback write (when O_TMPFILE is not available): a later write
/// of the same file removes those left by a process that no longer runs (killed mid-write).
std::string temporary_name(const fs::path& target, long pid) {
    return fmt::format(".{}.s2sim-{}.partial", target.filename().string(), pid);
}

void remove_stale_temporaries(const fs::path& folder, const fs::path& target) {
    const std::string prefix = fmt::format(".{}.s2sim-", target.filename().string());
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        std::string_view digits(name);
        if (digits.size() <= prefix.size() + 8 || !digits.starts_with(prefix) || !digits.ends_with(".partial")) continue;
        digits.remove_prefix(prefix.size());
        digits.remove_suffix(std::string_view(".partial").size());
        long pid = 0;
        const auto [last, parsed] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
        if (parsed != std::errc() || last != digits.data() + digits.size() || pid <= 0) continue;
        if (pid == ::getpid() || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
            std::error_code ignored;
            fs::remove(it->path(), ignored);
        }
    }
}

bool write_all(int fd, const std::string& text) {
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return true;
}

/// Closes a descriptor and removes a named temporary on every way out.
struct TemporaryFile {
    int fd = -1;
    std::string name;  // empty: an unnamed O_TMPFILE, gone with its descriptor
    ~TemporaryFile() {
        if (fd >= 0) ::close(fd);
        if (!name.empty()) ::unlink(name.c_str());
    }
};

}  // namespace

std::string file_kind(const std::string& path) {
    std::error_code ec;
    return kind_of(fs::status(path, ec).type());
}

std::optional<std::string> input_file_problem(const std::string& path, std::uintmax_t max_bytes) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (st.type() == fs::file_type::not_found) return fmt::format("'{}' not found", path);
    if (ec) return fmt::format("cannot read '{}': {}", path, ec.message());
    if (st.type() != fs::file_type::regular) {
        return fmt::format("'{}' is {}, not a regular file", path, kind_of(st.type()));
    }
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec) return fmt::format("cannot read '{}': {}", path, ec.message());
    if (size > max_bytes) {
        return fmt::format("'{}' is {}, more than the {} s2sim reads from such a file", path, size_text(size),
                           size_text(max_bytes));
    }
    return std::nullopt;
}

std::string read_input_file(const std::string& path, std::uintmax_t max_bytes, const std::string& what) {
    if (const auto problem = input_file_problem(path, max_bytes)) throw Error("cannot read " + what + ": " + *problem);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot read {} '{}': {}", what, path, std::strerror(errno)));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

void check_output_file(const std::string& path, const std::string& option) {
    if (path.empty()) throw UsageError(option + " needs a file name");
    const fs::path target = output_target(path);
    std::error_code ec;
    const fs::file_status st = fs::status(target, ec);
    if (st.type() != fs::file_type::not_found && st.type() != fs::file_type::regular) {
        throw UsageError(fmt::format("{} '{}' is {}; s2sim writes results only over a regular file", option, path,
                                     kind_of(st.type())));
    }
    check_folder_writable(folder_of(target), option, path);
}

void check_output_folder(const std::string& folder, const std::string& option) {
    if (folder.empty()) throw UsageError(option + " needs a folder name");
    std::error_code ec;
    const fs::file_status st = fs::status(folder, ec);
    if (st.type() != fs::file_type::not_found && st.type() != fs::file_type::directory) {
        throw UsageError(fmt::format("{} '{}' is {}, not a folder", option, folder, kind_of(st.type())));
    }
    check_folder_writable(folder, option, folder);
}

std::vector<std::string> write_each(const std::vector<std::function<void()>>& writes) {
    std::vector<std::string> failed;
    for (const auto& write : writes) {
        try {
            write();
        } catch (const std::exception& e) {
            failed.emplace_back(e.what());
        }
    }
    return failed;
}

// Declared in report.hpp. The text goes to an unnamed file (O_TMPFILE) that only gets a
// name once complete, and then replaces the target by a rename: a kill at any moment
// leaves either the old file or the new one, never a part, and no temporary behind.
void write_file_atomically(const std::string& path, const std::string& text) {
    const fs::path target = output_target(path);
    std::error_code ec;
    const fs::file_status st = fs::status(target, ec);
    if (st.type() != fs::file_type::not_found && st.type() != fs::file_type::regular) {
        throw Error(fmt::format("cannot write '{}': it is {}; s2sim writes results only over a regular file", path,
                                kind_of(st.type())));
    }
    // Like --csv's folder, the folder of a --json file is created when missing.
    const fs::path folder = folder_of(target);
    fs::create_directories(folder, ec);
    if (ec) throw Error("cannot create folder '" + folder.string() + "': " + ec.message());
    remove_stale_temporaries(folder, target);
    const auto fail = [&path](int error) { return Error(fmt::format("cannot write '{}': {}", path, std::strerror(error))); };

    const std::string named = (folder / temporary_name(target, ::getpid())).string();
    TemporaryFile tmp;
#ifdef O_TMPFILE
    tmp.fd = ::open(folder.c_str(), O_WRONLY | O_TMPFILE | O_CLOEXEC, 0666);
#endif
    const bool unnamed = tmp.fd >= 0;
    if (!unnamed) {
        tmp.fd = ::open(named.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (tmp.fd < 0) throw fail(errno);
        tmp.name = named;
    }
    if (!write_all(tmp.fd, text)) throw fail(errno);
    if (unnamed) {
        // Give the finished file a name (linkat through /proc needs no privilege), then rename it.
        const std::string self = fmt::format("/proc/self/fd/{}", tmp.fd);
        ::unlink(named.c_str());
        if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, named.c_str(), AT_SYMLINK_FOLLOW) != 0) {
            // No /proc: write the text again under the temporary name.
            ::close(tmp.fd);
            tmp.fd = ::open(named.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
            if (tmp.fd < 0) throw fail(errno);
            tmp.name = named;
            if (!write_all(tmp.fd, text)) throw fail(errno);
        }
        tmp.name = named;
    }
    if (::close(tmp.fd) != 0) {
        tmp.fd = -1;
        throw fail(errno);
    }
    tmp.fd = -1;
    if (::rename(named.c_str(), target.c_str()) != 0) throw fail(errno);
    tmp.name.clear();  // renamed: nothing to remove
}

}  // namespace s2sim::scenario

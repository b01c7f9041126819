// Finding COLMAP, reading its progress, running its stages.
#include "glint/capture/colmap.h"

#include <charconv>
#include <deque>
#include <fstream>

#include <csignal>

#include "glint/core/error.h"
#include "glint/core/text.h"
#include "subprocess.h"

namespace glint::capture {
namespace {

// The integer at the start of `text`, advancing past it; nullopt when there is none.
std::optional<long> take_number(std::string_view& text) {
    long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end == text.data()) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return value;
}

bool take(std::string_view& text, std::string_view prefix) {
    if (!text.starts_with(prefix)) return false;
    text.remove_prefix(prefix.size());
    return true;
}

// "[i/N" after `prefix`: i and N.
std::optional<StageProgress> bracketed(std::string_view line, std::string_view prefix) {
    const std::size_t at = line.find(prefix);
    if (at == std::string_view::npos) return std::nullopt;
    line.remove_prefix(at + prefix.size());
    if (!take(line, "[")) return std::nullopt;
    const auto done = take_number(line);
    if (!done || !take(line, "/")) return std::nullopt;
    const auto total = take_number(line);
    if (!total || *total <= 0) return std::nullopt;
    return StageProgress{*done, *total};
}

}  // namespace

std::optional<Colmap> find_colmap(const std::string& program) {
    Colmap colmap;
    colmap.executable = program.empty() ? "colmap" : program;
    std::vector<std::string> lines;
    const ProcessResult result = run_process({colmap.executable.string(), "help"},
                                             [&](std::string_view line) { lines.emplace_back(line); });
    if (!result.started || result.exit_code != 0) return std::nullopt;
    for (const std::string& line : lines) {
        const std::size_t at = line.find("COLMAP");
        if (at == std::string::npos) continue;
        if (colmap.version.empty()) colmap.version = line.substr(at);
        if (line.find("with CUDA") != std::string::npos) colmap.cuda = true;
    }
    if (colmap.version.empty()) return std::nullopt;
    return colmap;
}

std::optional<StageProgress> parse_progress(std::string_view line, long images) {
    if (auto p = bracketed(line, "Processed file ")) return p;
    if (auto p = bracketed(line, "Matching image ")) return p;
    if (auto p = bracketed(line, "Undistorting image ")) return p;
    if (const std::size_t at = line.find("Matching block ["); at != std::string_view::npos) {
        std::string_view rest = line.substr(at + 16);
        const auto i = take_number(rest);
        if (!i || !take(rest, "/")) return std::nullopt;
        const auto blocks = take_number(rest);
        if (!blocks || *blocks <= 0 || !take(rest, ", ")) return std::nullopt;
        const auto j = take_number(rest);
        if (!j) return std::nullopt;
        return StageProgress{(*i - 1) * *blocks + *j, *blocks * *blocks};
    }
    if (images > 0) {
        if (line.find("Initializing with image pair") != std::string_view::npos)
            return StageProgress{2, images};
        if (const std::size_t at = line.find("Registering image #"); at != std::string_view::npos) {
            const std::size_t open = line.find('(', at);
            if (open == std::string_view::npos) return std::nullopt;
            std::string_view rest = line.substr(open + 1);
            if (const auto k = take_number(rest)) return StageProgress{*k, images};
        }
    }
    return std::nullopt;
}

std::optional<long> parse_feature_count(std::string_view line) {
    const std::size_t at = line.find("Features:");
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view rest = line.substr(at + 9);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return take_number(rest);
}

bool is_problem_line(std::string_view line) {
    const bool glog =
        line.size() > 5 && (line[0] == 'E' || line[0] == 'F') && line[1] >= '0' && line[1] <= '9';
    return glog || line.find("ERROR") != std::string_view::npos ||
           line.find("Check failed") != std::string_view::npos ||
           line.find("No good initial image pair") != std::string_view::npos ||
           line.find("Could not") != std::string_view::npos;
}

void run_stage(const Colmap& colmap, const std::string& stage, const std::vector<std::string>& args,
               const std::filesystem::path& log_file, long images,
               const std::function<void(const StageProgress&)>& on_progress,
               const std::function<void(std::string_view)>& on_line) {
    std::ofstream log(log_file, std::ios::app);
    if (!log) throw Error(cat(log_file.string(), ": cannot write the COLMAP log"));
    std::vector<std::string> argv{colmap.executable.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    log << "\n$";
    for (const std::string& a : argv) log << ' ' << a;
    log << '\n';
    std::deque<std::string> last, problems;
    const ProcessResult result = run_process(argv, [&](std::string_view line) {
        log << line << '\n';
        if (on_line) on_line(line);
        if (const auto progress = parse_progress(line, images); progress && on_progress)
            on_progress(*progress);
        if (line.find_first_not_of(" =") == std::string_view::npos) return;
        last.emplace_back(line);
        if (last.size() > 3) last.pop_front();
        if (is_problem_line(line)) {
            problems.emplace_back(line);
            if (problems.size() > 3) problems.pop_front();
        }
    });
    log.flush();
    if (!result.started)
        throw Error(cat(stage, " failed: cannot run ", colmap.executable.string(), " (", result.error, ")"));
    if (result.exit_code == 0) return;
    std::string quoted;
    for (const std::string& line : problems.empty() ? last : problems) quoted += cat("\n  colmap: ", line);
    const std::string status = result.signal != 0 ? cat("ended by signal ", result.signal,
                                                        result.signal == SIGINT ? " (interrupted)" : "")
                                                  : cat("exit status ", result.exit_code);
    throw Error(cat(stage, " failed (COLMAP ", args.front(), ", ", status, "; its whole output is in ",
                    log_file.string(), ")", quoted));
}

}  // namespace glint::capture

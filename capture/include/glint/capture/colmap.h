// The COLMAP program (Debian's colmap package, or any build on PATH) run stage by stage: found and
// identified, each stage's progress read from what it prints, failures turned into errors that name
// the stage and quote COLMAP.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glint::capture {

struct Colmap {
    std::filesystem::path executable;
    std::string version;  // the first line of `colmap help`, e.g. "COLMAP 3.8 -- Structure-from-Motion ..."
    bool cuda = false;    // built with CUDA: SIFT extraction and matching can run on the GPU
};

// `program` when given (a path or a name on PATH), else `colmap` on PATH; nullopt when it cannot be run
// or does not answer as COLMAP.
std::optional<Colmap> find_colmap(const std::string& program = {});

// How far a stage has come, in the stage's own units (images, or matching blocks).
struct StageProgress {
    long done = 0, total = 0;
};

// Reads progress from one line COLMAP prints: "Processed file [i/N]" (feature extraction), "Matching
// block [i/B, j/B]" (exhaustive matching: block (i, j) of B x B), "Matching image [i/N]" (sequential
// matching), "Registering image #id (k)" and "Initializing with image pair" (mapping: k of `images`
// registered), "Undistorting image [i/N]". nullopt for any other line.
std::optional<StageProgress> parse_progress(std::string_view line, long images);

// Whether a line of COLMAP's output reports a problem (glog's "E..."/"F..." lines, "ERROR", "Check
// failed", and the mapper's "No good initial image pair found").
bool is_problem_line(std::string_view line);

// Runs `colmap` with `args` (the command first), appending everything it prints to `log_file` and
// calling `on_progress` as parse_progress reads it, and `on_line` with every line. Throws Error "STAGE
// failed: ..." with COLMAP's exit status and its last problem lines (or last lines) when it does not exit
// with 0.
void run_stage(const Colmap& colmap, const std::string& stage, const std::vector<std::string>& args,
               const std::filesystem::path& log_file, long images,
               const std::function<void(const StageProgress&)>& on_progress,
               const std::function<void(std::string_view)>& on_line = {});

// The feature count of a feature_extractor line ("  Features:        180"), or nullopt.
std::optional<long> parse_feature_count(std::string_view line);

}  // namespace glint::capture

// From a capture (a folder of photos or a video) to a posed-image dataset, through COLMAP: frames
// picked from the video, photos downsized, SIFT features extracted and matched, the incremental mapper,
// and the images undistorted onto pinhole cameras. The dataset is a COLMAP one (images/ and sparse/0)
// that `glint train` and other 3DGS tools read; the distorted model, COLMAP's database and its log are
// kept under distorted/, and process.json records what was asked and what came out.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "glint/capture/frames.h"

namespace glint::capture {

enum class Matcher {
    Auto,        // sequential for video frames, exhaustive for photos
    Exhaustive,  // every pair of images: small sets, any order
    Sequential,  // each image with its neighbours in name order: video, ordered captures
};

struct ProcessOptions {
    std::filesystem::path input;   // a folder of photos (jpg/png) or a video file
    std::filesystem::path output;  // the dataset folder to create
    Matcher matcher = Matcher::Auto;
    FrameOptions frames;                  // video input: frame rate, frame limit (their max_size is ignored)
    int max_size = 0;                     // longer side limit for photos and frames in pixels (0: keep)
    std::string camera_model = "OPENCV";  // COLMAP's model for the lens (PINHOLE, SIMPLE_RADIAL, OPENCV, ...)
    bool single_camera = true;            // one camera for every image (one device, fixed zoom)
    bool use_gpu = true;                  // GPU SIFT when COLMAP was built with CUDA
    // SIFT's peak threshold (0: COLMAP's 0.0067, and 0.002 when that finds under 1,000 features in the
    // median image, as small or smooth images do).
    double sift_peak_threshold = 0.0;
    int threads = 0;         // COLMAP's threads (0: every core)
    std::string colmap;      // the program (empty: colmap on PATH)
    bool overwrite = false;  // replace an existing output (only once the new one is complete)
};

struct ProcessSummary {
    std::string colmap_version;
    bool gpu = false;            // SIFT ran on the GPU
    std::string matcher;         // "exhaustive" or "sequential"
    std::size_t images = 0;      // given to COLMAP
    std::size_t registered = 0;  // posed by the mapper (in the model kept)
    std::size_t models = 0;      // models the mapper made (it splits captures it cannot join)
    std::size_t points = 0;
    double reprojection_error = 0.0;  // mean over every observation, pixels
    double mean_track_length = 0.0;
    long median_features = 0;        // SIFT features of the median image
    std::vector<std::string> notes;  // what was done beyond the plain stages (a second extraction)
    std::vector<std::pair<std::string, double>> stages;  // each stage's name and seconds
};

struct ProcessEvents {
    std::function<void(const std::string& stage)> started;
    std::function<void(const std::string& stage, long done, long total)> progress;
    std::function<void(const std::string& stage, double seconds, const std::string& result)> finished;
};

// Runs every stage into OUTPUT.partial and renames it to OUTPUT when all succeeded, so a failure leaves
// any previous OUTPUT as it was (and the partial folder, with COLMAP's log, for inspection). Throws
// InputError for bad input (missing, fewer than 3 images, an unreadable video, OUTPUT existing without
// `overwrite`) and Error naming the stage for COLMAP missing or failing, or registering no image.
ProcessSummary process_capture(const ProcessOptions& options, const ProcessEvents& events = {});

// Whether `path` is a capture rather than a dataset: a video file, or a folder holding photos and no
// transforms.json or COLMAP model.
bool is_capture(const std::filesystem::path& path);

// Whether `options.output` holds a complete dataset made from `options.input` with the same settings
// (its process.json says so), so it can be used again instead of running COLMAP.
bool is_processed(const ProcessOptions& options);

}  // namespace glint::capture

// The capture-to-dataset pipeline: images prepared, COLMAP's stages run, the best model kept and
// undistorted, the result moved into place.
#include "glint/capture/process.h"

#include <algorithm>
#include <chrono>
#include <fstream>

#include <nlohmann/json.hpp>

#include "glint/capture/colmap.h"
#include "glint/core/camera_io.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/text.h"
#include "glint/core/version.h"

namespace glint::capture {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr long kFewFeatures = 1000;
constexpr const char* kDefaultPeakThreshold = "0.0067";  // COLMAP's 0.02 / 3 octave resolution
constexpr const char* kLowPeakThreshold = "0.002";

const char* matcher_name(Matcher matcher) {
    return matcher == Matcher::Sequential ? "sequential" : "exhaustive";
}

// What process.json records of the request, compared by is_processed.
Json request_json(const ProcessOptions& o) {
    std::error_code error;
    const fs::path input = fs::weakly_canonical(o.input, error);
    return Json{{"input", (error ? o.input : input).string()},
                {"matcher", o.matcher == Matcher::Auto ? "auto" : matcher_name(o.matcher)},
                {"sift_peak_threshold", o.sift_peak_threshold},
                {"frame_rate", o.frames.rate},
                {"max_frames", o.frames.max_frames},
                {"max_size", o.max_size},
                {"camera_model", o.camera_model},
                {"single_camera", o.single_camera}};
}

class StageClock {
public:
    StageClock(const ProcessEvents& events, ProcessSummary& summary, std::string name)
        : m_events(events),
          m_summary(summary),
          m_name(std::move(name)),
          m_start(std::chrono::steady_clock::now()) {
        if (m_events.started) m_events.started(m_name);
    }
    void progress(long done, long total) const {
        if (m_events.progress) m_events.progress(m_name, done, total);
    }
    void finish(const std::string& result) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
        m_summary.stages.emplace_back(m_name, seconds);
        if (m_events.finished) m_events.finished(m_name, seconds, result);
    }
    const std::string& name() const { return m_name; }

private:
    const ProcessEvents& m_events;
    ProcessSummary& m_summary;
    std::string m_name;
    std::chrono::steady_clock::time_point m_start;
};

// The images COLMAP reads: where they are and their names relative to that folder.
struct ImageSet {
    fs::path folder;
    std::vector<std::string> names;
    bool video = false;
};

ImageSet prepare_video(const ProcessOptions& o, const fs::path& staging, const ProcessEvents& events,
                       ProcessSummary& summary) {
    StageClock stage(events, summary, "frame extraction");
    FrameOptions frames = o.frames;
    frames.max_size = o.max_size;
    const ExtractedFrames extracted =
        extract_frames(o.input, staging / "input", frames, [&](std::int64_t done, std::int64_t total) {
            if (done % 8 == 0) stage.progress(static_cast<long>(done), static_cast<long>(total));
        });
    ImageSet set{staging / "input", {}, true};
    for (const fs::path& file : extracted.files) set.names.push_back(file.filename().string());
    stage.finish(cat(set.names.size(), " frames kept of ", extracted.decoded, " (", extracted.info.width, "x",
                     extracted.info.height, " ", extracted.info.codec, ", the sharpest of every ",
                     fixed(extracted.window, 2), " s)"));
    return set;
}

ImageSet prepare_photos(const ProcessOptions& o, const fs::path& staging, const ProcessEvents& events,
                        ProcessSummary& summary) {
    const std::vector<fs::path> photos = list_photos(o.input);
    if (photos.size() < 3)
        throw InputError(cat(o.input.string(), ": ", photos.size(),
                             " photos (jpg, jpeg or png); COLMAP needs at least 3 overlapping photos"));
    ImageSet set{o.input, {}, false};
    for (const fs::path& photo : photos) set.names.push_back(photo.filename().string());
    if (o.max_size <= 0) return set;
    bool any_larger = false;
    for (const fs::path& photo : photos) {
        const ImageSize size = read_image_size(photo);
        any_larger = any_larger || std::max(size.width, size.height) > o.max_size;
    }
    if (!any_larger) return set;
    StageClock stage(events, summary, "downsizing");
    fs::create_directories(staging / "input");
    for (std::size_t i = 0; i < photos.size(); ++i) {
        Image8 image = read_image8(photos[i], 3);
        limit_size(image.pixels, image.width, image.height, o.max_size);
        const fs::path out = staging / "input" / set.names[i];
        const std::string ext = to_lower(out.extension().string());
        if (ext == ".png")
            write_png(out, image.width, image.height, 3, image.pixels);
        else
            write_jpeg(out, image.width, image.height, image.pixels, 95);
        stage.progress(static_cast<long>(i + 1), static_cast<long>(photos.size()));
    }
    set.folder = staging / "input";
    stage.finish(cat(photos.size(), " photos to at most ", o.max_size, " pixels"));
    return set;
}

// The mapper's models (sparse/0, sparse/1, ...) with their image counts, largest first.
std::vector<std::pair<fs::path, std::size_t>> mapper_models(const fs::path& sparse) {
    std::vector<std::pair<fs::path, std::size_t>> models;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(sparse, error)) {
        if (!entry.is_directory() || !fs::exists(entry.path() / "cameras.bin")) continue;
        models.emplace_back(entry.path(), load_cameras(entry.path(), Distortion::Keep).cameras.size());
    }
    std::stable_sort(models.begin(), models.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    return models;
}

// COLMAP's image_undistorter writes sparse/*.bin, stereo/ and two scripts for its dense stage; glint keeps
// the model in sparse/0, as readers of COLMAP datasets expect, and nothing else.
void tidy_undistorted(const fs::path& root) {
    fs::create_directories(root / "sparse" / "0");
    for (const char* name : {"cameras.bin", "images.bin", "points3D.bin"})
        fs::rename(root / "sparse" / name, root / "sparse" / "0" / name);
    fs::remove_all(root / "stereo");
    fs::remove(root / "run-colmap-geometric.sh");
    fs::remove(root / "run-colmap-photometric.sh");
}

void run_colmap_stages(const Colmap& colmap, const ProcessOptions& o, const ImageSet& images,
                       const fs::path& staging, const ProcessEvents& events, ProcessSummary& summary) {
    const fs::path distorted = staging / "distorted";
    const fs::path database = distorted / "database.db";
    const fs::path log = distorted / "colmap.log";
    const fs::path list = distorted / "images.txt";
    fs::create_directories(distorted / "sparse");
    {
        std::ofstream out(list);
        for (const std::string& name : images.names) out << name << '\n';
        if (!out) throw Error(cat(list.string(), ": cannot write"));
    }
    const long count = static_cast<long>(images.names.size());
    const std::string gpu = summary.gpu ? "1" : "0";
    const std::string threads = std::to_string(o.threads > 0 ? o.threads : -1);
    const auto run = [&](StageClock& stage, const std::vector<std::string>& args,
                         const std::function<void(std::string_view)>& on_line = {}) {
        run_stage(
            colmap, stage.name(), args, log, count,
            [&](const StageProgress& p) { stage.progress(p.done, p.total); }, on_line);
    };
    {
        // COLMAP's SIFT thresholds suit large photos; small or smooth images give too few features to pose
        // (a few hundred each), and a lower peak threshold with a laxer edge threshold finds several times
        // more. So: extract, and when the median image has under kFewFeatures, extract again with those.
        StageClock stage(events, summary, "feature extraction");
        std::vector<long> features;
        const auto extract = [&](const std::string& peak_threshold, const std::string& edge_threshold) {
            features.clear();
            fs::remove(database);
            run(stage,
                {"feature_extractor", "--database_path", database.string(), "--image_path",
                 images.folder.string(), "--image_list_path", list.string(), "--ImageReader.camera_model",
                 o.camera_model, "--ImageReader.single_camera", o.single_camera ? "1" : "0",
                 "--SiftExtraction.use_gpu", gpu, "--SiftExtraction.num_threads", threads,
                 "--SiftExtraction.peak_threshold", peak_threshold, "--SiftExtraction.edge_threshold",
                 edge_threshold},
                [&](std::string_view line) {
                    if (const auto n = parse_feature_count(line)) features.push_back(*n);
                });
            std::sort(features.begin(), features.end());
            return features.empty() ? 0L : features[features.size() / 2];
        };
        std::string threshold =
            o.sift_peak_threshold > 0 ? cat(o.sift_peak_threshold) : kDefaultPeakThreshold;
        long median = extract(threshold, "10");
        if (median < kFewFeatures && o.sift_peak_threshold <= 0) {
            const long before = median;
            threshold = kLowPeakThreshold;
            median = extract(threshold, "20");
            summary.notes.push_back(cat("a median of ", before,
                                        " SIFT features per image is few: extracted again with "
                                        "peak threshold ",
                                        threshold, " and edge threshold 20 (", median, ")"));
        }
        summary.median_features = median;
        stage.finish(cat(count, " images, ", o.camera_model, summary.gpu ? ", GPU SIFT" : ", CPU SIFT",
                         ", a median of ", median, " features (peak threshold ", threshold, ")"));
    }
    {
        StageClock stage(events, summary, "feature matching");
        const std::string command =
            summary.matcher == "sequential" ? "sequential_matcher" : "exhaustive_matcher";
        run(stage, {command, "--database_path", database.string(), "--SiftMatching.use_gpu", gpu,
                    "--SiftMatching.num_threads", threads});
        stage.finish(summary.matcher);
    }
    fs::path model;
    {
        StageClock stage(events, summary, "mapping");
        run(stage, {"mapper", "--database_path", database.string(), "--image_path", images.folder.string(),
                    "--output_path", (distorted / "sparse").string(), "--Mapper.num_threads", threads});
        const auto models = mapper_models(distorted / "sparse");
        if (models.empty())
            throw Error(
                cat("mapping failed: COLMAP registered no images (the photos need more overlap and texture; "
                    "its output is in ",
                    log.string(), ")"));
        model = models.front().first;
        summary.models = models.size();
        summary.registered = models.front().second;
        stage.finish(cat(summary.registered, " of ", count, " images registered",
                         models.size() > 1 ? cat(" (the largest of ", models.size(), " models)") : ""));
    }
    {
        StageClock stage(events, summary, "undistortion");
        run(stage, {"image_undistorter", "--image_path", images.folder.string(), "--input_path",
                    model.string(), "--output_path", staging.string(), "--output_type", "COLMAP"});
        tidy_undistorted(staging);
        stage.finish(cat(summary.registered, " images onto pinhole cameras"));
    }
    const PointCloud points = load_colmap_points(model);
    summary.points = points.size();
    double weighted = 0.0, observations = 0.0;
    for (std::size_t i = 0; i < points.errors.size(); ++i) {
        weighted += static_cast<double>(points.errors[i]) * points.track_lengths[i];
        observations += points.track_lengths[i];
    }
    summary.reprojection_error = observations > 0 ? weighted / observations : 0.0;
    summary.mean_track_length = points.size() > 0 ? observations / static_cast<double>(points.size()) : 0.0;
}

void write_record(const fs::path& file, const ProcessOptions& o, const ProcessSummary& s) {
    Json stages = Json::object();
    for (const auto& [name, seconds] : s.stages) stages[name] = seconds;
    const Json record{{"glint", kVersion},
                      {"request", request_json(o)},
                      {"colmap", s.colmap_version},
                      {"gpu_sift", s.gpu},
                      {"matcher", s.matcher},
                      {"images", s.images},
                      {"registered", s.registered},
                      {"models", s.models},
                      {"points", s.points},
                      {"reprojection_error", s.reprojection_error},
                      {"mean_track_length", s.mean_track_length},
                      {"median_features", s.median_features},
                      {"notes", s.notes},
                      {"seconds", stages}};
    std::ofstream out(file);
    out << record.dump(2) << '\n';
    if (!out) throw Error(cat(file.string(), ": cannot write"));
}

// Moves the finished staging folder to `output`, replacing an old one only after the new one is in place.
void move_into_place(const fs::path& staging, const fs::path& output) {
    if (!fs::exists(output)) {
        fs::rename(staging, output);
        return;
    }
    const fs::path old = fs::path(output.string() + ".old");
    fs::remove_all(old);
    fs::rename(output, old);
    fs::rename(staging, output);
    fs::remove_all(old);
}

}  // namespace

ProcessSummary process_capture(const ProcessOptions& o, const ProcessEvents& events) {
    if (!fs::exists(o.input)) throw InputError(cat(o.input.string(), ": no such folder or video"));
    const bool video = fs::is_regular_file(o.input);
    if (video && !is_video_file(o.input))
        throw InputError(
            cat(o.input.string(), ": not a folder of photos or a video (mp4 mov m4v mkv webm avi mts)"));
    if (o.output.empty()) throw InputError("process: name the dataset folder to create (-o DATASET)");
    if (fs::exists(o.output) && !o.overwrite)
        throw InputError(cat(o.output.string(), ": already exists (choose another folder, or --overwrite)"));
    const auto colmap = find_colmap(o.colmap);
    if (!colmap)
        throw Error(
            o.colmap.empty()
                ? "COLMAP not found: install it (apt-get install colmap, or tools/setup.sh) or name it "
                  "with --colmap PROGRAM"
                : cat(o.colmap, ": cannot run it as COLMAP (`", o.colmap, " help` failed)"));

    ProcessSummary summary;
    summary.colmap_version = colmap->version;
    summary.gpu = colmap->cuda && o.use_gpu;
    const fs::path output = o.output.has_filename() ? o.output : o.output.parent_path();
    const fs::path staging = fs::path(output.string() + ".partial");
    fs::remove_all(staging);
    fs::create_directories(staging);

    const ImageSet images =
        video ? prepare_video(o, staging, events, summary) : prepare_photos(o, staging, events, summary);
    if (images.names.size() < 3)
        throw InputError(cat(o.input.string(), ": ", images.names.size(),
                             " frames; COLMAP needs at least 3 (a longer video, or a higher --fps)"));
    summary.images = images.names.size();
    summary.matcher =
        o.matcher == Matcher::Auto ? (video ? "sequential" : "exhaustive") : matcher_name(o.matcher);
    run_colmap_stages(*colmap, o, images, staging, events, summary);
    write_record(staging / "process.json", o, summary);
    move_into_place(staging, output);
    return summary;
}

bool is_capture(const fs::path& path) {
    if (fs::is_regular_file(path)) return is_video_file(path);
    if (!fs::is_directory(path)) return false;
    if (fs::exists(path / "transforms.json") || fs::exists(path / "transforms_train.json")) return false;
    for (const fs::path& folder : {path, path / "sparse" / "0", path / "sparse"})
        if (fs::exists(folder / "cameras.bin") || fs::exists(folder / "cameras.txt")) return false;
    return !list_photos(path).empty();
}

bool is_processed(const ProcessOptions& options) {
    const fs::path record = options.output / "process.json";
    if (!fs::exists(record) || !fs::exists(options.output / "sparse" / "0")) return false;
    std::ifstream in(record);
    const Json json = Json::parse(in, nullptr, false);
    return !json.is_discarded() && json.contains("request") && json["request"] == request_json(options);
}

}  // namespace glint::capture

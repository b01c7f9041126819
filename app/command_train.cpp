// `glint train`: option parsing for the Gaussian and NeRF trainers, and the viewer beside training with
// --view; the loop itself is core's run_training().
#include <exception>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>

#include "commands.h"
#include "glint/capture/multiview_video.h"
#include "glint/core/collective.h"
#include "glint/core/dataset.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/core/training_session.h"
#include "glint/distributed/mpi.h"
#include "glint/nerf/model.h"
#include "glint/nerf/training_session.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/train/live_training.h"
#include "glint/splatting/train/session.h"
#include "view_options.h"
#include "viewer/viewer.h"

namespace glint::app {
namespace {

// The viewer's side of `glint train --view`: the loop's progress and Gaussians into splatting::LiveTraining.
class LiveObserver final : public TrainingObserver {
public:
    LiveObserver(splatting::LiveTraining& live, const splatting::GaussianTrainingSession& session)
        : m_live(live), m_session(session) {}
    const char* name() const override { return "the viewer"; }
    bool keep_going() override { return m_live.keep_going(); }
    bool save_on_stop() const override { return m_live.save_on_stop(); }
    void stepped(const TrainingProgressValues& p) override {
        m_live.progress(p.iteration, p.iterations, p.loss, p.psnr, p.rate, p.seconds, p.size);
        if (m_live.publish_due(p.seconds)) m_live.publish(m_session.cloud(), p.seconds);
    }
    void tested(int iteration, double psnr) override { m_live.tested(iteration, psnr); }
    void finished(bool completed, const std::string& status) override {
        if (completed) m_live.publish(m_session.cloud(), 0.0, true);
        m_live.finish(splatting::TrainingState::Completed, status);
    }

private:
    splatting::LiveTraining& m_live;
    const splatting::GaussianTrainingSession& m_session;
};

struct TrainCommandOptions {
    std::string dataset, output, background = "auto", backend = "cpu", csv, resume, checkpoint, init = "auto",
                                 model = "auto", densify = "adc";
    int iterations = 0, eval_every = 0, downscale = 1, sh_degree = 3, test_every = 8, checkpoint_every = 0;
    std::uint64_t seed = 1;
    std::size_t random_count = 50'000;
    std::size_t max_gaussians = 0;  // 0: ADC 3,000,000; MCMC one per pixel of a training view
    bool random_background = false, profile = false, view = false, appearance = false;
    int view_frames = 0;
    // Schedule overrides (0: fitted to the run's length, fit_schedule).
    int densify_from = 0, densify_until = 0, densify_interval = 0, opacity_reset_every = 0, sh_interval = 0;
    float densify_threshold = 0.0f;
    int time_color_degree = 0;
    int batch_views = 1;
    bool batch_views_given = false;
    std::string view_screenshot;
    // NeRF.
    int hash_levels = 16, hash_log2 = 19, nerf_steps = 1024, occupancy_resolution = 128,
        batch_samples = 1 << 16;
    float hash_max_resolution = 2048.0f, lr = 1e-2f;
    // Photos or a video: posed by COLMAP first, into `processed` (default: beside the output).
    capture::ProcessOptions capture;
    std::string processed;
};

void add_general_options(CLI::App& command, TrainCommandOptions& o) {
    command
        .add_option("DATASET", o.dataset,
                    "Dataset folder (COLMAP model + images, or transforms.json), a transforms.json, or a "
                    "folder of photos or a video to pose with COLMAP first (as glint process does)")
        ->required();
    command.add_option("-o,--output", o.output, "Trained scene (.ply, .splat or .spz; .nerf for a NeRF)")
        ->required();
    command
        .add_option("--model", o.model,
                    "gaussians (3D), gaussians4d (4D: space-time), or nerf (default: nerf for a .nerf "
                    "output; gaussians4d when the views carry several times, a video; gaussians otherwise)")
        ->check(CLI::IsMember({"auto", "gaussians", "gaussians4d", "nerf"}));
    command.add_option("--iters", o.iterations, "Iterations (default 7000 for Gaussians, 3000 for a NeRF)")
        ->check(CLI::Range(1, 10'000'000));
    command
        .add_option("--eval-every", o.eval_every,
                    "Evaluate PSNR/SSIM on the test views every K iterations (0: at the end)")
        ->check(CLI::NonNegativeNumber);
    command.add_option("--csv", o.csv, "Write the evaluation curve here (default: beside the output, .csv)");
    command.add_option("--downscale", o.downscale, "Integer image downscale factor")
        ->check(CLI::Range(1, 64));
    command.add_option(
        "--background", o.background,
        "Background behind the renders and RGBA images: white, black, r,g,b, or learn (a colour "
        "learnt with the scene, for photos without alpha: a backdrop, a sky); default auto: learn for "
        "photos without alpha, else white");
    command.add_flag("--random-background", o.random_background,
                     "A random background behind RGBA images: per step (Gaussians), per ray (NeRF)");
    command.add_option("--sh-degree", o.sh_degree, "Highest SH degree (raised by one every 1000 iterations)")
        ->check(CLI::Range(0, 3));
    command
        .add_option("--test-every", o.test_every,
                    "Hold out every Nth view when the dataset has no test split (0: none)")
        ->check(CLI::NonNegativeNumber);
    command.add_option("--seed", o.seed, "Random seed (training is deterministic for a seed)");
    command
        .add_option(
            "--init", o.init,
            "Initial Gaussians: auto (sparse points when the dataset has them, else random), points, "
            "random (in a box when the cameras surround an object, else in their frustums), box, frustums")
        ->check(CLI::IsMember({"auto", "points", "random", "box", "frustums"}));
    command.add_option("--init-count", o.random_count,
                       "Random initial Gaussians when the dataset has no sparse points");
    command.add_option("--backend", o.backend, "cpu or cuda");
    command.add_option("--checkpoint", o.checkpoint, "Checkpoint file (default: beside the output, .ckpt)");
    command.add_option("--checkpoint-every", o.checkpoint_every, "Also save a checkpoint every K iterations")
        ->check(CLI::NonNegativeNumber);
    command.add_option(
        "--resume", o.resume,
        "Continue from a checkpoint (same dataset and options); Ctrl-C saves one before exiting");
    command.add_flag("--view", o.view,
                     "Train on a worker thread while the viewer shows the Gaussians as they change, with "
                     "pause, resume, stop and the curves in its panel (closing the window stops and saves)");
    command.add_option("--view-frames", o.view_frames,
                       "With --view: close the viewer after this many frames (scripted runs)");
    command.add_option("--view-screenshot", o.view_screenshot,
                       "With --view-frames: write the last frame to this PNG");
    command.add_flag(
        "--profile", o.profile,
        "Print where the time went (Gaussians: load, forward, loss, backward, optimizer, densify; "
        "NeRF: marching, encoding, MLP, compositing, optimizer, occupancy)");
}

void add_gaussian_options(CLI::App& command, TrainCommandOptions& o) {
    command.add_flag("--appearance", o.appearance,
                     "Gaussians: fit a colour correction (gain and bias per channel) to each training photo "
                     "at every step, left out of renders: for exposure or white balance that changed "
                     "between photos");
    command
        .add_option("--max-gaussians", o.max_gaussians,
                    "Gaussian budget: densification stops growing past it, the largest gradients first; "
                    "more initial points than this start from a random subset (default 3,000,000; with "
                    "--densify mcmc the count it grows to, by default one per pixel of a training view)")
        ->check(CLI::PositiveNumber);
    command
        .add_option("--densify-from", o.densify_from,
                    "Gaussians: first densification (default: 500 at 30,000 iterations, scaled to --iters)")
        ->check(CLI::PositiveNumber);
    command
        .add_option("--densify-until", o.densify_until,
                    "Gaussians: last densification (default: half of --iters)")
        ->check(CLI::PositiveNumber);
    command
        .add_option("--densify-every", o.densify_interval,
                    "Gaussians: iterations between densifications (default: 100 at 30,000 iterations, "
                    "scaled, and at least the training views up to 100)")
        ->check(CLI::PositiveNumber);
    command
        .add_option("--opacity-reset-every", o.opacity_reset_every,
                    "Gaussians: iterations between opacity resets while densifying (default: 3000 at "
                    "30,000 iterations, scaled)")
        ->check(CLI::PositiveNumber);
    command
        .add_option("--densify-threshold", o.densify_threshold,
                    "Gaussians: mean screen-space gradient (normalized device units) above which a "
                    "Gaussian is cloned or split (default 0.0002)")
        ->check(CLI::PositiveNumber);
    command
        .add_option("--sh-interval", o.sh_interval,
                    "Gaussians: iterations between SH degree increases (default: 1000 at 30,000 "
                    "iterations, scaled)")
        ->check(CLI::PositiveNumber);
    command
        .add_option(
            "--batch-views", o.batch_views,
            "Gaussians: training views per step, their losses averaged (default 1; under mpirun, one per "
            "rank)")
        ->check(CLI::Range(1, 64))
        ->each([&o](const std::string&) { o.batch_views_given = true; });
    command
        .add_option("--time-color-degree", o.time_color_degree,
                    "4D Gaussians: time frequencies of the colour (0 to 2; default 0, colour constant "
                    "over a Gaussian's life)")
        ->check(CLI::Range(0, 2));
    command
        .add_option("--densify", o.densify,
                    "Gaussians: adc (clone, split, prune, opacity resets: the reference) or mcmc (relocate "
                    "transparent Gaussians onto opaque ones and grow 5% per round up to --max-gaussians)")
        ->check(CLI::IsMember({"adc", "mcmc"}));
}

void add_nerf_options(CLI::App& command, TrainCommandOptions& o) {
    command.add_option("--hash-levels", o.hash_levels, "NeRF: hash encoding levels (default 16)")
        ->check(CLI::Range(1, 32));
    command
        .add_option("--hash-table-log2", o.hash_log2,
                    "NeRF: log2 of the hash table size per level (default 19)")
        ->check(CLI::Range(10, 24));
    command
        .add_option("--hash-max-resolution", o.hash_max_resolution,
                    "NeRF: finest grid resolution over the scene box (default 2048)")
        ->check(CLI::Range(32.0f, 65536.0f));
    command
        .add_option("--nerf-steps", o.nerf_steps,
                    "NeRF: ray-marching steps across the scene box's diagonal (default 1024)")
        ->check(CLI::Range(16, 8192));
    command
        .add_option("--occupancy-resolution", o.occupancy_resolution,
                    "NeRF: occupancy grid cells per axis (default 128)")
        ->check(CLI::Range(8, 512));
    command
        .add_option("--batch-samples", o.batch_samples,
                    "NeRF: samples per step (the ray count adapts; default 65536)")
        ->check(CLI::Range(1024, 1 << 24));
    command.add_option("--lr", o.lr, "NeRF: Adam's learning rate (default 1e-2)")
        ->check(CLI::Range(1e-6f, 1.0f));
}

// The Gaussian or NeRF training session the options ask for; `gaussians` points at it when it trains
// Gaussians (the live viewer shows them).
std::unique_ptr<TrainingSession> make_session(const TrainCommandOptions& o, const Dataset& dataset, bool nerf,
                                              bool temporal, int iterations,
                                              const splatting::GaussianTrainingSession*& gaussians,
                                              Collective* ranks) {
    // --background learn, or auto (the default) for photos without alpha (the first view decides).
    const bool learn_background =
        o.background == "learn" ||
        (o.background == "auto" && dataset.load_image(dataset.train.front()).alpha.empty());
    std::unique_ptr<TrainingSession> run;
    gaussians = nullptr;
    if (nerf) {
        nerf::HashGridConfig grid;
        grid.levels = o.hash_levels;
        grid.log2_table_size = o.hash_log2;
        grid.max_resolution = o.hash_max_resolution;
        nerf::NerfConfig config = nerf::config_for(dataset, grid);
        config.steps = o.nerf_steps;
        config.occupancy_resolution = o.occupancy_resolution;
        nerf::NerfTrainOptions options;
        options.iterations = iterations;
        options.seed = o.seed;
        options.batch_samples = o.batch_samples;
        options.lr = o.lr;
        options.lr_final = o.lr;
        options.random_background = o.random_background;
        options.learn_background = learn_background;
        if (parse_backend(o.backend) == Backend::Cuda)
            throw InputError("NeRF training runs on the CPU; --backend cuda trains Gaussians only");
        run = std::make_unique<nerf::NerfTrainingSession>(dataset, config, options);
        log::info("NeRF: scene box centre (", config.centre.x, ", ", config.centre.y, ", ", config.centre.z,
                  "), half size ", config.half_size, ", ", config.cascades, " cascade(s); hash grid ",
                  grid.levels, " levels of 2^", grid.log2_table_size, " entries, finest resolution ",
                  nerf::scaled_grid_config(config).max_resolution);
    } else {
        splatting::TrainOptions options;
        options.iterations = iterations;
        options.seed = o.seed;
        options.sh_degree = o.sh_degree;
        options.random_count = o.random_count;
        const auto& first = dataset.train.front().camera;
        const std::size_t pixels = static_cast<std::size_t>(first.width) * first.height;
        options.max_gaussians = o.max_gaussians > 0   ? o.max_gaussians
                                : o.densify == "mcmc" ? std::min<std::size_t>(pixels, 3'000'000)
                                                      : 3'000'000;
        using Init = splatting::TrainOptions::Init;
        using Layout = splatting::TrainOptions::Layout;
        options.init = o.init == "points" ? Init::Points : o.init == "auto" ? Init::Auto : Init::Random;
        options.random_layout = o.init == "box"        ? Layout::Box
                                : o.init == "frustums" ? Layout::Frustums
                                                       : Layout::Auto;
        options.backend = parse_backend(o.backend);
        options.random_background = o.random_background;
        options.learn_background = learn_background;
        options.appearance = o.appearance;
        options.temporal = temporal;
        options.time_color_degree = o.time_color_degree;
        options.batch_views = o.batch_views;
        options.collective = ranks;
        options.densify = o.densify == "mcmc" ? splatting::TrainOptions::Densify::Mcmc
                                              : splatting::TrainOptions::Densify::Adc;
        splatting::fit_schedule(options, iterations, dataset.train.size());
        if (o.densify_from > 0) options.densify_from = o.densify_from;
        if (o.densify_until > 0) options.densify_until = o.densify_until;
        if (o.densify_interval > 0) options.densify_interval = o.densify_interval;
        if (o.opacity_reset_every > 0) options.opacity_reset_interval = o.opacity_reset_every;
        if (o.densify_threshold > 0) options.densify_grad_threshold = o.densify_threshold;
        if (o.sh_interval > 0) options.sh_interval = o.sh_interval;
        log::info("schedule: densify from ", options.densify_from, " to ", options.densify_until, " every ",
                  options.densify_interval, ", opacity reset every ", options.opacity_reset_interval,
                  ", SH degree up every ", options.sh_interval);
        auto session = std::make_unique<splatting::GaussianTrainingSession>(dataset, options);
        gaussians = session.get();
        run = std::move(session);
    }
    return run;
}

// `glint train --view`: training on a worker thread while the viewer shows its Gaussians.
int train_with_viewer(const TrainCommandOptions& o, TrainingSession& trainer,
                      const splatting::GaussianTrainingSession& gaussians,
                      const TrainingRunOptions& run_options) {
    splatting::LiveTraining shared;
    LiveObserver observer(shared, gaussians);
    shared.publish(gaussians.cloud(), 0.0, true);  // the viewer opens on the initial Gaussians
    int code = 0;
    std::exception_ptr failure;
    std::thread worker([&] {
        try {
            code = run_training(trainer, run_options, &observer);
        } catch (const std::exception& e) {
            failure = std::current_exception();
            shared.finish(splatting::TrainingState::Failed, cat("training failed: ", e.what()));
        } catch (...) {
            failure = std::current_exception();
            shared.finish(splatting::TrainingState::Failed, "training failed");
        }
    });
    ViewerOptions viewer;
    viewer.view.cameras = o.dataset;  // start from the dataset's first camera
    viewer.live = &shared;
    try {
        viewer.frames = o.view_frames;
        viewer.screenshot = o.view_screenshot;
        const int viewer_code = run_viewer(viewer);
        shared.request_stop(true);  // the window closed: stop and save what there is
        worker.join();
        if (failure) std::rethrow_exception(failure);
        return code != 0 ? code : viewer_code;
    } catch (...) {
        shared.request_stop(false);
        if (worker.joinable()) worker.join();
        throw;
    }
}

// `glint train PHOTOS|VIDEO`: the capture posed by COLMAP into a dataset folder first, or the one a
// previous run made from the same capture with the same settings. Returns the dataset folder.
std::string pose_capture(const TrainCommandOptions& o) {
    capture::ProcessOptions options = o.capture;
    options.input = o.dataset;
    options.output = o.processed.empty()
                         ? std::filesystem::path(o.output).replace_extension().string() + "_dataset"
                         : o.processed;
    if (capture::is_processed(options)) {
        log::info(o.dataset, ": posed before into ", options.output.string(),
                  " with these settings; training on it (delete it to run COLMAP again)");
        return options.output.string();
    }
    // A dataset this command made before from other settings is replaced; any other folder is left alone.
    options.overwrite = std::filesystem::exists(options.output / "process.json");
    log::info(o.dataset, ": a capture, not a dataset: posing it with COLMAP into ", options.output.string());
    process_with_display(options);
    return options.output.string();
}

// Under an MPI launcher: the world's ranks, checked against what distributed training supports; only rank
// 0 speaks from then on (warnings and errors still come from every rank). Null in one process.
std::unique_ptr<Collective> start_ranks(TrainCommandOptions& o) {
    if (!distributed::launched_by_mpi()) return nullptr;
    std::unique_ptr<Collective> ranks = distributed::start_mpi();
    if (ranks->size() == 1) return nullptr;
    const int n = ranks->size();
    if (o.model == "nerf" || to_lower(std::filesystem::path(o.output).extension().string()) == ".nerf")
        throw InputError(
            cat("distributed training (", n, " ranks) trains Gaussians; train a NeRF in one process"));
    if (o.view) throw InputError(cat("--view shows training in one process; not with ", n, " MPI ranks"));
    if (capture::is_capture(o.dataset) || capture::is_multiview_video(o.dataset))
        throw InputError(cat(o.dataset,
                             ": pose the photos or decode the video first (glint process, or glint "
                             "train in one process), then train the dataset on ",
                             n, " ranks"));
    if (o.batch_views_given && o.batch_views < n)
        throw InputError(cat("--batch-views ", o.batch_views, " is fewer views per step than the ", n,
                             " ranks: each rank renders at least one"));
    if (!o.batch_views_given) o.batch_views = n;
    if (ranks->rank() != 0 && log::level() < log::Level::Warning) log::set_level(log::Level::Warning);
    log::info("distributed training on ", n, " MPI ranks: ", o.batch_views,
              " views per step, rank r renders views b with b % ", n,
              " == r; gradients summed in rank order");
    return ranks;
}

// Distributed: every rank must train the same thing from the same start. A hash of the dataset's views
// (names, cameras, times), its points, the options that shape training and the session's starting point
// (after --resume) is summed across ranks; unless every rank's is the same, every rank stops with the same
// error (no rank waits forever for the others).
void check_ranks_agree(Collective& ranks, const Dataset& dataset, const TrainCommandOptions& o,
                       const TrainingSession& session) {
    std::uint64_t hash = 1469598103934665603ull;  // FNV-1a
    const auto mix = [&](const void* data, std::size_t bytes) {
        for (std::size_t i = 0; i < bytes; ++i)
            hash = (hash ^ static_cast<const unsigned char*>(data)[i]) * 1099511628211ull;
    };
    const auto mix_value = [&](const auto& value) { mix(&value, sizeof value); };
    for (const std::vector<DatasetView>* views : {&dataset.train, &dataset.test}) {
        mix_value(views->size());
        for (const DatasetView& v : *views) {
            mix(v.name.data(), v.name.size());
            const Camera& c = v.camera;
            for (const float f : {c.fx, c.fy, c.cx, c.cy, v.time}) mix_value(f);
            for (const int i : {c.width, c.height}) mix_value(i);
            mix(&c.rotation[0][0], sizeof c.rotation);
            mix(&c.translation[0], sizeof c.translation);
        }
    }
    mix_value(dataset.points.size());
    for (const int i :
         {o.iterations, o.sh_degree, o.batch_views, o.downscale, o.test_every, o.time_color_degree})
        mix_value(i);
    for (const std::string* text : {&o.model, &o.init, &o.densify, &o.background})
        mix(text->data(), text->size());
    for (const bool b : {o.random_background, o.appearance}) mix_value(b);
    mix_value(o.seed);
    mix_value(o.random_count);
    mix_value(o.max_gaussians);
    const int iteration = session.iteration();
    const std::size_t size = session.size();
    mix_value(iteration);
    mix_value(size);
    // Two 32-bit halves as doubles: their sums over ranks are exact.
    const double mine[2] = {static_cast<double>(hash >> 32), static_cast<double>(hash & 0xffffffffu)};
    double sums[2] = {mine[0], mine[1]};
    ranks.sum_in_rank_order(sums);
    const double n = ranks.size();
    if (sums[0] != n * mine[0] || sums[1] != n * mine[1])
        throw InputError(
            cat("the ", ranks.size(),
                " ranks do not see the same dataset, training options or checkpoint (their views, "
                "cameras, points, options or starting iteration differ): give every rank the same "
                "command line and the same files, on storage they all see"));
}

// The command's work, once the options are parsed.
int run_train(TrainCommandOptions o) {
    const std::unique_ptr<Collective> ranks = start_ranks(o);
    if (capture::is_capture(o.dataset)) o.dataset = pose_capture(o);
    if (capture::is_multiview_video(o.dataset)) {
        const capture::MultiviewVideo video = capture::prepare_multiview_video(
            o.dataset,
            [](const std::string& camera) { log::info("decoding ", camera, " into the frame cache"); });
        log::info(o.dataset, ": multi-view video (N3V layout), ", video.cameras, " cameras x ", video.frames,
                  " frames, cam00 held out; frames in ", video.dataset.string());
        o.dataset = video.dataset.string();
    }
    const std::string ext = to_lower(std::filesystem::path(o.output).extension().string());
    const bool nerf = o.model == "nerf" || (o.model == "auto" && ext == ".nerf");
    if (nerf && ext != ".nerf") throw InputError(cat(o.output, ": a NeRF is written to a .nerf file"));
    if (!nerf && (splatting::scene_format_for(o.output) == splatting::SceneFormat::Ksplat ||
                  (std::filesystem::is_directory(o.output) && ext != ".sog")))
        throw InputError(
            cat(o.output,
                ": the output is .ply, .compressed.ply, .splat, .spz, .glb, .gltf, .sog or a SOG "
                "folder's meta.json (or .nerf with --model nerf)"));
    if (nerf && o.view) throw InputError("--view shows Gaussian training; NeRF training has no live view");
    const int iterations = o.iterations > 0 ? o.iterations : (nerf ? 3000 : 7000);
    DatasetOptions dataset_options;
    dataset_options.downscale = o.downscale;
    dataset_options.test_every = o.test_every;
    o.background = to_lower(o.background);
    const bool learnt = o.background == "auto" || o.background == "learn";
    const glm::vec3 background = learnt ? glm::vec3(1.0f) : parse_background(o.background);
    dataset_options.background = {background.x, background.y, background.z};
    const Dataset dataset = load_dataset(o.dataset, dataset_options);
    log::info(o.dataset, ": ", dataset.kind, ", ", dataset.train.size(), " training and ",
              dataset.test.size(), " test views at ", dataset.train.front().camera.width, "x",
              dataset.train.front().camera.height);
    if (!dataset.distortion.empty()) log::info(o.dataset, ": lens ", dataset.distortion);
    if (dataset.masked_views > 0)
        log::info(o.dataset, ": ", dataset.masked_views,
                  " views have masks: their masked pixels are left out of the loss");

    std::set<float> times;
    for (const DatasetView& view : dataset.train) times.insert(view.time);
    const bool temporal = o.model == "gaussians4d" || (o.model == "auto" && !nerf && times.size() > 1);
    if (times.size() > 1) {
        std::set<std::size_t> cameras;
        for (const DatasetView& view : dataset.train) cameras.insert(view.camera_id);
        log::info(o.dataset, ": ", times.size(), " frame times from ", *times.begin(), " to ",
                  *times.rbegin(), ", ", cameras.size(), " training cameras; ",
                  temporal
                      ? "training 4D Gaussians"
                      : cat("training a static ", nerf ? "NeRF" : "3D scene", " (--model gaussians4d: 4D)"));
    }
    if (o.time_color_degree > 0 && !temporal)
        throw InputError("--time-color-degree needs 4D Gaussians (--model gaussians4d)");
    const splatting::GaussianTrainingSession* gaussians = nullptr;
    std::unique_ptr<TrainingSession> run =
        make_session(o, dataset, nerf, temporal, iterations, gaussians, ranks.get());
    TrainingSession& trainer = *run;
    const std::string checkpoint = o.checkpoint.empty()
                                       ? std::filesystem::path(o.output).replace_extension(".ckpt").string()
                                       : o.checkpoint;
    if (!o.resume.empty()) {
        trainer.load_checkpoint(o.resume);
        log::info("resuming from ", o.resume, " at iteration ", trainer.iteration(), " with ", trainer.size(),
                  " ", trainer.size_unit());
        if (trainer.iteration() >= iterations)
            throw InputError(
                cat(o.resume, ": it is at iteration ", trainer.iteration(), "; --iters is ", iterations));
    }
    if (ranks) check_ranks_agree(*ranks, dataset, o, trainer);
    TrainingRunOptions run_options;
    run_options.iterations = iterations;
    run_options.eval_every = o.eval_every;
    run_options.checkpoint_every = o.checkpoint_every;
    run_options.result = o.output;
    run_options.checkpoint = checkpoint;
    run_options.csv = o.csv.empty() ? std::filesystem::path(o.output).replace_extension(".csv")
                                    : std::filesystem::path(o.csv);
    run_options.profile = o.profile;
    run_options.collective = ranks.get();
    if (!o.view) return run_training(trainer, run_options);

    return train_with_viewer(o, trainer, *gaussians, run_options);
}

}  // namespace

void add_train_command(CLI::App& app, Action& action) {
    auto o = std::make_shared<TrainCommandOptions>();
    CLI::App* command = app.add_subcommand(
        "train",
        "Train a 3D Gaussian scene or a hash-grid NeRF from posed images (COLMAP or transforms.json)");
    add_general_options(*command, *o);
    add_capture_options(*command->add_option_group("Photos or video (posed by COLMAP first)"), o->capture);
    command->add_option(
        "--processed", o->processed,
        "Photos or video: the dataset folder COLMAP's result goes to (default: OUTPUT_dataset)");
    add_gaussian_options(*command, *o);
    add_nerf_options(*command, *o);
    command->callback([&action, o] { action = [o] { return run_train(*o); }; });
}

}  // namespace glint::app

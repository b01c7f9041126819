// The training session: one interface for every trainer (3D Gaussians, hash-grid NeRF), and the loop that
// drives one (progress display, evaluation schedule, CSV and plots, checkpoints, Ctrl-C), shared by
// `glint train` and `glint train --view`.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "glint/core/collective.h"

namespace glint {

struct TrainingStepValues {
    double loss = 0, psnr = 0;  // of what the step trained on (a view, a batch of rays)
};

struct TrainingEvaluation {
    double psnr = 0, ssim = 0, l1 = 0;
    std::size_t views = 0;
    // How the renders were matched to the photos' exposure before comparing: empty (they were not), or
    // a few words ("colour-corrected per view", "with each view's learnt correction").
    std::string exposure;
    // Views that carry several times (a multi-view video): the scores per frame time, in time order
    // (mean over that time's views); empty otherwise. psnr and ssim above are the means over views.
    struct Frame {
        float time = 0;
        double psnr = 0, ssim = 0;
        std::size_t views = 0;
    };
    std::vector<Frame> frames;
};

class TrainingSession {
public:
    virtual ~TrainingSession() = default;
    virtual TrainingStepValues step() = 0;  // one iteration
    virtual int iteration() const = 0;      // iterations done
    virtual std::size_t size() const = 0;   // the model's size in size_unit()
    virtual const char* size_unit() const = 0;
    // Every test view (or every training view without any), rendered and compared with its image.
    virtual TrainingEvaluation evaluate() = 0;
    // The same over the training views, where the trainer offers it (the gap to the test views shows
    // over-fitting).
    virtual std::optional<TrainingEvaluation> evaluate_training() { return std::nullopt; }
    // The whole state the next iterations depend on, written atomically; loading throws InputError
    // naming the file when it is not a checkpoint of this trainer or does not fit its options.
    virtual void save_checkpoint(const std::filesystem::path& path) const = 0;
    virtual void load_checkpoint(const std::filesystem::path& path) = 0;
    virtual void save_result(const std::filesystem::path& path) const = 0;  // the trained model
    // Milliseconds per stage, summed over the steps, and a line of further facts (may be empty).
    virtual std::vector<std::pair<std::string, double>> profile() const = 0;
    virtual std::string profile_note() const { return {}; }
};

// Where the loop stands after a step, smoothed over recent steps.
struct TrainingProgressValues {
    int iteration = 0, iterations = 0;
    double loss = 0, psnr = 0;  // exponential moving averages (0.95) of the steps' values
    double rate = 0;            // iterations per second since the loop started
    double seconds = 0;         // since the loop started
    std::size_t size = 0;
};

// What a watcher of the loop (the viewer) hears, on the loop's thread.
class TrainingObserver {
public:
    virtual ~TrainingObserver() = default;
    virtual const char* name() const = 0;  // who stops training, for the log ("the viewer")
    // Asked before every step: false ends the loop (may block while the watcher pauses training).
    virtual bool keep_going() { return true; }
    // After keep_going() said false: whether to write the results (true) or end without them.
    virtual bool save_on_stop() const { return true; }
    virtual void stepped(const TrainingProgressValues&) {}
    virtual void tested(int /*iteration*/, double /*psnr*/) {}
    // The loop ended: completed (true) with the results written, or interrupted; `status` says how.
    virtual void finished(bool /*completed*/, const std::string& /*status*/) {}
};

struct TrainingRunOptions {
    int iterations = 0;        // train until the session has done this many
    int eval_every = 0;        // evaluate every K iterations too (0: at the end only)
    int checkpoint_every = 0;  // save a checkpoint every K iterations too (0: on Ctrl-C only)
    std::filesystem::path result, checkpoint, csv;  // csv's plot goes beside it, .png
    bool profile = false;                           // print the time per stage at the end
    // Distributed training (not owned; null in one process): every rank runs the loop and steps together;
    // rank 0 alone evaluates, writes the result, CSV, plot and checkpoints and shows progress, and a
    // Ctrl-C on any rank stops every rank at the same iteration.
    Collective* collective = nullptr;
};

// Trains `session` from its iteration to options.iterations: a progress line (rewritten in place on a
// terminal, every 10 s in a log), evaluations on the schedule and at the end (with the training views
// where the session offers them), the result, the CSV of evaluations and its plot. Ctrl-C saves a
// checkpoint and returns 130 (SIGTERM and SIGUSR1, which MPI launchers pass on, do the same with 143 and
// 138); a stop from the observer writes the results (or not, as it says) and
// returns 0 (1 without them). Returns 0 when training completed.
int run_training(TrainingSession& session, const TrainingRunOptions& options,
                 TrainingObserver* observer = nullptr);

}  // namespace glint

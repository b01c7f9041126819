// The training loop shared by every trainer: progress, evaluation schedule, CSV and plot, checkpoints,
// Ctrl-C.
#include "glint/core/training_session.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>

#include "glint/core/atomic_file.h"
#include "glint/core/log.h"
#include "glint/core/plot.h"
#include "glint/core/text.h"

namespace glint {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int signal) {
    g_interrupted = signal;
}

std::size_t peak_memory() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<std::size_t>(usage.ru_maxrss) * 1024;
}

// One decimal, for the machine-read summary line.
std::string one_decimal(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", value);
    return text;
}

// The evaluations so far: CSV text and the plot's curves.
class EvaluationLog {
public:
    explicit EvaluationLog(const std::string& size_column)
        : m_csv(cat("iteration,seconds,", size_column, ",test_psnr,test_ssim,test_l1\n")) {}

    void add(int iteration, double seconds, std::size_t size, const TrainingEvaluation& e) {
        m_csv += cat(iteration, ",", seconds, ",", size, ",", e.psnr, ",", e.ssim, ",", e.l1, "\n");
        for (const TrainingEvaluation::Frame& f : e.frames)
            m_frames_csv += cat(iteration, ",", f.time, ",", f.psnr, ",", f.ssim, ",", f.views, "\n");
        if (!e.frames.empty()) {
            m_frame_psnr.x.clear();
            m_frame_psnr.y.clear();
            for (const TrainingEvaluation::Frame& f : e.frames) {
                m_frame_psnr.x.push_back(f.time);
                m_frame_psnr.y.push_back(f.psnr);
            }
            m_frame_mean.x = {e.frames.front().time, e.frames.back().time};
            m_frame_mean.y = {e.psnr, e.psnr};
            m_frames_iteration = iteration;
        }
        m_psnr.x.push_back(iteration);
        m_psnr.y.push_back(e.psnr);
        m_ssim.x.push_back(iteration);
        m_ssim.y.push_back(e.ssim);
        m_psnr_time.x.push_back(seconds);
        m_psnr_time.y.push_back(e.psnr);
    }

    // The CSV at `path` and its plot beside it (.png); for evaluations over frame times, the scores per
    // frame in NAME_frames.csv and the last evaluation's curve over the frames in the plot.
    std::filesystem::path write(const std::filesystem::path& path) const {
        AtomicFile file(path);
        file.write(std::string_view(m_csv));
        file.commit();
        std::vector<PlotPanel> panels = {{"Test PSNR (dB)", "iteration", {m_psnr}},
                                         {"Test SSIM", "iteration", {m_ssim}},
                                         {"Test PSNR (dB) against training time", "seconds", {m_psnr_time}}};
        if (m_frames_iteration >= 0) {
            std::filesystem::path frames = path;
            frames.replace_filename(path.stem().string() + "_frames" + path.extension().string());
            AtomicFile per_frame(frames);
            per_frame.write(std::string_view(m_frames_csv));
            per_frame.commit();
            panels.push_back({cat("Test PSNR (dB) per frame at iteration ", m_frames_iteration),
                              "frame time",
                              {m_frame_psnr, m_frame_mean}});
        }
        const std::filesystem::path plot = std::filesystem::path(path).replace_extension(".png");
        write_plot_png(plot, panels);
        return plot;
    }

private:
    std::string m_csv;
    std::string m_frames_csv = "iteration,time,test_psnr,test_ssim,views\n";
    int m_frames_iteration = -1;
    PlotSeries m_frame_psnr{"per frame", {}, {}, {148, 103, 189}},
        m_frame_mean{"mean", {}, {}, {127, 127, 127}};
    PlotSeries m_psnr{"test PSNR", {}, {}, {31, 119, 180}}, m_ssim{"test SSIM", {}, {}, {214, 39, 40}},
        m_psnr_time{"test PSNR", {}, {}, {44, 160, 44}};
};

std::string progress_line(const TrainingProgressValues& p, const char* unit) {
    constexpr int kBarWidth = 24;
    const int filled = static_cast<int>(kBarWidth * static_cast<double>(p.iteration) / p.iterations);
    const std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                            std::string(static_cast<std::size_t>(kBarWidth - filled), '.');
    return cat("[", bar, "] ", p.iteration, "/", p.iterations, "  loss ", p.loss, "  PSNR ", p.psnr, " dB  ",
               p.size, " ", unit, "  ", p.rate, " it/s  ETA ",
               duration_text((p.iterations - p.iteration) / std::max(p.rate, 1e-9)));
}

void print_profile(const TrainingSession& session, int steps) {
    const auto parts = session.profile();
    double total = 0;
    for (const auto& [name, ms] : parts) total += ms;
    std::printf("time per stage over %d iterations:\n", steps);
    for (const auto& [name, ms] : parts)
        std::printf("  %-12s %9.1f ms  %5.1f%%  %.2f ms/iteration\n", name.c_str(), ms,
                    100.0 * ms / std::max(total, 1e-9), ms / std::max(steps, 1));
    if (const std::string note = session.profile_note(); !note.empty()) std::printf("  %s\n", note.c_str());
}

}  // namespace

int run_training(TrainingSession& session, const TrainingRunOptions& options, TrainingObserver* observer) {
    const bool tty = isatty(fileno(stderr)) != 0;
    const auto start = std::chrono::steady_clock::now();
    const auto seconds = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    EvaluationLog evaluations(std::string_view(session.size_unit()) == "Gaussians" ? "gaussians"
                                                                                   : "occupied_cells");
    TrainingEvaluation last;
    const auto evaluate = [&] {
        last = session.evaluate();
        evaluations.add(session.iteration(), seconds(), session.size(), last);
        if (tty) std::fprintf(stderr, "\n");
        log::info("iteration ", session.iteration(), ": test PSNR ", last.psnr, " dB, SSIM ", last.ssim, " (",
                  last.views, " views", last.exposure.empty() ? "" : ", " + last.exposure, ")");
        if (!last.frames.empty()) {
            const auto [worst, best] =
                std::minmax_element(last.frames.begin(), last.frames.end(),
                                    [](const TrainingEvaluation::Frame& a,
                                       const TrainingEvaluation::Frame& b) { return a.psnr < b.psnr; });
            log::info("  over ", last.frames.size(), " frame times: PSNR from ", worst->psnr, " dB (time ",
                      worst->time, ") to ", best->psnr, " dB (time ", best->time, ")");
        }
        if (observer != nullptr) observer->tested(session.iteration(), last.psnr);
    };

    Collective* const ranks = options.collective;
    const bool root = ranks == nullptr || ranks->rank() == 0;
    // Ctrl-C, and the signals an MPI launcher passes on: mpirun ends a job with SIGTERM (after Ctrl-C on
    // it) and forwards SIGUSR1. Each saves a checkpoint.
    constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGUSR1};
    const auto restore = [&] {
        for (const int s : kStopSignals) std::signal(s, SIG_DFL);
    };
    g_interrupted = 0;
    for (const int s : kStopSignals) std::signal(s, on_interrupt);
    const int first = session.iteration() + 1;
    TrainingProgressValues progress;
    progress.iterations = options.iterations;
    double shown = -1;
    bool stopped = false;
    for (int i = first; i <= options.iterations; ++i) {
        // Every rank stops at the same iteration when any was interrupted.
        if (ranks != nullptr ? ranks->any(g_interrupted != 0) : g_interrupted != 0) {
            restore();
            const int code = 128 + (g_interrupted != 0 ? static_cast<int>(g_interrupted) : SIGINT);
            if (!root) return code;
            if (tty) std::fprintf(stderr, "\n");
            session.save_checkpoint(options.checkpoint);
            log::info("interrupted at iteration ", session.iteration(), ": saved ",
                      options.checkpoint.string(), "; continue with --resume ", options.checkpoint.string());
            if (observer != nullptr)
                observer->finished(false, cat("interrupted: saved ", options.checkpoint.string()));
            return code;  // 128 + the signal, as shells report it (130 for Ctrl-C)
        }
        if (observer != nullptr && !observer->keep_going()) {
            if (!observer->save_on_stop()) {
                restore();
                return 1;
            }
            if (tty) std::fprintf(stderr, "\n");
            log::info("stopped from ", observer->name(), " at iteration ", session.iteration());
            stopped = true;
            break;
        }
        const TrainingStepValues r = session.step();
        progress.iteration = i;
        progress.loss = i == first ? r.loss : 0.95 * progress.loss + 0.05 * r.loss;
        progress.psnr = i == first ? r.psnr : 0.95 * progress.psnr + 0.05 * r.psnr;
        progress.seconds = seconds();
        progress.rate = (i - first + 1) / std::max(progress.seconds, 1e-9);
        progress.size = session.size();
        if (root && (progress.seconds - shown >= (tty ? 0.25 : 10.0) || i == options.iterations)) {
            shown = progress.seconds;
            const std::string line = progress_line(progress, session.size_unit());
            if (tty)
                std::fprintf(stderr, "\r%s\033[K", line.c_str());
            else
                log::info(line);
        }
        if (observer != nullptr) observer->stepped(progress);
        if (!root) continue;
        if (options.eval_every > 0 && i % options.eval_every == 0 && i != options.iterations) evaluate();
        if (options.checkpoint_every > 0 && i % options.checkpoint_every == 0)
            session.save_checkpoint(options.checkpoint);
    }
    restore();
    if (!root) return 0;
    if (tty) std::fprintf(stderr, "\n");
    evaluate();
    if (const std::optional<TrainingEvaluation> training = session.evaluate_training())
        log::info("training views: PSNR ", training->psnr, " dB, SSIM ", training->ssim, " (",
                  training->views, " views", training->exposure.empty() ? "" : ", " + training->exposure,
                  "); test - training: ", last.psnr - training->psnr, " dB");
    session.save_result(options.result);
    const std::filesystem::path plot = evaluations.write(options.csv);
    const double trained = seconds();
    log::info("wrote ", options.result.string(), " (", session.size(), " ", session.size_unit(), "), ",
              options.csv.string(), " and ", plot.string(), "; trained in ", one_decimal(trained),
              " s; peak memory ", human_bytes(peak_memory()));
    if (observer != nullptr)
        observer->finished(
            true, cat(stopped ? "stopped: wrote " : "finished: wrote ", options.result.string(), " (",
                      session.size(), " ", session.size_unit(), ")"));
    if (options.profile) print_profile(session, session.iteration() - first + 1);
    return 0;
}

}  // namespace glint

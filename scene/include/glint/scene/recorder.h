// Renders a camera path frame by frame into an MP4 (glint/media/video_encoder.h) or a numbered PNG sequence.
// Shared by `glint record` and the viewer's Record button; offline, at full quality.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "glint/core/camera_path.h"
#include "glint/media/video_encoder.h"
#include "glint/scene/scene.h"

namespace glint::scene {

struct RecordJob {
    CameraPath path;
    float duration = 0.0f;  // seconds of video; 0: the path's own duration
    // An MP4 file, or a PNG sequence: a file name with a printf number field such as frames/%05d.png.
    std::filesystem::path output;
    media::VideoSettings video;  // size, rate, quality (the size applies to PNG frames too)
    DrawSettings settings;       // background, SH degree, antialiasing, 4D cutoff; time below
    // 4D scenes: where the path sets no time, the scene time runs from time_start to time_end over the
    // video (equal values: a fixed time).
    float time_start = 0.0f, time_end = 0.0f;
    bool dry_run = false;  // render every frame but write nothing (times a path; the encoding's cost)
};

struct RecordProgress {
    int frame = 0, frames = 0;  // frames written so far, of
    double render_seconds = 0, encode_seconds = 0, elapsed_seconds = 0;
};

// Frames of a video of `seconds` at `fps` (at least one).
int frame_count(float seconds, int fps);
// The path time of frame k of `frames`: an open path's last frame shows its last keyframe; a looped
// path's last frame stops one frame short of its first (the loop repeats seamlessly).
float frame_path_time(int k, int frames, float path_duration, bool loop);
// True when `output` is a PNG sequence pattern (checked: one %d field, optionally zero-padded).
bool is_frame_pattern(const std::filesystem::path& output);
// Frame k's file of a PNG sequence pattern (frames/%05d.png, 7 -> frames/00007.png).
std::filesystem::path frame_file(const std::filesystem::path& pattern, int k);

// Checks what can be checked before rendering: the output (an .mp4, or a PNG sequence pattern), the
// size (even for H.264 4:2:0) and the frame rate. Throws InputError naming the problem.
void check_record_output(const RecordJob& job);

// Records the job with `scene` (on its backend); `progress` is called after every frame and returns false
// to cancel (the partial output is removed; returns false). Throws InputError for a bad path or output,
// Error when writing fails.
bool record(Scene& scene, const RecordJob& job, const std::function<bool(const RecordProgress&)>& progress,
            RecordProgress& result);

}  // namespace glint::scene

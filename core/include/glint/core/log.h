// Levelled logging to stderr, with a replaceable sink so tests can fail on unexpected warnings.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "glint/core/text.h"

namespace glint::log {

enum class Level { Debug = 0, Info = 1, Warning = 2, Error = 3 };

void set_level(Level level);
Level level();

// Replaces where messages go (default: stderr, "glint: warning: ..."). An empty function restores it.
using Sink = std::function<void(Level, std::string_view)>;
void set_sink(Sink sink);

void write(Level level, std::string_view message);

template <typename... Args>
void debug(const Args&... args) {
    if (level() <= Level::Debug) write(Level::Debug, cat(args...));
}
template <typename... Args>
void info(const Args&... args) {
    if (level() <= Level::Info) write(Level::Info, cat(args...));
}
template <typename... Args>
void warn(const Args&... args) {
    if (level() <= Level::Warning) write(Level::Warning, cat(args...));
}
template <typename... Args>
void error(const Args&... args) {
    write(Level::Error, cat(args...));
}

}  // namespace glint::log

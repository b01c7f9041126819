// Logging state: one level and one sink for the process, guarded for use from worker threads.
#include "glint/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace glint::log {
namespace {

std::atomic<Level> g_level{Level::Info};
std::mutex g_mutex;
Sink g_sink;

const char* prefix(Level level) {
    switch (level) {
        case Level::Debug:
            return "glint: debug: ";
        case Level::Info:
            return "glint: ";
        case Level::Warning:
            return "glint: warning: ";
        case Level::Error:
            return "glint: error: ";
    }
    return "glint: ";
}

}  // namespace

void set_level(Level new_level) {
    g_level.store(new_level);
}
Level level() {
    return g_level.load();
}

void set_sink(Sink sink) {
    std::lock_guard lock(g_mutex);
    g_sink = std::move(sink);
}

void write(Level message_level, std::string_view message) {
    std::lock_guard lock(g_mutex);
    if (g_sink) {
        g_sink(message_level, message);
        return;
    }
    std::fprintf(stderr, "%s%.*s\n", prefix(message_level), static_cast<int>(message.size()), message.data());
}

}  // namespace glint::log

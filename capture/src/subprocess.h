// Running a program and reading what it prints, line by line (capture's COLMAP stages).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace glint::capture {

struct ProcessResult {
    int exit_code = 0;    // the program's exit status; -1 when a signal ended it
    int signal = 0;       // the signal that ended it, or 0
    bool started = true;  // false when the program could not be started (then `error` says why)
    std::string error;
};

// Runs argv[0] (searched on PATH when it has no slash) with argv, its standard output and error merged
// and passed to `on_line` one line at a time (without the newline; carriage returns split lines too, as
// progress displays use them). Waits for it to end.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::function<void(std::string_view)>& on_line);

}  // namespace glint::capture

// Distributed training under mpirun on this machine: two ranks with one view each train the same scene,
// bit for bit, as one process with two views per step; a checkpoint of either resumes in the other; a
// rank that dies ends the run with an error and leaves the last checkpoint whole. Skipped without mpirun.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "test_support.h"

using namespace glint;

namespace {

bool have_mpirun() {
    return std::system("command -v mpirun > /dev/null 2>&1") == 0;
}

// Two ranks on this machine, as root too (CI runs as root), however few its cores.
const std::string kTwoRanks =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe";

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A small RGBA dataset of the sample model (12 views at 48x48, 2 held out).
std::filesystem::path make_dataset(const test::TempDir& dir) {
    const std::filesystem::path data = dir.path() / "data";
    const test::CommandResult synth =
        test::run_glint("synth -q " + test::quoted(test::source_dir() / "assets/sample/model.glb") + " -o " +
                        test::quoted(data) + " --views 12 --res 48");
    REQUIRE(synth.exit_code == 0);
    return data;
}

// Whether `path` exists within a minute.
bool wait_for(const std::filesystem::path& path) {
    for (int i = 0; i < 600 && !std::filesystem::exists(path); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return std::filesystem::exists(path);
}

// Runs `command` (a shell command line) in the background, interrupts it once `marker` exists (its first
// checkpoint: the loop is running) with `signal` (Ctrl-C's SIGINT for one process; mpirun answers SIGINT
// by sending its ranks SIGTERM), and returns its exit code.
int interrupted(const std::string& command, const std::filesystem::path& marker,
                const std::filesystem::path& dir, int signal) {
    const std::filesystem::path pid = dir / "pid", rc = dir / "rc";
    std::filesystem::remove(rc);
    const std::string line = "(" + command + " > " + test::quoted(dir / "log") + " 2>&1 & echo $! > " +
                             test::quoted(pid) + "; wait $!; echo $? > " + test::quoted(rc) +
                             ") > /dev/null 2>&1 &";
    if (std::system(line.c_str()) != 0) return -1;
    if (!wait_for(marker) || !wait_for(pid)) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kill(std::stoi(file_bytes(pid)), signal);
    if (!wait_for(rc)) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the exit code's line is written
    return std::stoi(file_bytes(rc));
}

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE(
        "mpirun -np 2: two ranks of one view each train what one process with two views per step does") {
        if (!have_mpirun()) {
            test::skip("mpirun is not installed (tools/setup.sh installs Open MPI)");
            return;
        }
        test::TempDir dir;
        const std::filesystem::path data = make_dataset(dir);
        // Random start, random backgrounds, densification inside the run: every source of a difference.
        const std::string common = "train " + test::quoted(data) +
                                   " --init random --init-count 2000 --random-background --iters 80 -q -o ";
        const test::CommandResult one = test::run_glint(
            "--threads 2 " + common + test::quoted(dir.path() / "one.ply") + " --batch-views 2");
        REQUIRE(one.exit_code == 0);
        const test::CommandResult two =
            test::run_glint_under(kTwoRanks, "--threads 1 " + common + test::quoted(dir.path() / "two.ply"));
        INFO(two.output);
        REQUIRE(two.exit_code == 0);
        const std::string a = file_bytes(dir.path() / "one.ply"), b = file_bytes(dir.path() / "two.ply");
        CHECK(a.size() > 100000);  // densified past the 2,000 it started from
        CHECK(a == b);
        // Only rank 0 wrote: one result, one CSV.
        CHECK(std::filesystem::exists(dir.path() / "two.csv"));

        // Interrupted (Ctrl-C) on two ranks, resumed in one process, and the reverse: the same bits as a run
        // that never stopped (the schedule follows --iters, so every run asks for the same 300).
        const std::string run =
            "train " + test::quoted(data) + " --init random --init-count 2000 --iters 300 ";
        REQUIRE(test::run_glint("--threads 2 " + run + "--batch-views 2 -q -o " +
                                test::quoted(dir.path() / "straight.ply"))
                    .exit_code == 0);
        const std::string straight = file_bytes(dir.path() / "straight.ply");
        for (const bool ranks_first : {true, false}) {
            CAPTURE(ranks_first);
            const std::filesystem::path first = dir.path() / "first.ply",
                                        checkpoint = dir.path() / "first.ckpt";
            std::filesystem::remove(checkpoint);
            const int code = interrupted((ranks_first ? kTwoRanks + " " : std::string()) +
                                             test::quoted(GLINT_TEST_BINARY) +
                                             (ranks_first ? " --threads 1 " : " --threads 2 ") + run +
                                             (ranks_first ? "" : "--batch-views 2 ") +
                                             "--checkpoint-every 50 -o " + test::quoted(first),
                                         checkpoint, dir.path(), SIGINT);
            CHECK(code != 0);
            CHECK(file_bytes(dir.path() / "log").find("interrupted at iteration") != std::string::npos);
            const std::string resume = run + "--resume " + test::quoted(checkpoint) + " -q -o " +
                                       test::quoted(dir.path() / "resumed.ply");
            const test::CommandResult resumed =
                ranks_first ? test::run_glint("--threads 2 " + resume + " --batch-views 2")
                            : test::run_glint_under(kTwoRanks, "--threads 1 " + resume);
            INFO(resumed.output);
            REQUIRE(resumed.exit_code == 0);
            CHECK(file_bytes(dir.path() / "resumed.ply") == straight);
        }

        // What distributed training does not do is an input error, exit 2, from every rank's start.
        const test::CommandResult few = test::run_glint_under(
            kTwoRanks, common + test::quoted(dir.path() / "x.ply") + " --batch-views 1");
        CHECK(few.exit_code != 0);
        CHECK(few.output.find("--batch-views 1 is fewer views per step than the 2 ranks") !=
              std::string::npos);
        // Ranks that see different datasets (mpirun's MPMD form gives each its own command) all stop with
        // the same error instead of training apart or waiting for each other.
        const std::filesystem::path other = dir.path() / "other";
        REQUIRE(test::run_glint("synth -q " + test::quoted(test::source_dir() / "assets/sample/model.glb") +
                                " -o " + test::quoted(other) + " --views 10 --res 48")
                    .exit_code == 0);
        const std::string rest = " --iters 20 -q -o " + test::quoted(dir.path() / "apart.ply");
        const test::CommandResult apart = test::run_glint_under(
            "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 1",
            "train " + test::quoted(data) + rest + " : -np 1 " + test::quoted(GLINT_TEST_BINARY) + " train " +
                test::quoted(other) + rest);
        CHECK(apart.exit_code != 0);
        CHECK(apart.output.find("ranks do not see the same dataset") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(dir.path() / "apart.ply"));
        const test::CommandResult nerf =
            test::run_glint_under(kTwoRanks, "train " + test::quoted(data) + " -o " +
                                                 test::quoted(dir.path() / "x.nerf") + " --iters 5");
        CHECK(nerf.exit_code != 0);
        CHECK(nerf.output.find("train a NeRF in one process") != std::string::npos);
    }

    TEST_CASE("mpirun -np 2: a rank that dies ends the run with an error, and the last checkpoint loads") {
        if (!have_mpirun()) {
            test::skip("mpirun is not installed (tools/setup.sh installs Open MPI)");
            return;
        }
        test::TempDir dir;
        const std::filesystem::path data = make_dataset(dir);
        const std::filesystem::path checkpoint = dir.path() / "run.ckpt", rc = dir.path() / "rc";
        // In the background: a long run that checkpoints every 5 iterations.
        const std::string command =
            "(" + kTwoRanks + " " + test::quoted(GLINT_TEST_BINARY) + " --threads 1 train " +
            test::quoted(data) + " --init random --init-count 2000 --iters 100000 --checkpoint-every 5 -o " +
            test::quoted(dir.path() / "run.ply") + " > " + test::quoted(dir.path() / "log") +
            " 2>&1; echo $? > " + test::quoted(rc) + ") > /dev/null 2>&1 &";
        REQUIRE(std::system(command.c_str()) == 0);
        REQUIRE(wait_for(checkpoint));
        // Rank 1: the glint process of this run whose environment names rank 1.
        int killed = 0;
        for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
            const std::string name = entry.path().filename().string();
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            const std::string cmdline = file_bytes(entry.path() / "cmdline");
            const std::string environ = file_bytes(entry.path() / "environ");
            if (cmdline.find((dir.path() / "run.ply").string()) == std::string::npos ||
                cmdline.find("mpirun") != std::string::npos ||
                environ.find(std::string("OMPI_COMM_WORLD_RANK=1") + '\0') == std::string::npos)
                continue;
            if (kill(std::stoi(name), SIGKILL) == 0) ++killed;
        }
        REQUIRE(killed == 1);
        REQUIRE(wait_for(rc));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the exit code's line is written
        const std::string log = file_bytes(dir.path() / "log");
        INFO(log);
        CHECK(std::stoi(file_bytes(rc)) != 0);
        CHECK(log.find("signal 9") != std::string::npos);  // mpirun names the rank that died and how
        // The last checkpoint is whole: one process resumes from it (its iteration follows the magic).
        const std::string saved = file_bytes(checkpoint);
        REQUIRE(saved.size() > 12);
        std::int32_t at = 0;
        std::memcpy(&at, saved.data() + 8, sizeof at);
        CHECK(at % 5 == 0);
        const test::CommandResult resumed = test::run_glint(
            "train " + test::quoted(data) + " --init random --init-count 2000 --batch-views 2 --resume " +
            test::quoted(checkpoint) + " --iters " + std::to_string(at + 5) + " -q -o " +
            test::quoted(dir.path() / "resumed.ply"));
        INFO(resumed.output);
        CHECK(resumed.exit_code == 0);
    }
}

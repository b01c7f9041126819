// glint-make-scene: writes the default scene (assets/default_scene.ply) or random scenes for benchmarks.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "glint/core/error.h"
#include "glint/splatting/scene_io.h"
#include "scene_generators.h"

int main(int argc, char** argv) {
    CLI::App app{"Generates Gaussian scenes: the default scene shipped in assets/, or random scenes",
                 "glint-make-scene"};
    app.require_subcommand(1);
    std::string output;
    CLI::App* default_scene =
        app.add_subcommand("default", "The default scene (trefoil knot over a checkered disc)");
    default_scene->add_option("OUT", output, "Output scene (.ply or .splat)")->required();

    CLI::App* default_scene_4d =
        app.add_subcommand("default4d", "The default scene as a 4D scene: the knot drawn over t in [0, 1]");
    default_scene_4d->add_option("OUT", output, "Output scene (.ply)")->required();
    int laps = 1;
    std::size_t count_4d = 0;
    default_scene_4d->add_option("--laps", laps, "Draw the knot this many times over t in [0, LAPS]")
        ->check(CLI::Range(1, 100000));
    default_scene_4d->add_option(
        "--count", count_4d,
        "The structured scene of about this many Gaussians (per lap) as the still scene");

    std::size_t structured_count = 0;
    CLI::App* structured_scene =
        app.add_subcommand("structured", "The default scene's construction with about COUNT Gaussians");
    structured_scene->add_option("COUNT", structured_count, "Number of Gaussians (approximate)")->required();
    structured_scene->add_option("OUT", output, "Output scene (.ply or .splat)")->required();

    glint::tools::RandomSceneOptions random;
    bool ascii = false;
    CLI::App* random_scene = app.add_subcommand("random", "Random Gaussians in a cube");
    random_scene->add_option("COUNT", random.count, "Number of Gaussians")->required();
    random_scene->add_option("OUT", output, "Output scene (.ply or .splat)")->required();
    random_scene->add_option("--sh-degree", random.sh_degree, "SH degree")->check(CLI::Range(0, 3));
    random_scene->add_option("--seed", random.seed, "Random seed");
    random_scene->add_option("--extent", random.extent, "Half side of the cube")->check(CLI::PositiveNumber);
    random_scene->add_flag("--4d", random.temporal,
                           "Add the 4D fields (time mean, time scale, right rotation)");
    random_scene->add_flag("--ascii", ascii, "Write an ASCII PLY");
    glint::tools::CityOptions city;
    std::string block_path;
    CLI::App* city_scene = app.add_subcommand(
        "city",
        "Copies of a 3D scene on a grid, each turned and scaled at random, over a street: a large "
        "scene for level-of-detail benchmarks");
    city_scene->add_option("OUT", output, "Output scene (.ply or .splat)")->required();
    city_scene->add_option("--block", block_path, "The scene copied (default: the default scene)");
    city_scene->add_option("--count", city.count, "At least this many Gaussians in all");
    city_scene->add_option("--spacing", city.spacing, "Distance between blocks")->check(CLI::PositiveNumber);
    city_scene->add_option("--street-step", city.ground_step, "Spacing of the street's Gaussians (0: none)")
        ->check(CLI::NonNegativeNumber);
    city_scene->add_option("--seed", city.seed, "Random seed");
    CLI11_PARSE(app, argc, argv);

    try {
        const glint::splatting::GaussianCloud cloud =
            *default_scene      ? glint::tools::make_default_scene()
            : *default_scene_4d ? glint::tools::make_default_scene_4d(laps, count_4d)
            : *structured_scene ? glint::tools::make_structured_scene(structured_count)
            : *city_scene       ? glint::tools::make_city_scene(
                                      block_path.empty() ? glint::tools::make_default_scene()
                                                         : glint::splatting::load_scene(block_path).cloud,
                                city)
                          : glint::tools::make_random_scene(random);
        glint::splatting::SaveOptions options;
        if (ascii) options.ply_encoding = glint::splatting::PlyEncoding::Ascii;
        glint::splatting::save_scene(cloud, output, options);
        std::printf("wrote %s: %zu Gaussians, SH degree %d\n", output.c_str(), cloud.size(),
                    cloud.sh_degree());
    } catch (const glint::InputError& e) {
        std::fprintf(stderr, "glint-make-scene: error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glint-make-scene: error: %s\n", e.what());
        return 1;
    }
    return 0;
}

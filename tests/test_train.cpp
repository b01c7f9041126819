// Training end to end on a small dataset rendered from the default scene: the test-view PSNR rises well
// above where it starts, and the same seed gives the same scene.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include "glint/core/camera_io.h"
#include "glint/core/dataset.h"
#include "glint/core/image_io.h"
#include "glint/core/npy.h"
#include "glint/nerf/trainer.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/train/mcmc.h"
#include "glint/splatting/train/trainer.h"
#include "glint/synth/synth.h"

#include "scene_generators.h"
#include "test_support.h"

using namespace glint;

namespace {

// `views` views of the default scene on two rings, 48x48, over `backdrop` (white by default), as
// transforms.json + RGB PNGs.
void make_dataset(const std::filesystem::path& dir, int views = 16,
                  splatting::raster::Vec3 backdrop = {1, 1, 1}) {
    const splatting::GaussianCloud scene = tools::make_default_scene();
    auto rasterizer = splatting::create_rasterizer(Backend::Cpu);
    splatting::RenderSettings settings;
    settings.background = backdrop;
    CameraSet set;
    for (int i = 0; i < views; ++i) {
        const float az = 6.2831853f * static_cast<float>(i) / static_cast<float>(views),
                    el = i % 2 ? 0.8f : 0.45f, r = 9.0f;
        const glm::vec3 eye(r * std::cos(el) * std::cos(az), r * std::cos(el) * std::sin(az),
                            r * std::sin(el));
        const Camera camera = Camera::look_at(eye, {0, 0, 0}, {0, 0, 1}, 45.0f, 48, 48);
        splatting::RenderOutput out;
        rasterizer->render(scene, camera, settings, out);
        std::vector<std::uint8_t> rgb(out.color.size());
        for (std::size_t k = 0; k < rgb.size(); ++k) rgb[k] = to_unorm8(out.color[k]);
        const std::string name = "r_" + std::to_string(i) + ".png";
        write_png(dir / name, 48, 48, 3, rgb);
        set.cameras.push_back(camera);
        set.names.push_back(name);
    }
    write_transforms(dir / "transforms.json", set);
}

// 8 RGBA views, 32x32, with nothing in them (alpha 0 everywhere; the colour under it is red), cameras on
// a ring around the origin.
void make_empty_rgba_dataset(const std::filesystem::path& dir) {
    CameraSet set;
    for (int i = 0; i < 8; ++i) {
        const float az = 6.2831853f * static_cast<float>(i) / 8.0f, r = 4.0f;
        const glm::vec3 eye(r * std::cos(az), r * std::sin(az), 1.0f);
        const Camera camera = Camera::look_at(eye, {0, 0, 0}, {0, 0, 1}, 45.0f, 32, 32);
        std::vector<std::uint8_t> rgba(32 * 32 * 4, 0);
        for (std::size_t p = 0; p < 32 * 32; ++p) rgba[4 * p] = 255;
        const std::string name = "e_" + std::to_string(i) + ".png";
        write_png(dir / name, 32, 32, 4, rgba);
        set.cameras.push_back(camera);
        set.names.push_back(name);
    }
    write_transforms(dir / "transforms.json", set);
}

// A PNG of `size` x `size` read as a dataset reads it.
ImageRgb read_view(const std::filesystem::path& png, int size) {
    DatasetView view;
    view.image = png;
    view.camera.width = view.camera.height = size;
    return Dataset().load_image(view);
}

// Short training for comparisons: 400 iterations from 4,000 random Gaussians, SH degree 0, the schedule
// fitted; held_out_psnr trains so and returns the held-out PSNR.
splatting::TrainOptions shortened(splatting::TrainOptions options, std::size_t views) {
    options.iterations = 400;
    options.random_count = 4000;
    options.sh_degree = 0;
    splatting::fit_schedule(options, options.iterations, views);
    return options;
}

double held_out_psnr(const Dataset& dataset, splatting::TrainOptions given) {
    const splatting::TrainOptions options = shortened(given, dataset.train.size());
    splatting::Trainer trainer(dataset, options);
    for (int i = 0; i < options.iterations; ++i) trainer.step();
    return trainer.evaluate().psnr;
}

// A small NeRF for these 48x48 datasets (8 levels of 2^14 entries, 128 steps, 32^3 occupancy), trained
// by short_nerf_run (300 steps of 8,192 samples).
nerf::NerfConfig small_nerf_config(const Dataset& dataset) {
    nerf::HashGridConfig grid;
    grid.levels = 8;
    grid.log2_table_size = 14;
    grid.max_resolution = 128.0f;
    nerf::NerfConfig config = nerf::config_for(dataset, grid);
    config.steps = 128;
    config.occupancy_resolution = 32;
    return config;
}

nerf::NerfTrainOptions short_nerf_run() {
    nerf::NerfTrainOptions options;
    options.iterations = 300;
    options.batch_samples = 8192;
    return options;
}

// 300 iterations from 4,000 random Gaussians at SH degree 1, densified from 30 to 150.
splatting::TrainOptions short_run() {
    splatting::TrainOptions options;
    options.iterations = 300;
    options.random_count = 4000;
    options.position_decay_iterations = 300;
    options.densify_from = 30;
    options.densify_until = 150;
    options.sh_degree = 1;
    options.sh_interval = 100;
    return options;
}

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE(
        "masked pixels are left out of the loss: an occluder painted into the training views is not learnt") {
        // The default scene's views with a magenta square painted over every training view (the held-out
        // views, every 8th from the first, stay clean), with and without masks of the square.
        test::TempDir dir;
        make_dataset(dir.path());
        nlohmann::json transforms;
        std::ifstream(dir / "transforms.json") >> transforms;
        for (int i = 0; i < 16; ++i) {
            if (i % 8 == 0) continue;
            const std::string name = "r_" + std::to_string(i) + ".png";
            std::vector<std::uint8_t> rgb(48 * 48 * 3), mask(48 * 48, 255);
            const ImageRgb image = read_view(dir / name, 48);
            for (std::size_t k = 0; k < rgb.size(); ++k) rgb[k] = to_unorm8(image.rgb[k]);
            for (int y = 12; y < 30; ++y)
                for (int x = 14; x < 32; ++x) {
                    const std::size_t p = static_cast<std::size_t>(y) * 48 + static_cast<std::size_t>(x);
                    rgb[3 * p] = 255, rgb[3 * p + 1] = 0, rgb[3 * p + 2] = 255;
                    mask[p] = 0;
                }
            write_png(dir / name, 48, 48, 3, rgb);
            write_png(dir / ("mask_" + name), 48, 48, 1, mask);
            transforms["frames"][static_cast<std::size_t>(i)]["mask_path"] = "mask_" + name;
        }
        std::ofstream(dir / "masked.json") << transforms.dump(2);
        const Dataset masked = load_dataset(dir / "masked.json"),
                      unmasked = load_dataset(dir / "transforms.json");
        CHECK(masked.masked_views == 14);
        CHECK(unmasked.masked_views == 0);
        const double with_masks = held_out_psnr(masked, {}), without = held_out_psnr(unmasked, {});
        MESSAGE("held-out views after training on occluded views: ", with_masks, " dB with masks, ", without,
                " dB without");
        CHECK(with_masks > without + 2.0);
        // A NeRF weighs each ray by its pixel's mask.
        const auto nerf_psnr = [&](const Dataset& dataset) {
            const nerf::NerfTrainOptions options = short_nerf_run();
            nerf::NerfTrainer trainer(dataset, small_nerf_config(dataset), options);
            for (int i = 0; i < options.iterations; ++i) trainer.step();
            return trainer.evaluate().psnr;
        };
        const double nerf_with = nerf_psnr(masked), nerf_without = nerf_psnr(unmasked);
        MESSAGE("NeRF: ", nerf_with, " dB with masks, ", nerf_without, " dB without");
        CHECK(nerf_with > nerf_without + 2.0);
        // A mask of another size is an input error naming it.
        write_png(dir / "mask_r_1.png", 24, 24, 1, std::vector<std::uint8_t>(24 * 24, 255));
        test::check_input_error([&] { load_dataset(dir / "masked.json"); }, {"mask_r_1.png", "24x24"});
    }

    TEST_CASE("appearance: a colour correction per photo absorbs exposure changes between training views") {
        // The default scene's training views with their exposure and white balance changed per view (gains
        // 0.6 to 1.3 per channel); the held-out views, every 8th from the first, keep the true colours.
        test::TempDir dir;
        make_dataset(dir.path());
        for (int i = 0; i < 16; ++i) {
            if (i % 8 == 0) continue;
            const std::string name = "r_" + std::to_string(i) + ".png";
            const ImageRgb image = read_view(dir / name, 48);
            const float gain[3] = {0.6f + 0.05f * static_cast<float>(i), 1.3f - 0.04f * static_cast<float>(i),
                                   0.8f + 0.02f * static_cast<float>(i % 5)};
            std::vector<std::uint8_t> rgb(image.rgb.size());
            for (std::size_t k = 0; k < rgb.size(); ++k) rgb[k] = to_unorm8(image.rgb[k] * gain[k % 3]);
            write_png(dir / name, 48, 48, 3, rgb);
        }
        const Dataset dataset = load_dataset(dir.path());
        splatting::TrainOptions appearance;
        appearance.appearance = true;
        const double with = held_out_psnr(dataset, appearance), without = held_out_psnr(dataset, {});
        MESSAGE("held-out views after training on re-exposed views: ", with, " dB with appearance, ", without,
                " dB without");
        CHECK(with > without + 1.0);
        // As good as if the photos had not changed exposure (the same views in their true colours, scored
        // the same way): the Gaussians learnt none of it.
        test::TempDir same_dir;
        make_dataset(same_dir.path());
        const double unchanged = held_out_psnr(load_dataset(same_dir.path()), appearance);
        MESSAGE("the same views without exposure changes: ", unchanged, " dB");
        CHECK(with > unchanged - 1.0);
    }

    TEST_CASE("appearance: each step's correction is the least-squares fit of the render to its photo") {
        // A photo that is the render under a known gain and bias per channel: the plain fit recovers them;
        // masked-out pixels (weight 0) do not count; a flat render, which says nothing about the gain,
        // keeps a gain near 1 under the ridge.
        std::mt19937 random(5);
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        const std::size_t n = 500;
        std::vector<float> render(3 * n), photo(3 * n), mask(n, 1.0f);
        const float gain[3] = {0.7f, 1.2f, 0.9f}, bias[3] = {0.05f, -0.1f, 0.0f};
        for (std::size_t p = 0; p < n; ++p)
            for (int k = 0; k < 3; ++k) {
                render[3 * p + k] = u(random);
                photo[3 * p + k] = gain[k] * render[3 * p + k] + bias[k];
            }
        for (std::size_t p = 0; p < 50; ++p) {  // garbage under a mask
            mask[p] = 0.0f;
            for (int k = 0; k < 3; ++k) photo[3 * p + k] = 1.0f;
        }
        const std::array<float, 6> fit = splatting::fit_colour_correction(render, photo, mask, 0.0, 0.0);
        for (int k = 0; k < 3; ++k) {
            CHECK(fit[k] == doctest::Approx(gain[k]).epsilon(1e-4));
            CHECK(fit[3 + k] == doctest::Approx(bias[k]).epsilon(1e-4));
        }
        const std::array<float, 6> unmasked = splatting::fit_colour_correction(render, photo, {}, 0.0, 0.0);
        CHECK(std::abs(unmasked[0] - gain[0]) > 0.01f);  // the garbage moves the fit when it counts
        // The ridges of training: the bias is held toward 0 and the gain makes up what it can (the corrected
        // render is closer to the photo than the uncorrected one); a pure gain change (blue: an exposure) is
        // recovered.
        const std::array<float, 6> ridged = splatting::fit_colour_correction(render, photo, mask, 1e-3, 1.0);
        for (int k = 0; k < 3; ++k) {
            double corrected = 0, uncorrected = 0;
            for (std::size_t p = 50; p < n; ++p) {
                const float x = render[3 * p + k], y = photo[3 * p + k];
                corrected += std::pow(ridged[k] * x + ridged[3 + k] - y, 2.0);
                uncorrected += std::pow(x - y, 2.0);
            }
            CHECK(corrected < uncorrected);
            CHECK(std::abs(ridged[3 + k]) < std::abs(bias[k]) + 1e-3f);
        }
        CHECK(ridged[2] == doctest::Approx(gain[2]).epsilon(2e-3));
        // A photo that is the render under one exposure for all three channels: the gains are held toward
        // the photo's exposure, not toward 1, so even a strong gain ridge recovers it (a pull toward 1
        // would let the scene drift into a veil that the gains make up for).
        std::vector<float> exposed(3 * n);
        for (std::size_t k = 0; k < exposed.size(); ++k) exposed[k] = 0.7f * render[k];
        const std::array<float, 6> strong = splatting::fit_colour_correction(render, exposed, {}, 0.1, 1.0);
        for (int k = 0; k < 3; ++k) {
            CHECK(strong[k] == doctest::Approx(0.7f).epsilon(1e-4));
            CHECK(std::abs(strong[3 + k]) < 1e-4f);
        }
        // A nearly flat render unrelated to the photo (a random start): the plain fit's gain is far from 1
        // and may be near 0 (it scales the Gaussians' gradient); with the ridges it is the ratio of the
        // photo's mean to the render's, as for an exposure.
        std::vector<float> flat(3 * n);
        for (float& v : flat) v = 0.5f + 0.01f * (u(random) - 0.5f);
        const std::array<float, 6> plain = splatting::fit_colour_correction(flat, photo, mask, 0.0, 0.0);
        const std::array<float, 6> pulled = splatting::fit_colour_correction(flat, photo, mask, 1e-3, 1.0);
        for (int k = 0; k < 3; ++k) {
            CHECK(std::abs(plain[k] - 1.0f) > 0.5f);
            double photo_mean = 0, flat_mean = 0;
            for (std::size_t p = 50; p < n; ++p) photo_mean += photo[3 * p + k], flat_mean += flat[3 * p + k];
            CHECK(pulled[k] == doctest::Approx(photo_mean / flat_mean).epsilon(0.05));
        }
    }

    TEST_CASE("densification averages the screen-space gradient over every view that drew a Gaussian") {
        // Three Gaussians: moved by this view, drawn but hidden (no gradient), not drawn.
        splatting::CloudGradients step;
        step.mean2d_norm = {0.5f, 0.0f, 0.0f};
        step.visible = {1.0f, 1.0f, 0.0f};
        std::vector<float> sums(3, 0.0f), views(3, 0.0f);
        splatting::add_densification_statistics(step, sums, views);
        step.mean2d_norm = {0.25f, 0.5f, 0.0f};
        splatting::add_densification_statistics(step, sums, views);
        CHECK(sums == std::vector<float>{0.75f, 0.5f, 0.0f});
        CHECK(views == std::vector<float>{2.0f, 2.0f, 0.0f});  // the hidden view counts for the second
        step.visible.resize(2);
        CHECK_THROWS(splatting::add_densification_statistics(step, sums, views));
    }

    TEST_CASE("the schedule is fitted to the run's length, with a floor of one epoch between rounds") {
        splatting::TrainOptions options;
        splatting::fit_schedule(options, 3000, 49);
        CHECK(options.iterations == 3000);
        CHECK(options.position_decay_iterations == 3000);
        CHECK(options.densify_interval == 49);  // 100 * 0.1 = 10, raised to one epoch of 49 views
        CHECK(options.densify_from == 50);
        CHECK(options.densify_until == 1500);
        CHECK(options.opacity_reset_interval == 300);
        CHECK(options.sh_interval == 100);
        splatting::TrainOptions reference;
        splatting::fit_schedule(reference, 30000, 200);
        CHECK(reference.densify_from == 500);
        CHECK(reference.densify_until == 15000);
        CHECK(reference.densify_interval == 100);
        CHECK(reference.opacity_reset_interval == 3000);
        CHECK(reference.sh_interval == 1000);
        splatting::TrainOptions mcmc;
        mcmc.densify = splatting::TrainOptions::Densify::Mcmc;
        splatting::fit_schedule(mcmc, 3000, 49);
        CHECK(mcmc.densify_until == 2500);
    }

    TEST_CASE(
        "random backgrounds: a view with nothing in it trains to nothing, whatever the colour under it") {
        // Each step composites the (empty) target over a new colour and renders over the same colour, so
        // the only way to match every step is to be transparent. A target composited over one colour and
        // a render over another (as when the random colour was drawn once per image load) is matched by
        // opaque Gaussians of some colour instead.
        test::TempDir dir;
        make_empty_rgba_dataset(dir.path());
        DatasetOptions dataset_options;
        dataset_options.test_every = 0;
        const Dataset dataset = load_dataset(dir.path(), dataset_options);
        REQUIRE(!dataset.load_image(dataset.train[0]).alpha.empty());
        splatting::TrainOptions options;
        options.iterations = 300;
        options.random_count = 500;
        options.random_extent = 0.2f;
        options.sh_degree = 0;
        options.densify_from = 100000;  // no densification: only the background handling is under test
        options.random_background = true;
        splatting::Trainer trainer(dataset, options);
        auto rasterizer = splatting::create_rasterizer(Backend::Cpu);
        splatting::RenderSettings settings;
        splatting::RenderOutput out;
        const auto mean_alpha = [&] {
            rasterizer->render(trainer.cloud(), dataset.train[3].camera, settings, out);
            double sum = 0;
            for (const float a : out.alpha) sum += a;
            return sum / static_cast<double>(out.alpha.size());
        };
        const double before = mean_alpha();
        for (int i = 0; i < options.iterations; ++i) trainer.step();
        const double after = mean_alpha();
        MESSAGE("mean alpha of a training view: ", before, " at the start, ", after, " after 300 steps");
        CHECK(before > 0.3);
        CHECK(after < 0.05);
    }

    TEST_CASE("MCMC relocation: n copies stack to the original opacity and its integrated profile") {
        for (const float opacity : {0.05f, 0.3f, 0.7f, 0.95f}) {
            const splatting::Relocated one = splatting::mcmc_relocation(opacity, 1, 0.005f);
            CHECK(one.opacity == doctest::Approx(opacity).epsilon(1e-6));
            CHECK(one.scale_factor == doctest::Approx(1.0).epsilon(1e-6));
            for (const int copies : {2, 3, 5, 10}) {
                const splatting::Relocated r = splatting::mcmc_relocation(opacity, copies, 0.005f);
                // Opacity: 1 - (1 - o')^n = o at the centre.
                CHECK(1.0 - std::pow(1.0 - r.opacity, copies) == doctest::Approx(opacity).epsilon(1e-5));
                // The stack's opacity through the centre, 1 - (1 - o' g(x / f))^n with g a unit Gaussian
                // profile, integrates to the original's o * integral of g (midpoint rule over +-12 sigma).
                double stacked = 0, original = 0;
                const double dx = 1e-3;
                for (double x = -12.0 + dx / 2; x < 12.0; x += dx) {
                    const double g = std::exp(-0.5 * x * x / (r.scale_factor * r.scale_factor));
                    stacked += (1.0 - std::pow(1.0 - r.opacity * g, copies)) * dx;
                    original += opacity * std::exp(-0.5 * x * x) * dx;
                }
                INFO("opacity ", opacity, ", ", copies, " copies: scale factor ", r.scale_factor);
                CHECK(stacked == doctest::Approx(original).epsilon(1e-4));
                CHECK(r.scale_factor <= 1.0f);
            }
        }
        // The paper's table ends at 51 copies; more are treated as 51. Opacity never drops below the floor.
        CHECK(splatting::mcmc_relocation(0.5f, 80, 0.005f).opacity ==
              splatting::mcmc_relocation(0.5f, 51, 0.005f).opacity);
        CHECK(splatting::mcmc_relocation(0.01f, 10, 0.005f).opacity >= 0.005f);
    }

    TEST_CASE("MCMC densification: grows to its cap and no further, trains, deterministic for a seed") {
        test::TempDir dir;
        make_dataset(dir.path());
        const Dataset dataset = load_dataset(dir.path());
        splatting::TrainOptions options;
        options.densify = splatting::TrainOptions::Densify::Mcmc;
        options.random_count = 2000;
        options.max_gaussians = 2600;
        options.sh_degree = 1;
        splatting::fit_schedule(options, 600, dataset.train.size());
        splatting::Trainer trainer(dataset, options);
        const double start = trainer.evaluate().psnr;
        std::size_t most = 0;
        for (int i = 0; i < options.iterations; ++i) {
            trainer.step();
            most = std::max(most, trainer.cloud().size());
        }
        const splatting::Evaluation end = trainer.evaluate();
        MESSAGE("MCMC: test PSNR ", start, " dB at the start, ", end.psnr, " dB after 600 iterations, ",
                trainer.cloud().size(), " Gaussians");
        CHECK(trainer.cloud().size() == 2600);
        CHECK(most == 2600);
        CHECK(end.psnr > start + 8.0);
        CHECK(end.psnr > 20.0);
        for (const float logit : trainer.cloud().opacity_logits()) CHECK_FALSE(std::isnan(logit));
        splatting::Trainer again(dataset, options);
        for (int i = 0; i < options.iterations; ++i) again.step();
        CHECK(std::equal(again.cloud().positions().begin(), again.cloud().positions().end(),
                         trainer.cloud().positions().begin(), trainer.cloud().positions().end()));
    }

    TEST_CASE(
        "training on a rendered dataset: test PSNR rises far above the start, deterministic for a seed") {
        test::TempDir dir;
        make_dataset(dir.path());
        const Dataset dataset = load_dataset(dir.path());
        REQUIRE(dataset.test.size() == 2);
        splatting::TrainOptions options = short_run();
        splatting::Trainer trainer(dataset, options);
        const double start = trainer.evaluate().psnr;
        for (int i = 0; i < options.iterations; ++i) trainer.step();
        const splatting::Evaluation end = trainer.evaluate();
        MESSAGE("test PSNR ", start, " dB at the start, ", end.psnr, " dB after 300 iterations (SSIM ",
                end.ssim, "); ", trainer.cloud().size(), " Gaussians");
        CHECK(end.psnr > start + 8.0);
        CHECK(end.psnr > 20.0);
        CHECK(trainer.active_sh_degree() == 1);
        CHECK(trainer.cloud().size() != 4000);  // densification changed the count

        // Same seed, same result.
        splatting::Trainer again(dataset, options);
        for (int i = 0; i < options.iterations; ++i) again.step();
        CHECK(again.cloud().size() == trainer.cloud().size());
        CHECK(std::equal(again.cloud().positions().begin(), again.cloud().positions().end(),
                         trainer.cloud().positions().begin()));
    }

    TEST_CASE("a Gaussian budget caps densification") {
        test::TempDir dir;
        make_dataset(dir.path());
        const Dataset dataset = load_dataset(dir.path());
        splatting::TrainOptions options;
        options.iterations = 200;
        options.random_count = 4000;
        options.densify_from = 30;
        options.densify_until = 150;
        options.sh_degree = 0;
        const auto largest = [&](const splatting::TrainOptions& o) {
            splatting::Trainer trainer(dataset, o);
            std::size_t most = 0;
            for (int i = 0; i < o.iterations; ++i) {
                trainer.step();
                most = std::max(most, trainer.cloud().size());
            }
            return most;
        };
        const std::size_t free_growth = largest(options);
        options.max_gaussians = 4100;
        const std::size_t capped = largest(options);
        MESSAGE("largest count: ", free_growth, " without a budget, ", capped, " with a budget of 4100");
        CHECK(free_growth > 4100);
        CHECK(capped <= 4100);
        // A budget below the initial count keeps a subset of the initial Gaussians, the same for a seed.
        options.max_gaussians = 2500;
        const splatting::Trainer first(dataset, options), second(dataset, options);
        CHECK(first.cloud().size() == 2500);
        CHECK(std::vector<float>(first.cloud().positions().begin(), first.cloud().positions().end()) ==
              std::vector<float>(second.cloud().positions().begin(), second.cloud().positions().end()));
        options.seed += 1;
        const splatting::Trainer other(dataset, options);
        CHECK(std::vector<float>(other.cloud().positions().begin(), other.cloud().positions().end()) !=
              std::vector<float>(first.cloud().positions().begin(), first.cloud().positions().end()));
    }

    TEST_CASE("quality floor: 1000 iterations on the shipped sample dataset reach 28 dB on its test views") {
        // assets/sample/dataset: 42 training and 6 test views at 200x200 of the sample model (glint synth),
        // initialised from its 5,000 surface points, trained on the CPU through the command users run.
        test::TempDir dir;
        const auto out = dir / "sample.ply";
        const test::CommandResult r = test::run_glint(
            "train -q " + test::quoted(test::source_dir() / "assets/sample/dataset") + " -o " +
            test::quoted(out) + " --iters 1000 --eval-every 1000 --csv " + test::quoted(dir / "curve.csv"));
        INFO(r.output);
        REQUIRE(r.exit_code == 0);
        const std::vector<double> fields = test::last_csv_row(dir / "curve.csv");
        REQUIRE(fields.size() == 6);
        MESSAGE("sample dataset, 1000 iterations: test PSNR ", fields[3], " dB, SSIM ", fields[4], ", ",
                fields[2], " Gaussians, ", fields[1], " s");
        CHECK(fields[0] == 1000);
        CHECK(fields[3] >= 28.0);
        CHECK(fields[4] >= 0.93);
        // The written scene is the trained one: it loads and renders the object where the data has it.
        const test::CommandResult render =
            test::run_glint("render " + test::quoted(out) + " --cameras " +
                            test::quoted(test::source_dir() / "assets/sample/dataset/transforms.json") +
                            " --index 0 --background white -o " + test::quoted(dir / "view.png"));
        INFO(render.output);
        REQUIRE(render.exit_code == 0);
        // View 0 is a test view (every 8th from the first); compare with its image over white.
        const double psnr = test::psnr_over_white(
            dir / "view.png", test::source_dir() / "assets/sample/dataset/images/r_000.png");
        MESSAGE("glint render of the written scene at test view 0: PSNR ", psnr, " dB");
        CHECK(psnr >= 27.0);
    }

    TEST_CASE(
        "quality floor from random initialisation: the sample dataset without its points reaches 28 dB") {
        // The same data and length as the floor above, started from 50,000 random Gaussians in a cube
        // around the object: before the background opacity reset and the fitted schedule, such runs
        // learned the training views and covered the test views in white haze (19.8 dB after 1500
        // iterations).
        test::TempDir dir;
        const test::CommandResult r =
            test::run_glint("train -q " + test::quoted(test::source_dir() / "assets/sample/dataset") +
                            " -o " + test::quoted(dir / "random.ply") + " --iters 1000 --init random --csv " +
                            test::quoted(dir / "curve.csv"));
        INFO(r.output);
        REQUIRE(r.exit_code == 0);
        const std::vector<double> fields = test::last_csv_row(dir / "curve.csv");
        REQUIRE(fields.size() == 6);
        MESSAGE("sample dataset from random initialisation, 1000 iterations: test PSNR ", fields[3],
                " dB, SSIM ", fields[4], ", ", fields[2], " Gaussians, ", fields[1], " s");
        CHECK(fields[3] >= 28.0);
        CHECK(fields[4] >= 0.93);
    }

    TEST_CASE(
        "a learnt background: photos over a backdrop learn its colour instead of floaters that paint it") {
        // The default scene's views over a blue-grey backdrop (photos without alpha), trained from random
        // Gaussians over black (the reference's colour for photos), and with the background learnt from a
        // red start.
        test::TempDir dir;
        const std::array<float, 3> backdrop{0.3f, 0.5f, 0.7f};
        make_dataset(dir.path(), 16, {backdrop[0], backdrop[1], backdrop[2]});
        DatasetOptions over_black;
        over_black.background = {0.0f, 0.0f, 0.0f};
        const Dataset dataset = load_dataset(dir.path(), over_black);
        const double fixed = held_out_psnr(dataset, {});
        splatting::TrainOptions learning;
        learning.learn_background = true;
        learning.background_start = std::array<float, 3>{1.0f, 0.0f, 0.0f};
        const splatting::TrainOptions options = shortened(learning, dataset.train.size());
        splatting::Trainer trainer(dataset, options);
        for (int i = 0; i < options.iterations; ++i) trainer.step();
        const double learnt = trainer.evaluate().psnr;
        const std::array<float, 3> colour = trainer.background();
        MESSAGE("held out: ", learnt, " dB with the background learnt (", colour[0], ", ", colour[1], ", ",
                colour[2], "), ", fixed, " dB over black");
        for (int k = 0; k < 3; ++k) CHECK(std::abs(colour[k] - backdrop[k]) < 0.02f);
        CHECK(learnt > fixed + 3.0);
        REQUIRE(trainer.cloud().background());
        CHECK(*trainer.cloud().background() == colour);

        // A NeRF learns it the same way (on its networks' schedule: a constant rate).
        const auto nerf_run = [&](bool learn) {
            nerf::NerfTrainOptions nerf_options = short_nerf_run();
            nerf_options.learn_background = learn;
            // 0.1 off in each channel (from a start far off, the density paints the backdrop before the
            // colour gets there: 300 steps from red reached (0.62, 0.22, 0.41)).
            nerf_options.background_start = std::array<float, 3>{0.4f, 0.4f, 0.6f};
            nerf::NerfTrainer nerf_trainer(dataset, small_nerf_config(dataset), nerf_options);
            for (int i = 0; i < nerf_options.iterations; ++i) nerf_trainer.step();
            return std::make_pair(nerf_trainer.evaluate().psnr, nerf_trainer.model().background());
        };
        const auto [nerf_learnt, nerf_colour] = nerf_run(true);
        const auto [nerf_fixed, nerf_none] = nerf_run(false);
        REQUIRE(nerf_colour);
        CHECK_FALSE(nerf_none);
        MESSAGE("NeRF held out: ", nerf_learnt, " dB with the background learnt (", (*nerf_colour)[0], ", ",
                (*nerf_colour)[1], ", ", (*nerf_colour)[2], "), ", nerf_fixed, " dB over black");
        // The colour's error at least halves in the 300 steps, in every channel.
        for (int k = 0; k < 3; ++k) CHECK(std::abs((*nerf_colour)[k] - backdrop[k]) < 0.05f);
        CHECK(nerf_learnt > nerf_fixed + 2.0);

        // glint train learns it by default for photos without alpha and writes it into the PLY; renders
        // use it unless --background says otherwise (a view away from the scene shows only the background).
        const std::string out = test::quoted(dir / "scene.ply");
        const test::CommandResult trained = test::run_glint("train " + test::quoted(dir.path()) + " -o " +
                                                            out + " --iters 300 --init-count 3000");
        INFO(trained.output);
        REQUIRE(trained.exit_code == 0);
        CHECK(trained.output.find("background: learnt") != std::string::npos);
        const splatting::LoadedScene written = splatting::load_scene(dir / "scene.ply");
        REQUIRE(written.cloud.background());
        const std::array<float, 3> stored = *written.cloud.background();
        for (int k = 0; k < 3; ++k) CHECK(std::abs(stored[k] - backdrop[k]) < 0.05f);
        const std::string away = " --lookat 100,0,0,200,0,0,0,0,1 --width 8 --height 8 -o ";
        for (const std::string& option : {std::string(), std::string(" --background 1,0,1")}) {
            const test::CommandResult rendered =
                test::run_glint("render -q " + out + away + test::quoted(dir / "away.png") + option);
            REQUIRE(rendered.exit_code == 0);
            const ImageRgb image = read_view(dir / "away.png", 8);
            const std::array<float, 3> expected =
                option.empty() ? stored : std::array<float, 3>{1.0f, 0.0f, 1.0f};
            for (int k = 0; k < 3; ++k) CHECK(std::abs(image.rgb[k] - expected[k]) < 1.0f / 255.0f);
        }
        // Formats with no place for it say so.
        const test::CommandResult converted =
            test::run_glint("convert " + out + " " + test::quoted(dir / "scene.spz"));
        CHECK(converted.exit_code == 0);
        CHECK(converted.output.find("does not keep the scene's learnt background") != std::string::npos);
        // A PLY stating a background outside [0, 1] is an input error naming the file.
        std::ifstream in(dir / "scene.ply", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::size_t at = bytes.find("comment glint background ");
        REQUIRE(at != std::string::npos);
        bytes.replace(at + 25, 1, "7");  // the red component's leading digit: 0.3... -> 7.3...
        std::ofstream(dir / "bad.ply", std::ios::binary) << bytes;
        test::check_input_error([&] { splatting::load_scene(dir / "bad.ply"); },
                                {"bad.ply", "glint background"});
    }

    TEST_CASE("glint train writes a scene and the evaluation CSV, bad input leaves nothing behind") {
        test::TempDir dir;
        make_dataset(dir.path());
        const auto out = dir.path() / "trained.ply";
        const test::CommandResult run =
            test::run_glint("train -q " + test::quoted(dir.path()) + " -o " + test::quoted(out) +
                            " --iters 60 --init-count 2000 --eval-every 30");
        INFO(run.output);
        CHECK(run.exit_code == 0);
        CHECK(std::filesystem::exists(out));
        std::ifstream csv(dir.path() / "trained.csv");
        std::string header, line;
        std::getline(csv, header);
        CHECK(header == "iteration,seconds,gaussians,test_psnr,test_ssim,test_l1");
        int rows = 0;
        while (std::getline(csv, line)) ++rows;
        CHECK(rows == 2);
        std::filesystem::remove(dir.path() / "r_3.png");
        const test::CommandResult missing = test::run_glint("train " + test::quoted(dir.path()) + " -o " +
                                                            test::quoted(dir.path() / "other.ply"));
        CHECK(missing.exit_code == 2);
        CHECK(missing.output.find("r_3.png") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(dir.path() / "other.ply"));
    }
}

TEST_SUITE("cpu") {
    TEST_CASE("checkpoints resume exactly, Ctrl-C saves one, a bad checkpoint is an input error") {
        test::TempDir dir;
        make_dataset(dir.path());
        const Dataset dataset = load_dataset(dir.path());
        splatting::TrainOptions options;
        options.iterations = 120;
        options.random_count = 3000;
        options.learn_background = true;  // its colour and moments resume too
        options.densify_from = 20;
        options.densify_until = 100;
        options.densify_interval = 20;
        options.sh_interval = 50;
        splatting::Trainer straight(dataset, options);
        for (int i = 0; i < 120; ++i) straight.step();

        splatting::Trainer first(dataset, options);
        for (int i = 0; i < 70; ++i) first.step();
        first.save_checkpoint(dir / "half.ckpt");
        splatting::Trainer resumed(dataset, options);
        resumed.load_checkpoint(dir / "half.ckpt");
        CHECK(resumed.iteration() == 70);
        for (int i = 0; i < 50; ++i) resumed.step();
        REQUIRE(resumed.cloud().size() == straight.cloud().size());
        CHECK(std::equal(resumed.cloud().positions().begin(), resumed.cloud().positions().end(),
                         straight.cloud().positions().begin()));
        CHECK(std::equal(resumed.cloud().sh_rest().begin(), resumed.cloud().sh_rest().end(),
                         straight.cloud().sh_rest().begin()));
        CHECK(resumed.background() == straight.background());
        REQUIRE(resumed.cloud().background());
        CHECK(*resumed.cloud().background() == straight.background());

        // Truncated, or trained with another SH degree.
        std::filesystem::resize_file(dir / "half.ckpt", 1000);
        splatting::Trainer other(dataset, options);
        test::check_input_error([&] { other.load_checkpoint(dir / "half.ckpt"); },
                                {"half.ckpt", "truncated"});
        first.save_checkpoint(dir / "half.ckpt");
        options.sh_degree = 2;
        splatting::Trainer lower(dataset, options);
        test::check_input_error([&] { lower.load_checkpoint(dir / "half.ckpt"); },
                                {"half.ckpt", "SH degree 3"});
        options.sh_degree = 3;
        options.learn_background = false;
        splatting::Trainer fixed(dataset, options);
        test::check_input_error([&] { fixed.load_checkpoint(dir / "half.ckpt"); },
                                {"half.ckpt", "learnt background"});

        // Ctrl-C: glint train saves a checkpoint and exits 130; --resume finishes the run.
        const std::string data = test::quoted(dir.path()), out = test::quoted(dir / "scene.ply");
        const test::CommandResult interrupted =
            test::run_glint_under("timeout --preserve-status -s INT 3",
                                  "train " + data + " -o " + out + " --iters 100000 --init-count 2000");
        CHECK(interrupted.exit_code == 130);
        CHECK(interrupted.output.find("interrupted at iteration") != std::string::npos);
        REQUIRE(std::filesystem::exists(dir / "scene.ckpt"));
        CHECK_FALSE(std::filesystem::exists(dir / "scene.ply"));
        splatting::TrainOptions cli;  // what the command used, to read the iteration back
        cli.learn_background = true;  // its default for photos without alpha
        splatting::Trainer probe(dataset, cli);
        probe.load_checkpoint(dir / "scene.ckpt");
        const int reached = probe.iteration();
        CHECK(reached > 0);
        const test::CommandResult finished =
            test::run_glint("train -q " + data + " -o " + out + " --init-count 2000 --iters " +
                            std::to_string(reached + 5) + " --resume " + test::quoted(dir / "scene.ckpt"));
        INFO(finished.output);
        CHECK(finished.exit_code == 0);
        CHECK(std::filesystem::exists(dir / "scene.ply"));
    }
}

TEST_SUITE("cuda") {
    TEST_CASE("CUDA training keeps Adam and the statistic on the device and trains as the CPU does") {
        const CudaStatus& status = cuda_status();
        if (!status.usable()) {
            test::skip(status.reason);
            return;
        }
        test::TempDir dir;
        make_dataset(dir.path());
        const Dataset dataset = load_dataset(dir.path());
        splatting::TrainOptions options = short_run();
        options.densify_interval = 30;
        double psnr[2] = {0, 0};
        std::size_t sizes[2] = {0, 0};
        for (const Backend backend : {Backend::Cpu, Backend::Cuda}) {
            options.backend = backend;
            splatting::Trainer trainer(dataset, options);
            const double start = trainer.evaluate().psnr;
            for (int i = 0; i < options.iterations; ++i) trainer.step();
            const int b = backend == Backend::Cuda ? 1 : 0;
            psnr[b] = trainer.evaluate().psnr;
            sizes[b] = trainer.cloud().size();
            CHECK(psnr[b] > start + 8.0);
            for (const float x : trainer.cloud().positions()) REQUIRE(std::isfinite(x));
        }
        MESSAGE("test PSNR after 300 iterations: CPU ", psnr[0], " dB, ", sizes[0], " Gaussians; CUDA ",
                psnr[1], " dB, ", sizes[1], " Gaussians");
        CHECK(std::abs(psnr[1] - psnr[0]) < 1.0);
        CHECK(std::abs(double(sizes[1]) - double(sizes[0])) <= 0.2 * double(sizes[0]));

        // A checkpoint written from the device's state holds what the trainer holds, and resumes.
        options.backend = Backend::Cuda;
        splatting::Trainer first(dataset, options);
        for (int i = 0; i < 70; ++i) first.step();
        first.save_checkpoint(dir / "cuda.ckpt");
        options.backend = Backend::Cpu;
        splatting::Trainer on_cpu(dataset, options);
        on_cpu.load_checkpoint(dir / "cuda.ckpt");
        REQUIRE(on_cpu.cloud().size() == first.cloud().size());
        CHECK(std::ranges::equal(on_cpu.cloud().positions(), first.cloud().positions()));
        CHECK(std::ranges::equal(on_cpu.cloud().opacity_logits(), first.cloud().opacity_logits()));
        options.backend = Backend::Cuda;
        splatting::Trainer resumed(dataset, options);
        resumed.load_checkpoint(dir / "cuda.ckpt");
        for (int i = 70; i < options.iterations; ++i) resumed.step();
        const double resumed_psnr = resumed.evaluate().psnr;
        MESSAGE("resumed from iteration 70 on CUDA: ", resumed_psnr, " dB");
        CHECK(std::abs(resumed_psnr - psnr[1]) < 1.0);
    }
}

TEST_SUITE("cpu") {
    TEST_CASE("initialisation: COLMAP points by default, an empty point cloud is an error unless random") {
        const std::filesystem::path fixture = test::source_dir() / "tests/data/colmap_fixture";
        DatasetOptions half;
        half.downscale = 2;
        const Dataset dataset = load_dataset(fixture, half);
        splatting::TrainOptions options;
        options.sh_degree = 0;
        splatting::Trainer from_points(dataset, options);
        CHECK(from_points.cloud().size() == dataset.points.size());
        const splatting::StepResult step = from_points.step();
        CHECK(std::isfinite(step.loss));

        test::TempDir dir;
        std::filesystem::copy(fixture / "images", dir / "images");
        std::filesystem::create_directories(dir / "sparse/0");
        for (const char* name : {"cameras.txt", "images.txt"})
            std::filesystem::copy(fixture / "text" / name, dir / "sparse/0" / name);
        test::write_bytes(dir / "sparse/0/points3D.txt", test::as_bytes(std::string("# no points\n")));
        const Dataset empty = load_dataset(dir.path(), half);
        CHECK(empty.points.size() == 0);
        test::check_input_error([&] { splatting::Trainer t(empty, options); },
                                {"no sparse points", "--init random"});
        options.init = splatting::TrainOptions::Init::Random;
        options.random_count = 500;
        splatting::Trainer random(empty, options);
        CHECK(random.cloud().size() == 500);
    }

    TEST_CASE(
        "random initialisation fills the frustums of cameras that look outward (a room), a box for an "
        "object") {
        // tests/data/room: 32 views from inside a textured room looking at its walls
        // (tools/make_room_dataset.sh).
        const Dataset room = load_dataset(test::data_dir() / "room");
        CHECK_FALSE(room.surrounds_centre);
        CHECK(load_dataset(test::source_dir() / "assets/sample/dataset").surrounds_centre);
        splatting::TrainOptions options;
        options.init = splatting::TrainOptions::Init::Random;
        options.random_count = 2000;
        const splatting::Trainer initial(room, options);
        // Every point is in front of some training camera and inside its image, or on the background sphere.
        std::size_t seen = 0, far = 0;
        const auto& positions = initial.cloud().positions();
        for (std::size_t i = 0; i < initial.cloud().size(); ++i) {
            const glm::vec3 p(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]);
            if (glm::length(p - room.camera_centre) > 9.9f * room.camera_extent) {
                ++far;
                continue;
            }
            for (const DatasetView& v : room.train) {
                const glm::vec3 c = v.camera.rotation * p + v.camera.translation;
                const float x = v.camera.fx * c.x / c.z + v.camera.cx,
                            y = v.camera.fy * c.y / c.z + v.camera.cy;
                if (c.z > 0 && x >= 0 && x <= static_cast<float>(v.camera.width) && y >= 0 &&
                    y <= static_cast<float>(v.camera.height)) {
                    ++seen;
                    break;
                }
            }
        }
        CHECK(far == 200);
        CHECK(seen + far == initial.cloud().size());
        // Trained from there, against the object-style box around the point the cameras "look at".
        const double frustums = held_out_psnr(room, options);
        options.random_layout = splatting::TrainOptions::Layout::Box;
        const double box = held_out_psnr(room, options);
        MESSAGE("room, held-out views after 400 iterations from random Gaussians: ", frustums,
                " dB in the frustums, ", box, " dB in a box");
        CHECK(frustums > box + 1.0);
    }
}

namespace {

// The sample model's animation (the torus turns, the sphere bounces) rendered by glint synth from `views`
// cameras on the upper hemisphere at `frames` times, size x size: a multi-view video dataset.
std::filesystem::path make_video_dataset(const std::filesystem::path& dir, int views, int frames, int size) {
    synth::SynthOptions options;
    options.views = views;
    options.frames = frames;
    options.width = size;
    options.hemisphere = true;
    options.points = 2000;
    synth::synthesize(test::source_dir() / "assets/sample/model.glb", dir, options);
    return dir;
}

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE("a multi-view video dataset holds out whole cameras, every frame of each") {
        test::TempDir dir;
        const auto data = make_video_dataset(dir / "video", 4, 3, 24);
        DatasetOptions options;
        options.test_every = 2;
        const Dataset dataset = load_dataset(data, options);
        REQUIRE(dataset.test.size() == 6);
        REQUIRE(dataset.train.size() == 6);
        std::set<std::pair<std::size_t, float>> test_views, train_views;
        for (const DatasetView& v : dataset.test) test_views.insert({v.camera_id, v.time});
        for (const DatasetView& v : dataset.train) train_views.insert({v.camera_id, v.time});
        // Cameras 0 and 2 (every second from the first) at times 0, 0.5 and 1; cameras 1 and 3 train.
        CHECK(test_views == std::set<std::pair<std::size_t, float>>{
                                {0, 0.0f}, {0, 0.5f}, {0, 1.0f}, {2, 0.0f}, {2, 0.5f}, {2, 1.0f}});
        CHECK(train_views == std::set<std::pair<std::size_t, float>>{
                                 {1, 0.0f}, {1, 0.5f}, {1, 1.0f}, {3, 0.0f}, {3, 0.5f}, {3, 1.0f}});
        // Views of one camera share its pose; a still dataset still splits view by view.
        for (const DatasetView& v : dataset.test)
            CHECK(v.camera.position() == dataset.test[v.camera_id == 0 ? 0 : 3].camera.position());
        const Dataset still = load_dataset(test::source_dir() / "assets/sample/dataset");
        CHECK(still.test.size() == 6);
    }

    TEST_CASE("4D checkpoints resume exactly, and a 4D checkpoint does not load into 3D training") {
        test::TempDir dir;
        const Dataset dataset = load_dataset(make_video_dataset(dir / "video", 6, 3, 32));
        splatting::TrainOptions options;
        options.temporal = true;
        options.time_color_degree = 1;
        options.batch_views = 2;
        options.iterations = 60;
        options.densify_from = 10;
        options.densify_until = 50;
        options.densify_interval = 10;
        options.sh_interval = 20;
        splatting::Trainer straight(dataset, options);
        REQUIRE(straight.cloud().is_4d());
        for (int i = 0; i < 60; ++i) straight.step();
        splatting::Trainer first(dataset, options);
        for (int i = 0; i < 35; ++i) first.step();
        first.save_checkpoint(dir / "half.ckpt");
        splatting::Trainer resumed(dataset, options);
        resumed.load_checkpoint(dir / "half.ckpt");
        for (int i = 0; i < 25; ++i) resumed.step();
        const splatting::GaussianCloud &a = resumed.cloud(), &b = straight.cloud();
        REQUIRE(a.size() == b.size());
        CHECK(a.size() != 2000);  // densification ran
        const auto same = [](std::span<const float> x, std::span<const float> y) {
            return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
        };
        CHECK(same(a.positions(), b.positions()));
        CHECK(same(a.time_means(), b.time_means()));
        CHECK(same(a.log_time_scales(), b.log_time_scales()));
        CHECK(same(a.rotations_right(), b.rotations_right()));
        CHECK(same(a.time_color(), b.time_color()));
        // Every 4D parameter moved from its start.
        const splatting::Trainer start(dataset, options);
        CHECK_FALSE(same(std::span(start.cloud().rotations_right()).first(4 * 100),
                         std::span(b.rotations_right()).first(4 * 100)));
        double colour = 0;
        for (const float c : b.time_color()) colour += std::abs(c);
        CHECK(colour > 0);

        options.temporal = false;
        options.time_color_degree = 0;
        splatting::Trainer still(dataset, options);
        test::check_input_error([&] { still.load_checkpoint(dir / "half.ckpt"); }, {"half.ckpt", "4D"});
    }

    TEST_CASE("4D training uses time: a multi-view video trains to a floor, well above a static scene") {
        // 16 cameras (14 train, 2 held out) x 6 frames at 64x64 of the sample animation, 4D from the first
        // frame's points against a static scene on the same frames, through the command users run.
        test::TempDir dir;
        const auto data = make_video_dataset(dir / "video", 16, 6, 64);
        const auto train = [&](const std::string& name, const std::string& extra) {
            const test::CommandResult r = test::run_glint("train -q " + test::quoted(data) + " -o " +
                                                          test::quoted(dir / (name + ".ply")) +
                                                          " --iters 1200 --batch-views 2 " + extra);
            INFO(r.output);
            REQUIRE(r.exit_code == 0);
            return test::last_csv_row(dir / (name + ".csv"));
        };
        const std::vector<double> dynamic = train("dynamic", ""), still = train("still", "--model gaussians");
        MESSAGE("4D sample, 1200 iterations of 2 views: 4D test PSNR ", dynamic[3], " dB (", dynamic[2],
                " Gaussians, ", dynamic[1], " s), static ", still[3], " dB (", still[1], " s)");
        CHECK(dynamic[3] >= 25.0);
        CHECK(dynamic[3] >= still[3] + 2.5);
        // The per-frame scores: one row per frame time of the final evaluation.
        std::ifstream frames(dir / "dynamic_frames.csv");
        std::string line;
        std::getline(frames, line);
        CHECK(line == "iteration,time,test_psnr,test_ssim,views");
        int rows = 0;
        while (std::getline(frames, line)) ++rows;
        CHECK(rows == 6);
        // The written scene is 4D and plays the animation: held-out camera 0 rendered at frame 0's time
        // matches frame 0 better than frame 3, and at frame 3's time the other way round.
        const test::CommandResult info = test::run_glint("info " + test::quoted(dir / "dynamic.ply"));
        CHECK(info.output.find("4D") != std::string::npos);
        CHECK(info.output.find("time range     [0, 1]") != std::string::npos);  // the frames' times
        const auto render = [&](int frame) {
            const auto png = dir / ("frame" + std::to_string(frame) + ".png");
            const test::CommandResult r = test::run_glint(
                "render " + test::quoted(dir / "dynamic.ply") + " --cameras " +
                test::quoted(data / "transforms.json") + " --index " + std::to_string(16 * frame) +
                " --time " + std::to_string(frame / 5.0) + " --background white -o " + test::quoted(png));
            INFO(r.output);
            REQUIRE(r.exit_code == 0);
            return png;
        };
        const auto truth = [&](int frame) {
            return data / "images" / ("r_000_f00" + std::to_string(frame) + ".png");
        };
        const auto at0 = render(0), at4 = render(3);
        const double p00 = test::psnr_over_white(at0, truth(0)), p04 = test::psnr_over_white(at0, truth(3)),
                     p44 = test::psnr_over_white(at4, truth(3)), p40 = test::psnr_over_white(at4, truth(0));
        MESSAGE("held-out camera 0: render at frame 0 against frames 0 and 3: ", p00, " and ", p04,
                " dB; at frame 3: ", p44, " and ", p40, " dB");
        CHECK(p00 > p04 + 2.0);
        CHECK(p44 > p40 + 2.0);
    }
}

namespace {

// The Dynamic 3D Gaussians / CMU Panoptic layout made from a synth multi-view video: ims/C/TTTTTT.jpg
// (over white), train_meta.json with every camera but the first, test_meta.json with the first, and
// init_pt_cld.npz from the synth's points (segmentation 1). Returns the synth's cameras.
CameraSet make_panoptic_dataset(const std::filesystem::path& video, const std::filesystem::path& out,
                                int views, int frames) {
    const CameraSet truth = load_cameras(video / "transforms.json");
    nlohmann::json train, test;
    for (nlohmann::json* meta : {&train, &test}) {
        (*meta)["w"] = truth.cameras.front().width;
        (*meta)["h"] = truth.cameras.front().height;
    }
    for (int t = 0; t < frames; ++t) {
        nlohmann::json k[2], w2c[2], fn[2], ids[2];
        for (int c = 0; c < views; ++c) {
            const std::size_t i = static_cast<std::size_t>(t * views + c);
            const Camera& camera = truth.cameras[i];
            DatasetView view;
            view.image = video / truth.names[i];
            view.camera = camera;
            const ImageRgb image = Dataset().load_image(view);
            std::vector<std::uint8_t> rgb(image.rgb.size());
            for (std::size_t p = 0; p < rgb.size(); ++p) rgb[p] = to_unorm8(image.rgb[p]);
            char name[32];
            std::snprintf(name, sizeof name, "%d/%06d.jpg", c, t);
            std::filesystem::create_directories(out / "ims" / std::to_string(c));
            write_jpeg(out / "ims" / name, camera.width, camera.height, rgb, 95);
            const int split = c == 0 ? 1 : 0;
            k[split].push_back({{camera.fx, 0, camera.cx}, {0, camera.fy, camera.cy}, {0, 0, 1}});
            nlohmann::json pose = nlohmann::json::array();
            for (int r = 0; r < 4; ++r)
                pose.push_back(r < 3 ? nlohmann::json{camera.rotation[0][r], camera.rotation[1][r],
                                                      camera.rotation[2][r], camera.translation[r]}
                                     : nlohmann::json{0, 0, 0, 1});
            w2c[split].push_back(pose);
            fn[split].push_back(name);
            ids[split].push_back(c);
        }
        for (int split = 0; split < 2; ++split) {
            nlohmann::json& meta = split == 0 ? train : test;
            meta["k"].push_back(k[split]);
            meta["w2c"].push_back(w2c[split]);
            meta["fn"].push_back(fn[split]);
            meta["cam_id"].push_back(ids[split]);
        }
    }
    std::ofstream(out / "train_meta.json") << train.dump();
    std::ofstream(out / "test_meta.json") << test.dump();
    const PointCloud points = read_point_ply(video / "points3D.ply");
    std::vector<double> data;
    for (std::size_t i = 0; i < points.size(); ++i) {
        for (int k = 0; k < 3; ++k) data.push_back(points.positions[3 * i + static_cast<std::size_t>(k)]);
        for (int k = 0; k < 3; ++k) data.push_back(points.colors[3 * i + static_cast<std::size_t>(k)]);
        data.push_back(1.0);
    }
    write_npz(out / "init_pt_cld.npz", {{"data", {{points.size(), 7}, data}}});
    return truth;
}

}  // namespace

TEST_SUITE("cpu") {
    TEST_CASE(
        "the Panoptic layout (Dynamic 3D Gaussians) loads with its cameras, times and points, and trains") {
        test::TempDir dir;
        const auto video = make_video_dataset(dir / "video", 4, 3, 32);
        const auto panoptic = dir / "panoptic";
        const CameraSet truth = make_panoptic_dataset(video, panoptic, 4, 3);
        const Dataset dataset = load_dataset(panoptic);
        CHECK(dataset.kind == "Panoptic (Dynamic 3D Gaussians)");
        REQUIRE(dataset.train.size() == 9);
        REQUIRE(dataset.test.size() == 3);
        CHECK(dataset.points.size() == 2000);
        // Training views: cameras 1-3 at times 0, 0.5 and 1, posed as the synth's cameras.
        for (std::size_t i = 0; i < dataset.train.size(); ++i) {
            const DatasetView& v = dataset.train[i];
            const std::size_t t = i / 3, c = i % 3 + 1;
            CHECK(v.time == doctest::Approx(0.5 * static_cast<double>(t)));
            const Camera& expected = truth.cameras[t * 4 + c];
            CHECK(glm::length(v.camera.position() - expected.position()) < 1e-4f);
            CHECK(v.camera.fx == doctest::Approx(expected.fx));
            CHECK(v.camera_id == c - 1);
        }
        CHECK(glm::length(dataset.test[2].camera.position() - truth.cameras[8].position()) < 1e-4f);
        // A short 4D training through the command.
        const test::CommandResult r = test::run_glint("train -q " + test::quoted(panoptic) + " -o " +
                                                      test::quoted(dir / "p.ply") + " --iters 30");
        INFO(r.output);
        CHECK(r.exit_code == 0);
        CHECK(test::run_glint("info " + test::quoted(dir / "p.ply")).output.find("4D") != std::string::npos);
        // Lying files: a pose of the wrong shape, a missing image, a broken point archive.
        std::string meta;
        {
            std::ifstream in(panoptic / "train_meta.json");
            meta.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        nlohmann::json bad = nlohmann::json::parse(meta);
        bad["w2c"][1][2].erase(3);
        std::ofstream(panoptic / "train_meta.json") << bad.dump();
        test::check_input_error([&] { load_dataset(panoptic); }, {"train_meta.json", "w2c[1][2]", "4x4"});
        std::ofstream(panoptic / "train_meta.json") << meta;
        std::filesystem::remove(panoptic / "ims/2/000001.jpg");
        test::check_input_error([&] { load_dataset(panoptic); }, {"000001.jpg", "no such image"});
        write_jpeg(panoptic / "ims/2/000001.jpg", 32, 32, std::vector<std::uint8_t>(32 * 32 * 3, 128), 90);
        std::filesystem::resize_file(panoptic / "init_pt_cld.npz", 100);
        test::check_input_error([&] { load_dataset(panoptic); }, {"init_pt_cld.npz"});
    }

    TEST_CASE(".npz archives: NumPy point clouds round-trip, and a truncated archive is an input error") {
        test::TempDir dir;
        const std::vector<double> a{1, 2, 3, 4, 5, 6}, b{-1.5};
        write_npz(dir / "x.npz", {{"a", {{2, 3}, a}}, {"b", {{1}, b}}});
        const std::map<std::string, NpyArray> read = read_npz(dir / "x.npz");
        REQUIRE(read.size() == 2);
        CHECK(read.at("a").shape == std::vector<std::size_t>{2, 3});
        CHECK(read.at("a").data == a);
        CHECK(read.at("b").data == b);
        std::filesystem::resize_file(dir / "x.npz", 40);
        test::check_input_error([&] { read_npz(dir / "x.npz"); }, {"x.npz"});
        test::check_input_error([&] { read_npz(dir / "none.npz"); }, {"none.npz"});
    }
}

TEST_SUITE("cpu") {
    TEST_CASE("D-NeRF's monocular layout: one camera per time in transforms_train.json, trained as 4D") {
        // A synth video of 6 cameras x 5 frames; frame f seen by camera f + 1 for training, by camera 0
        // for testing, written as D-NeRF writes its scenes (times in [0, 1]).
        test::TempDir dir;
        const auto video = make_video_dataset(dir / "video", 6, 5, 32);
        const CameraSet all = load_cameras(video / "transforms.json");
        CameraSet train, test;
        for (int f = 0; f < 5; ++f)
            for (auto [set, camera] : {std::pair{&train, f + 1}, std::pair{&test, 0}}) {
                const std::size_t i = static_cast<std::size_t>(f * 6 + camera);
                set->cameras.push_back(all.cameras[i]);
                set->names.push_back(all.names[i]);
                set->times.push_back(all.times[i]);
            }
        write_transforms(video / "transforms_train.json", train);
        write_transforms(video / "transforms_test.json", test);
        const Dataset d = load_dataset(video);
        REQUIRE(d.train.size() == 5);
        REQUIRE(d.test.size() == 5);
        for (std::size_t f = 0; f < 5; ++f) {
            CHECK(d.train[f].time == doctest::Approx(0.25 * static_cast<double>(f)));
            CHECK(d.train[f].camera_id == f);  // a new camera every frame
        }
        const test::CommandResult info = test::run_glint("info " + test::quoted(video));
        CHECK(info.output.find("monocular") != std::string::npos);
        const test::CommandResult r = test::run_glint("train -q " + test::quoted(video) + " -o " +
                                                      test::quoted(dir / "d.ply") + " --iters 30");
        INFO(r.output);
        CHECK(r.exit_code == 0);
        CHECK(test::run_glint("info " + test::quoted(dir / "d.ply")).output.find("4D") != std::string::npos);
    }
}

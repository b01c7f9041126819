// The NeRF model: configuration checks, normalized space, the occupancy grid's cells, the ray marcher,
// density queries, and the .nerf file.
#include "glint/nerf/model.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

#include "glint/core/atomic_file.h"
#include "glint/core/binary_io.h"
#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/nerf/nerf_math.h"

namespace glint::nerf {
namespace {

constexpr char kMagic[8] = {'G', 'L', 'I', 'N', 'T', 'N', 'R', 'F'};

}  // namespace

void check_config(const NerfConfig& c) {
    if (c.hidden < 8 || c.hidden > 256) throw InputError("NeRF hidden width must be between 8 and 256");
    if (c.geometry_features < 1 || c.geometry_features > 64)
        throw InputError("NeRF geometry features must be between 1 and 64");
    if (c.cascades < 1 || c.cascades > 8) throw InputError("NeRF cascades must be between 1 and 8");
    if (c.occupancy_resolution < 8 || c.occupancy_resolution > 512 || c.occupancy_resolution % 8 != 0)
        throw InputError("the occupancy resolution must be a multiple of 8 between 8 and 512");
    if (c.steps < 16 || c.steps > 8192) throw InputError("NeRF steps must be between 16 and 8192");
    if (!(c.half_size > 0.0f) || !std::isfinite(c.half_size) || !std::isfinite(c.centre.x) ||
        !std::isfinite(c.centre.y) || !std::isfinite(c.centre.z))
        throw InputError("the NeRF scene box must be finite and non-empty");
    if (!(c.cone_angle >= 0.0f && c.cone_angle < 0.1f))
        throw InputError("the NeRF cone angle must be in [0, 0.1)");
    (void)grid_levels(c.grid);  // throws for a bad grid
}

HashGridConfig scaled_grid_config(const NerfConfig& config) {
    HashGridConfig grid = config.grid;
    grid.max_resolution *= static_cast<float>(1 << (config.cascades - 1));
    return grid;
}

NerfModel::NerfModel(const NerfConfig& config)
    : m_config((check_config(config), config)),
      m_grid(scaled_grid_config(config)),
      m_density({config.grid.levels * config.grid.features, config.hidden, config.geometry_features}),
      m_colour({config.geometry_features + kShDirWidth, config.hidden, config.hidden, 3}) {
    const std::size_t r = static_cast<std::size_t>(config.occupancy_resolution);
    m_occupancy.assign(static_cast<std::size_t>(config.cascades) * r * r * r, 1);
    m_outer_half = 0.5f * static_cast<float>(1 << (config.cascades - 1));
    m_min_step = std::sqrt(3.0f) / static_cast<float>(config.steps);
}

void NerfModel::initialize(std::uint64_t seed) {
    m_grid.initialize(seed);
    m_density.initialize(seed + 1);
    m_colour.initialize(seed + 2);
    std::fill(m_occupancy.begin(), m_occupancy.end(), std::uint8_t{1});
}

std::size_t NerfModel::occupied_cells() const {
    return static_cast<std::size_t>(std::count(m_occupancy.begin(), m_occupancy.end(), std::uint8_t{1}));
}

std::size_t NerfModel::parameter_count() const {
    return m_grid.params().size() + m_density.weights().size() + m_colour.weights().size();
}

glm::vec3 NerfModel::to_normalized(glm::vec3 world) const {
    return (world - m_config.centre) * normalized_scale() + glm::vec3(0.5f);
}

void NerfModel::encoding_input(const float p[3], float out[3]) const {
    const float inv = 0.5f / m_outer_half;
    for (int k = 0; k < 3; ++k) out[k] = std::clamp((p[k] - 0.5f) * inv + 0.5f, 0.0f, 1.0f);
}

MarchGrid NerfModel::march_grid() const {
    return {m_occupancy.data(), m_config.cascades, m_config.occupancy_resolution, m_min_step,
            m_config.cone_angle};
}

std::int64_t NerfModel::cell_of(const float p[3]) const {
    return grid_cell_of(march_grid(), p);
}

void NerfModel::cell_box(std::size_t cell, float lo[3], float hi[3]) const {
    grid_cell_box(march_grid(), cell, lo, hi);
}

void NerfModel::occupied_box(glm::vec3& lo, glm::vec3& hi) const {
    lo = glm::vec3(1e30f);
    hi = glm::vec3(-1e30f);
    const std::size_t r = static_cast<std::size_t>(m_config.occupancy_resolution), cells = r * r * r;
    for (std::size_t i = 0; i < cells; ++i) {
        if (!m_occupancy[i]) continue;
        float a[3], b[3];
        cell_box(i, a, b);
        lo = glm::min(lo, glm::vec3(a[0], a[1], a[2]));
        hi = glm::max(hi, glm::vec3(b[0], b[1], b[2]));
    }
    if (lo.x > hi.x) {
        lo = glm::vec3(0.0f);
        hi = glm::vec3(1.0f);
    }
    const float world = 1.0f / normalized_scale();
    lo = m_config.centre + (lo - glm::vec3(0.5f)) * world;
    hi = m_config.centre + (hi - glm::vec3(0.5f)) * world;
}

RayCursor NerfModel::start_ray(const float o[3], const float d[3], float near) const {
    const float lo[3] = {0.5f - m_outer_half, 0.5f - m_outer_half, 0.5f - m_outer_half},
                hi[3] = {0.5f + m_outer_half, 0.5f + m_outer_half, 0.5f + m_outer_half};
    RayCursor cursor;
    ray_box(o, d, lo, hi, cursor.t, cursor.t_far);
    cursor.t = std::max(cursor.t, near);
    return cursor;
}

int NerfModel::march(const float o[3], const float d[3], RayCursor& cursor, int max, float* t_out,
                     float* dt_out) const {
    return march_ray(march_grid(), o, d, cursor.t, cursor.t_far, max, t_out, dt_out);
}

void NerfModel::density(std::span<const float> positions, std::span<float> sigma) const {
    const std::size_t n = sigma.size();
    GLINT_CHECK(positions.size() == 3 * n, "NerfModel::density: sizes differ");
    std::vector<float> inputs(3 * n);
    for (std::size_t i = 0; i < n; ++i) encoding_input(&positions[3 * i], &inputs[3 * i]);
    std::vector<float> features(n * static_cast<std::size_t>(m_grid.output_width()));
    m_grid.forward(inputs, features);
    std::vector<float> out(n * static_cast<std::size_t>(m_config.geometry_features));
    m_density.infer(features, out);
    for (std::size_t i = 0; i < n; ++i)
        sigma[i] = density_activation(out[i * static_cast<std::size_t>(m_config.geometry_features)]);
}

// ---- the .nerf file ----

void save_nerf(const NerfModel& model, const std::filesystem::path& path) {
    const NerfConfig& c = model.config();
    BinaryWriter w;
    for (const char ch : kMagic) w.put(ch);
    w.put(kNerfFormatVersion);
    w.put(static_cast<std::int32_t>(c.grid.levels));
    w.put(static_cast<std::int32_t>(c.grid.features));
    w.put(static_cast<std::int32_t>(c.grid.log2_table_size));
    w.put(c.grid.base_resolution);
    w.put(c.grid.max_resolution);
    w.put(static_cast<std::int32_t>(c.hidden));
    w.put(static_cast<std::int32_t>(c.geometry_features));
    w.put(c.centre.x);
    w.put(c.centre.y);
    w.put(c.centre.z);
    w.put(c.half_size);
    w.put(static_cast<std::int32_t>(c.cascades));
    w.put(static_cast<std::int32_t>(c.occupancy_resolution));
    w.put(static_cast<std::int32_t>(c.steps));
    w.put(c.cone_angle);
    // The hash tables: dense, or (when smaller: pruned tables) a bit per entry and the non-zero entries.
    const std::vector<float>& params = model.grid().params();
    const std::size_t f = static_cast<std::size_t>(c.grid.features), entries = params.size() / f;
    std::vector<std::uint8_t> present((entries + 7) / 8, 0);
    std::vector<float> kept;
    for (std::size_t e = 0; e < entries; ++e) {
        const auto first = params.begin() + static_cast<std::ptrdiff_t>(e * f);
        if (std::all_of(first, first + static_cast<std::ptrdiff_t>(f), [](float v) { return v == 0.0f; }))
            continue;
        present[e / 8] |= static_cast<std::uint8_t>(1u << (e % 8));
        kept.insert(kept.end(), first, first + static_cast<std::ptrdiff_t>(f));
    }
    const bool sparse = present.size() + kept.size() * sizeof(float) < params.size() * sizeof(float);
    w.put(static_cast<std::uint8_t>(sparse ? 1 : 0));
    if (sparse) {
        w.put(static_cast<std::uint64_t>(entries));
        w.put_array<std::uint8_t>(present);
        w.put_array<float>(kept);
    } else {
        w.put_array<float>(params);
    }
    w.put_array<float>(model.density_net().weights());
    w.put_array<float>(model.colour_net().weights());
    // Occupancy as bits, eight cells a byte (cell i: bit i % 8 of byte i / 8).
    const std::vector<std::uint8_t>& occupancy = model.occupancy();
    std::vector<std::uint8_t> bits((occupancy.size() + 7) / 8, 0);
    for (std::size_t i = 0; i < occupancy.size(); ++i)
        if (occupancy[i]) bits[i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
    w.put_array<std::uint8_t>(bits);
    w.put(static_cast<std::uint8_t>(model.background() ? 1 : 0));
    for (int k = 0; k < 3; ++k) w.put(model.background() ? (*model.background())[k] : 0.0f);
    w.put(fnv1a64(w.data()));
    AtomicFile file(path);
    file.write(std::as_bytes(std::span(w.data())));
    file.commit();
}

NerfModel load_nerf(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(cat(path.string(), ": cannot open the file"));
    BinaryReader r(std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()),
                   path, "not a usable glint NeRF");
    for (const char ch : kMagic)
        if (r.get<char>() != ch) r.fail("wrong magic (not a .nerf file written by glint)");
    const auto version = r.get<std::uint32_t>();
    if (version < 1 || version > kNerfFormatVersion)
        r.fail(cat("format version ", version, "; this glint reads versions 1 to ", kNerfFormatVersion));
    // The checksum first: a damaged file is reported as such, not as whatever value it garbled.
    const std::vector<char>& data = r.data();
    if (data.size() < 8 + 4 + 8) r.fail("truncated");
    std::uint64_t stored;
    std::memcpy(&stored, data.data() + data.size() - 8, 8);
    if (fnv1a64(std::span(data.data(), data.size() - 8)) != stored)
        r.fail("checksum mismatch (the file is damaged or truncated)");
    NerfConfig c;
    c.grid.levels = r.get<std::int32_t>();
    c.grid.features = r.get<std::int32_t>();
    c.grid.log2_table_size = r.get<std::int32_t>();
    c.grid.base_resolution = r.get<float>();
    c.grid.max_resolution = r.get<float>();
    c.hidden = r.get<std::int32_t>();
    c.geometry_features = r.get<std::int32_t>();
    c.centre.x = r.get<float>();
    c.centre.y = r.get<float>();
    c.centre.z = r.get<float>();
    c.half_size = r.get<float>();
    c.cascades = r.get<std::int32_t>();
    c.occupancy_resolution = r.get<std::int32_t>();
    c.steps = r.get<std::int32_t>();
    c.cone_angle = r.get<float>();
    try {
        check_config(c);
    } catch (const InputError& e) {
        r.fail(e.what());
    }
    NerfModel model(c);
    std::vector<float>& params = model.grid().params();
    if (version == 1 || r.get<std::uint8_t>() == 0) {
        r.get_into<float>(params);
    } else {
        const std::size_t f = static_cast<std::size_t>(c.grid.features), entries = params.size() / f;
        if (r.get<std::uint64_t>() != entries)
            r.fail("the hash tables' size does not match the configuration");
        const std::vector<std::uint8_t> present = r.get_array<std::uint8_t>();
        if (present.size() != (entries + 7) / 8) r.fail("the hash tables' entry mask has the wrong size");
        const std::vector<float> kept = r.get_array<float>();
        std::size_t next = 0;
        for (std::size_t e = 0; e < entries; ++e) {
            if (!((present[e / 8] >> (e % 8)) & 1u)) continue;
            if (next + f > kept.size()) r.fail("fewer stored hash entries than its entry mask marks");
            std::copy_n(kept.begin() + static_cast<std::ptrdiff_t>(next), f,
                        params.begin() + static_cast<std::ptrdiff_t>(e * f));
            next += f;
        }
        if (next != kept.size()) r.fail("more stored hash entries than its entry mask marks");
    }
    r.get_into<float>(model.density_net().weights());
    r.get_into<float>(model.colour_net().weights());
    const std::vector<std::uint8_t> bits = r.get_array<std::uint8_t>();
    std::vector<std::uint8_t>& occupancy = model.occupancy();
    if (bits.size() != (occupancy.size() + 7) / 8) r.fail("the occupancy grid's size does not match");
    for (std::size_t i = 0; i < occupancy.size(); ++i) occupancy[i] = (bits[i / 8] >> (i % 8)) & 1u;
    if (version >= 3) {
        const bool learnt = r.get<std::uint8_t>() != 0;
        std::array<float, 3> colour{};
        for (float& v : colour) v = r.get<float>();
        for (const float v : colour)
            if (!(v >= 0.0f && v <= 1.0f)) r.fail("its background is not a colour in [0, 1]");
        if (learnt) model.set_background(colour);
    }
    (void)r.get<std::uint64_t>();  // the checksum, checked above
    if (!r.at_end()) r.fail("trailing bytes");
    for (const std::span<const float> a : {std::span<const float>(model.grid().params()),
                                           std::span<const float>(model.density_net().weights()),
                                           std::span<const float>(model.colour_net().weights())})
        if (!std::all_of(a.begin(), a.end(), [](float v) { return std::isfinite(v); }))
            r.fail("non-finite parameters");
    return model;
}

}  // namespace glint::nerf

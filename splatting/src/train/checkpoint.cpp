// The Gaussian trainer's checkpoints: everything the next iterations depend on, written atomically and
// read back with every field checked against the options and the dataset.
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <vector>

#include "glint/core/atomic_file.h"
#include "glint/core/binary_io.h"
#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/splatting/train/trainer.h"

namespace glint::splatting {
namespace {

// 05: the learnt background and its Adam moments (04: none; 03 and before: appearance state).
constexpr char kCheckpointMagic[8] = {'G', 'L', 'C', 'K', 'P', 'T', '0', '5'};

}  // namespace

void Trainer::save_checkpoint(const std::filesystem::path& path) const {
    pull_state();
    BinaryWriter w;
    for (const char c : kCheckpointMagic) w.put(c);
    w.put(static_cast<std::int32_t>(m_iteration));
    w.put(static_cast<std::int32_t>(m_active_sh));
    w.put(m_random);
    w.put(static_cast<std::uint64_t>(m_next));
    w.put(static_cast<std::uint64_t>(m_cloud.size()));
    w.put(static_cast<std::int32_t>(m_cloud.sh_degree()));
    w.put(static_cast<std::int32_t>(m_cloud.is_4d() ? 1 : 0));
    w.put(static_cast<std::int32_t>(m_cloud.time_color_degree()));
    w.put(m_cloud.time_period());
    std::vector<std::uint64_t> order(m_order.begin(), m_order.end());
    w.put_array<std::uint64_t>(order);
    const GaussianCloud& c = m_cloud;
    for (const std::span<const float> a :
         {c.positions(), c.log_scales(), c.rotations(), c.opacity_logits(), c.sh_dc(), c.sh_rest(),
          c.time_means(), c.log_time_scales(), c.rotations_right(), c.time_color()})
        w.put_array<float>(a);
    for (const OptimizerState::Moments& m : m_state.moments) {
        w.put_array<float>(m.m);
        w.put_array<float>(m.v);
    }
    w.put_array<float>(m_state.grad_sums);
    w.put_array<float>(m_state.grad_views);
    m_background.write(w, m_learn_background);
    AtomicFile file(path);
    file.write(std::as_bytes(std::span(w.data())));
    file.commit();
}

void Trainer::load_checkpoint(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(cat(path.string(), ": cannot open the checkpoint"));
    BinaryReader r(std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()),
                   path, "not a usable glint checkpoint");
    for (const char c : kCheckpointMagic)
        if (r.get<char>() != c) r.fail("wrong magic (not a glint checkpoint, or another version)");
    const int iteration = r.get<std::int32_t>();
    const int active = r.get<std::int32_t>();
    const auto random = r.get<std::uint64_t>();
    const auto next = r.get<std::uint64_t>();
    const auto count = r.get<std::uint64_t>();
    const int degree = r.get<std::int32_t>();
    const bool temporal = r.get<std::int32_t>() != 0;
    const int time_degree = r.get<std::int32_t>();
    const float period = r.get<float>();
    if (degree != m_options.sh_degree)
        r.fail(cat("it was trained with SH degree ", degree, ", not ", m_options.sh_degree));
    if (temporal != m_options.temporal)
        r.fail(temporal ? "it holds 4D Gaussians; these options train 3D ones"
                        : "it holds 3D Gaussians; these options train 4D ones");
    if (time_degree != m_options.time_color_degree)
        r.fail(cat("it was trained with ", time_degree, " time-colour frequencies, not ",
                   m_options.time_color_degree));
    if (!(period > 0.0f) || !std::isfinite(period)) r.fail("its time period is not positive");
    if (count > (std::uint64_t{1} << 32)) r.fail("implausible Gaussian count");
    const std::vector<std::uint64_t> order = r.get_array<std::uint64_t>();
    for (const std::uint64_t v : order)
        if (v >= m_dataset.train.size()) r.fail("its view order does not fit this dataset");
    if (next > order.size()) r.fail("its view order is inconsistent");
    GaussianCloud cloud(count, degree, temporal, time_degree);
    cloud.set_time_period(period);
    cloud.set_up(m_cloud.up());
    cloud.set_background(m_cloud.background());
    cloud.set_time_range(m_cloud.time_range());
    for (const std::span<float> a :
         {cloud.positions(), cloud.log_scales(), cloud.rotations(), cloud.opacity_logits(), cloud.sh_dc(),
          cloud.sh_rest(), cloud.time_means(), cloud.log_time_scales(), cloud.rotations_right(),
          cloud.time_color()})
        r.get_into(a);
    std::array<OptimizerState::Moments, kParameterGroups> moments;
    for (OptimizerState::Moments& m : moments) {
        m.m = r.get_array<float>();
        m.v = r.get_array<float>();
    }
    {
        const std::array<std::size_t, kParameterGroups> strides = parameter_group_strides(cloud);
        for (std::size_t g = 0; g < kParameterGroups; ++g)
            for (const std::vector<float>* m : {&moments[g].m, &moments[g].v})
                if (!m->empty() && m->size() != count * strides[g])
                    r.fail("its optimiser state does not match the Gaussians");
    }
    std::vector<float> accum = r.get_array<float>(), counts = r.get_array<float>();
    if (accum.size() != count || counts.size() != count) r.fail("statistics do not match the Gaussians");
    LearntBackground background;
    background.read(r, m_learn_background);
    if (!r.at_end()) r.fail("trailing bytes");
    if (const auto bad = cloud.find_non_finite()) r.fail(*bad);
    m_iteration = iteration;
    m_active_sh = active;
    m_random = random;
    m_order.assign(order.begin(), order.end());
    m_next = static_cast<std::size_t>(next);
    m_cloud = std::move(cloud);
    m_state.moments = std::move(moments);
    m_state.grad_sums = std::move(accum);
    m_state.grad_views = std::move(counts);
    if (m_learn_background) {
        m_background = background;
        m_cloud.set_background(m_background.colour());
    }
    push_state();
}

}  // namespace glint::splatting

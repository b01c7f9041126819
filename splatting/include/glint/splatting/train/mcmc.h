// The relocation rule of MCMC densification (Kheradmand et al. 2024), exposed for tests.
#pragma once

namespace glint::splatting {

// `copies` Gaussians (the source among them) standing in for one of opacity `opacity`: each gets opacity
// `opacity` = 1 - (1 - opacity)^(1/copies) (at least min_opacity) and its scales times `scale_factor`, so
// that the stack's opacity profile through the centre integrates to the original's (the paper's
// binomial formula). copies is clamped to [1, 51], the paper's table.
struct Relocated {
    float opacity, scale_factor;
};
Relocated mcmc_relocation(float opacity, int copies, float min_opacity);

}  // namespace glint::splatting

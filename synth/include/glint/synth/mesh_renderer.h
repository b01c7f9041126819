// A CPU triangle rasterizer for `glint synth`: z-buffer, perspective-correct attributes, mip-mapped
// textures, simple lighting and supersampled anti-aliasing, in tiles over oneTBB.
#pragma once

#include <cstdint>
#include <vector>

#include <glm/glm.hpp>

#include "glint/core/camera.h"
#include "glint/synth/gltf_model.h"

namespace glint::synth {

// View-independent lighting, so that a low SH degree can reproduce the images: a directional key light
// plus a sky/ground hemisphere ambient, modulated by the material's occlusion texture.
struct Lighting {
    bool enabled = true;
    glm::vec3 to_light{0.35f, 1.0f, 0.55f};  // towards the key light, world space (normalized on use)
    glm::vec3 up{0.0f, 1.0f, 0.0f};          // the model's up (glTF: +y)
    float key = 0.7f, sky = 0.45f, ground = 0.15f;
};

struct MeshRenderOptions {
    int supersample = 4;  // samples per pixel along each axis (box-filtered)
    float near = 1e-3f;   // camera-space near plane
    Lighting lighting;
};

struct MeshImage {
    int width = 0, height = 0;
    std::vector<std::uint8_t> rgba;  // [H, W, 4] sRGB, straight (not premultiplied) alpha = coverage
    std::vector<float> depth;        // [H, W] camera z, averaged over the covered samples; 0 where none
};

MeshImage render_mesh(const Model& model, const std::vector<PosedPrimitive>& posed, const Camera& camera,
                      const MeshRenderOptions& options);

}  // namespace glint::synth

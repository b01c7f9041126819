// Triangles are clipped at the near plane, projected to the supersampled grid and binned into tiles;
// each tile is rasterized (depth test, alpha test) and shaded on its own thread, then box-filtered to
// pixels. Blended materials use hashed alpha testing: with many samples per pixel it averages to the
// material's opacity without sorting.
#include "glint/synth/mesh_renderer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <tbb/parallel_for.h>

#include "glint/core/image_io.h"

namespace glint::synth {
namespace {

constexpr int kTilePixels = 8;  // tile edge in pixels

struct Vertex {
    glm::vec3 cam;  // camera space
    glm::vec2 uv[2];
    glm::vec3 normal;  // world space
    glm::vec4 color;
};

struct Tri {
    std::array<Vertex, 3> v;
    glm::vec3 inv_z;
    glm::vec3 a, b, c;   // screen barycentrics l_i = a_i x + b_i y + c_i (sample units)
    int x0, y0, x1, y1;  // sample bounding box, inclusive
    const Material* material;
    bool smooth;  // vertex normals (otherwise the flat normal in v[0].normal)
};

float linear_to_srgb(float c) {
    c = std::clamp(c, 0.0f, 1.0f);
    return c <= 0.0031308f ? 12.92f * c : 1.055f * std::pow(c, 1.0f / 2.4f) - 0.055f;
}

// A hash of the sample and triangle in [0, 1) (hashed alpha testing).
float hash01(std::uint32_t x, std::uint32_t y, std::uint32_t t) {
    std::uint32_t h = x * 0x8da6b343u ^ y * 0xd8163841u ^ t * 0xcb1ab31fu;
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return static_cast<float>(h >> 8) * (1.0f / 16777216.0f);
}

Vertex lerp(const Vertex& p, const Vertex& q, float s) {
    Vertex r;
    r.cam = p.cam + (q.cam - p.cam) * s;
    for (int k = 0; k < 2; ++k) r.uv[k] = p.uv[k] + (q.uv[k] - p.uv[k]) * s;
    r.normal = p.normal + (q.normal - p.normal) * s;
    r.color = p.color + (q.color - p.color) * s;
    return r;
}

const Material kDefaultMaterial{};

struct Setup {
    const Camera& camera;
    int sw, sh, ss;
    std::vector<Tri> tris;

    // Projects a triangle of camera-space vertices (all in front of the near plane) and keeps it when it
    // covers a sample.
    void add(const Vertex& v0, const Vertex& v1, const Vertex& v2, const Material* material, bool smooth) {
        Tri t;
        t.v = {v0, v1, v2};
        glm::vec2 s[3];
        for (int i = 0; i < 3; ++i) {
            const glm::vec3& p = t.v[static_cast<std::size_t>(i)].cam;
            s[i] = {(camera.fx * p.x / p.z + camera.cx) * static_cast<float>(ss),
                    (camera.fy * p.y / p.z + camera.cy) * static_cast<float>(ss)};
            t.inv_z[i] = 1.0f / p.z;
        }
        const float area = (s[1].x - s[0].x) * (s[2].y - s[0].y) - (s[2].x - s[0].x) * (s[1].y - s[0].y);
        if (!(std::abs(area) > 1e-12f)) return;
        // l_0 is the edge function of edge (1, 2) over the area, and so on.
        for (int i = 0; i < 3; ++i) {
            const glm::vec2 p = s[(i + 1) % 3], q = s[(i + 2) % 3];
            t.a[i] = (p.y - q.y) / area;
            t.b[i] = (q.x - p.x) / area;
            t.c[i] = (p.x * q.y - q.x * p.y) / area;
        }
        const float minx = std::min({s[0].x, s[1].x, s[2].x}), maxx = std::max({s[0].x, s[1].x, s[2].x});
        const float miny = std::min({s[0].y, s[1].y, s[2].y}), maxy = std::max({s[0].y, s[1].y, s[2].y});
        // Samples sit at i + 0.5.
        t.x0 = std::max(0, static_cast<int>(std::ceil(minx - 0.5f)));
        t.y0 = std::max(0, static_cast<int>(std::ceil(miny - 0.5f)));
        t.x1 = std::min(sw - 1, static_cast<int>(std::floor(maxx - 0.5f)));
        t.y1 = std::min(sh - 1, static_cast<int>(std::floor(maxy - 0.5f)));
        if (t.x0 > t.x1 || t.y0 > t.y1 || !std::isfinite(minx + maxx + miny + maxy)) return;
        t.material = material;
        t.smooth = smooth;
        tris.push_back(t);
    }
};

// Every triangle of the posed primitives clipped against z >= near and projected into `setup`.
void clip_and_project(const Model& model, const std::vector<PosedPrimitive>& posed, float near,
                      Setup& setup) {
    const glm::mat3 R = setup.camera.rotation;
    const glm::vec3 T = setup.camera.translation;
    for (const PosedPrimitive& prim : posed) {
        const Primitive& src = *prim.source;
        const Material* material =
            src.material >= 0 ? &model.materials[static_cast<std::size_t>(src.material)] : &kDefaultMaterial;
        const bool smooth = !prim.normals.empty();
        for (std::size_t f = 0; f + 2 < src.indices.size(); f += 3) {
            Vertex v[3];
            const std::uint32_t* idx = &src.indices[f];
            for (int i = 0; i < 3; ++i) {
                const std::uint32_t k = idx[i];
                v[i].cam = R * prim.positions[k] + T;
                for (int t = 0; t < 2; ++t)
                    v[i].uv[t] = src.texcoords[t].empty() ? glm::vec2(0.0f) : src.texcoords[t][k];
                v[i].normal = smooth ? prim.normals[k] : glm::vec3(0.0f);
                v[i].color = src.colors.empty() ? glm::vec4(1.0f) : src.colors[k];
            }
            if (!smooth) {
                const glm::vec3 n = glm::cross(prim.positions[idx[1]] - prim.positions[idx[0]],
                                               prim.positions[idx[2]] - prim.positions[idx[0]]);
                const float len = glm::length(n);
                for (Vertex& x : v) x.normal = len > 0 ? n / len : glm::vec3(0, 1, 0);
            }
            const int inside = (v[0].cam.z >= near) + (v[1].cam.z >= near) + (v[2].cam.z >= near);
            if (inside == 0) continue;
            if (inside == 3) {
                setup.add(v[0], v[1], v[2], material, smooth);
                continue;
            }
            // Sutherland-Hodgman against z >= near: up to four vertices, drawn as a fan.
            Vertex poly[4];
            int n = 0;
            for (int i = 0; i < 3; ++i) {
                const Vertex& p = v[i];
                const Vertex& q = v[(i + 1) % 3];
                const bool pin = p.cam.z >= near, qin = q.cam.z >= near;
                if (pin) poly[n++] = p;
                if (pin != qin) poly[n++] = lerp(p, q, (near - p.cam.z) / (q.cam.z - p.cam.z));
            }
            for (int i = 2; i < n; ++i) setup.add(poly[0], poly[i - 1], poly[i], material, smooth);
        }
    }
}

// The barycentrics of sample (x, y) in a triangle, perspective-correct.
glm::vec3 perspective(const Tri& t, float x, float y) {
    const glm::vec3 l = t.a * x + t.b * y + t.c;
    const glm::vec3 q = l * t.inv_z;
    return q / (q.x + q.y + q.z);
}

// A model's materials sampled on its triangles.
struct Surface {
    const Model& model;

    // The material's colour at perspective-correct barycentrics p (alpha included), textures sampled
    // with the footprint of one sample step (px, py: the barycentrics one sample right and down).
    glm::vec4 base_color(const Tri& t, const glm::vec3& p, const glm::vec3& px, const glm::vec3& py) const {
        const Material& m = *t.material;
        glm::vec4 c = m.base_color * (t.v[0].color * p.x + t.v[1].color * p.y + t.v[2].color * p.z);
        if (m.base_texture.texture >= 0) {
            const Texture& tex = model.textures[static_cast<std::size_t>(m.base_texture.texture)];
            const int set = m.base_texture.texcoord;
            const auto uv_at = [&](const glm::vec3& w) {
                return t.v[0].uv[set] * w.x + t.v[1].uv[set] * w.y + t.v[2].uv[set] * w.z;
            };
            const glm::vec2 uv = uv_at(p);
            const glm::vec2 size(tex.levels[0].width, tex.levels[0].height);
            const float footprint =
                std::max(glm::length((uv_at(px) - uv) * size), glm::length((uv_at(py) - uv) * size));
            c *= tex.sample(uv, footprint);
        }
        return c;
    }
    // A texture (other than the base colour) at barycentrics p, unfiltered by the footprint.
    glm::vec4 texel(const Tri& t, const TextureRef& ref, const glm::vec3& p) const {
        const int set = ref.texcoord;
        const glm::vec2 uv = t.v[0].uv[set] * p.x + t.v[1].uv[set] * p.y + t.v[2].uv[set] * p.z;
        return model.textures[static_cast<std::size_t>(ref.texture)].sample(uv, 1.0f);
    }
};

}  // namespace

MeshImage render_mesh(const Model& model, const std::vector<PosedPrimitive>& posed, const Camera& camera,
                      const MeshRenderOptions& options) {
    const int ss = std::max(1, options.supersample);
    Setup setup{camera, camera.width * ss, camera.height * ss, ss, {}};
    const glm::mat3 R = camera.rotation;

    clip_and_project(model, posed, options.near, setup);

    // Bin into tiles, in triangle order (draw order matters only for exact depth ties).
    const int tile = kTilePixels * ss;
    const int tiles_x = (setup.sw + tile - 1) / tile, tiles_y = (setup.sh + tile - 1) / tile;
    std::vector<std::vector<std::uint32_t>> bins(static_cast<std::size_t>(tiles_x) *
                                                 static_cast<std::size_t>(tiles_y));
    for (std::size_t i = 0; i < setup.tris.size(); ++i) {
        const Tri& t = setup.tris[i];
        for (int ty = t.y0 / tile; ty <= t.y1 / tile; ++ty)
            for (int tx = t.x0 / tile; tx <= t.x1 / tile; ++tx)
                bins[static_cast<std::size_t>(ty) * tiles_x + tx].push_back(static_cast<std::uint32_t>(i));
    }

    MeshImage image;
    image.width = camera.width;
    image.height = camera.height;
    image.rgba.assign(static_cast<std::size_t>(image.width) * image.height * 4, 0);
    image.depth.assign(static_cast<std::size_t>(image.width) * image.height, 0.0f);

    const Lighting& light = options.lighting;
    const glm::vec3 to_light = glm::normalize(light.to_light);
    const glm::vec3 up = glm::normalize(light.up);
    const glm::mat3 cam_to_world = glm::transpose(R);

    tbb::parallel_for(0, tiles_x * tiles_y, [&](int tile_index) {
        const int tx = tile_index % tiles_x, ty = tile_index / tiles_x;
        const int sx0 = tx * tile, sy0 = ty * tile;
        const int sx1 = std::min(sx0 + tile, setup.sw), sy1 = std::min(sy0 + tile, setup.sh);
        const int tw = sx1 - sx0;
        const std::size_t count = static_cast<std::size_t>(tw) * static_cast<std::size_t>(sy1 - sy0);
        std::vector<float> depth(count, std::numeric_limits<float>::infinity());
        std::vector<std::int32_t> owner(count, -1);
        std::vector<glm::vec3> bary(count);

        const Surface surface{model};
        for (std::uint32_t ti : bins[static_cast<std::size_t>(tile_index)]) {
            const Tri& t = setup.tris[ti];
            const int x0 = std::max(t.x0, sx0), x1 = std::min(t.x1, sx1 - 1);
            const int y0 = std::max(t.y0, sy0), y1 = std::min(t.y1, sy1 - 1);
            const AlphaMode mode = t.material->alpha_mode;
            for (int y = y0; y <= y1; ++y) {
                const float fy = static_cast<float>(y) + 0.5f;
                for (int x = x0; x <= x1; ++x) {
                    const float fx = static_cast<float>(x) + 0.5f;
                    const glm::vec3 l = t.a * fx + t.b * fy + t.c;
                    if (l.x < 0.0f || l.y < 0.0f || l.z < 0.0f) continue;
                    const glm::vec3 q = l * t.inv_z;
                    const float inv = q.x + q.y + q.z;
                    const float z = 1.0f / inv;
                    const std::size_t s =
                        static_cast<std::size_t>(y - sy0) * tw + static_cast<std::size_t>(x - sx0);
                    if (!(z < depth[s])) continue;
                    const glm::vec3 p = q * z;
                    if (mode != AlphaMode::Opaque) {
                        const float alpha =
                            surface.base_color(t, p, perspective(t, fx + 1, fy), perspective(t, fx, fy + 1))
                                .a;
                        const float threshold =
                            mode == AlphaMode::Mask
                                ? t.material->alpha_cutoff
                                : hash01(static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(y), ti);
                        if (mode == AlphaMode::Mask ? alpha < threshold : alpha <= threshold) continue;
                    }
                    depth[s] = z;
                    owner[s] = static_cast<std::int32_t>(ti);
                    bary[s] = p;
                }
            }
        }

        // Shade the visible samples and box-filter them into pixels (linear light, then sRGB).
        for (int py = sy0 / ss; py < sy1 / ss; ++py)
            for (int px = sx0 / ss; px < sx1 / ss; ++px) {
                glm::vec3 sum(0.0f);
                float covered = 0.0f, zsum = 0.0f;
                for (int dy = 0; dy < ss; ++dy)
                    for (int dx = 0; dx < ss; ++dx) {
                        const int x = px * ss + dx, y = py * ss + dy;
                        const std::size_t s =
                            static_cast<std::size_t>(y - sy0) * tw + static_cast<std::size_t>(x - sx0);
                        if (owner[s] < 0) continue;
                        const Tri& t = setup.tris[static_cast<std::size_t>(owner[s])];
                        const glm::vec3& p = bary[s];
                        const float fx = static_cast<float>(x) + 0.5f, fy = static_cast<float>(y) + 0.5f;
                        const glm::vec3 pdx = perspective(t, fx + 1, fy), pdy = perspective(t, fx, fy + 1);
                        const Material& m = *t.material;
                        glm::vec3 color = glm::vec3(surface.base_color(t, p, pdx, pdy));
                        if (light.enabled && !m.unlit) {
                            glm::vec3 n =
                                t.smooth ? t.v[0].normal * p.x + t.v[1].normal * p.y + t.v[2].normal * p.z
                                         : t.v[0].normal;
                            const float len = glm::length(n);
                            n = len > 0 ? n / len : up;
                            // Lit from the side the camera sees (thin and double-sided surfaces).
                            const glm::vec3 ray =
                                cam_to_world *
                                glm::vec3((fx / static_cast<float>(ss) - camera.cx) / camera.fx,
                                          (fy / static_cast<float>(ss) - camera.cy) / camera.fy, 1.0f);
                            if (glm::dot(n, ray) > 0.0f) n = -n;
                            float occlusion = 1.0f;
                            if (m.occlusion.texture >= 0)
                                occlusion =
                                    1.0f + m.occlusion_strength * (surface.texel(t, m.occlusion, p).r - 1.0f);
                            const float h = glm::dot(n, up);
                            const float ambient =
                                light.sky * (0.5f + 0.5f * h) + light.ground * (0.5f - 0.5f * h);
                            color *= ambient * occlusion + light.key * std::max(0.0f, glm::dot(n, to_light));
                        }
                        glm::vec3 emissive = m.emissive;
                        if (m.emissive_texture.texture >= 0)
                            emissive *= glm::vec3(surface.texel(t, m.emissive_texture, p));
                        sum += color + emissive;
                        covered += 1.0f;
                        zsum += depth[s];
                    }
                const std::size_t o = static_cast<std::size_t>(py) * image.width + px;
                if (covered == 0.0f) continue;
                const glm::vec3 c = sum / covered;
                for (int k = 0; k < 3; ++k) image.rgba[4 * o + k] = to_unorm8(linear_to_srgb(c[k]));
                image.rgba[4 * o + 3] = to_unorm8(covered / static_cast<float>(ss * ss));
                image.depth[o] = zsum / covered;
            }
    });
    return image;
}

}  // namespace glint::synth

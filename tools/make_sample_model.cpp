// glint-make-sample-model: writes the sample glTF model of assets/sample/ (a small still life made only
// by this program: a textured cube, a banded sphere, a torus with vertex colours and a cone on a
// patterned plinth, with an animation "spin" that turns the torus and bounces the sphere).
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <tiny_gltf.h>
#include <CLI/CLI.hpp>
#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

namespace {

constexpr float kPi = 3.14159265358979f;

struct MeshData {
    std::vector<glm::vec3> positions, normals;
    std::vector<glm::vec2> uvs;
    std::vector<glm::vec4> colors;
    std::vector<std::uint32_t> indices;

    void quad_grid(int nu, int nv, auto&& vertex) {  // vertex(u, v) -> fills one vertex
        const auto base = static_cast<std::uint32_t>(positions.size());
        for (int j = 0; j <= nv; ++j)
            for (int i = 0; i <= nu; ++i)
                vertex(static_cast<float>(i) / static_cast<float>(nu),
                       static_cast<float>(j) / static_cast<float>(nv));
        for (int j = 0; j < nv; ++j)
            for (int i = 0; i < nu; ++i) {
                const std::uint32_t a = base + static_cast<std::uint32_t>(j * (nu + 1) + i), b = a + 1,
                                    c = a + static_cast<std::uint32_t>(nu + 1), d = c + 1;
                indices.insert(indices.end(), {a, c, b, b, c, d});
            }
    }
    void add(glm::vec3 p, glm::vec3 n, glm::vec2 uv, glm::vec4 color = glm::vec4(1.0f)) {
        positions.push_back(p);
        normals.push_back(glm::normalize(n));
        uvs.push_back(uv);
        colors.push_back(color);
    }
};

MeshData cube(float half) {
    MeshData m;
    const glm::vec3 axes[3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    for (int face = 0; face < 6; ++face) {
        const glm::vec3 n = axes[face / 2] * (face % 2 ? -1.0f : 1.0f);
        const glm::vec3 u = axes[(face / 2 + 1) % 3] * (face % 2 ? -1.0f : 1.0f), v = glm::cross(n, u);
        m.quad_grid(1, 1, [&](float s, float t) {
            // Each face shows one cell of the 3x2 atlas.
            const glm::vec2 cell(static_cast<float>(face % 3) / 3.0f, static_cast<float>(face / 3) / 2.0f);
            m.add(half * (n + (2 * s - 1) * u + (2 * t - 1) * v), n, cell + glm::vec2(s / 3.0f, t / 2.0f));
        });
    }
    return m;
}

MeshData sphere(float radius, int segments, int rings) {
    MeshData m;
    m.quad_grid(segments, rings, [&](float s, float t) {
        const float phi = 2 * kPi * s, theta = kPi * t;
        const glm::vec3 n(std::sin(theta) * std::cos(phi), std::cos(theta), std::sin(theta) * std::sin(phi));
        m.add(radius * n, n, {s, t});
    });
    return m;
}

MeshData torus(float major, float minor, int segments, int sides) {
    MeshData m;
    m.quad_grid(segments, sides, [&](float s, float t) {
        const float a = 2 * kPi * s, b = 2 * kPi * t;
        const glm::vec3 centre(major * std::cos(a), 0, major * std::sin(a));
        const glm::vec3 n(std::cos(b) * std::cos(a), std::sin(b), std::cos(b) * std::sin(a));
        // Vertex colours: a hue wheel around the ring.
        const glm::vec3 hue =
            0.5f + 0.5f * glm::vec3(std::cos(a), std::cos(a - 2.094f), std::cos(a + 2.094f));
        m.add(centre + minor * n, n, {s, t}, glm::vec4(0.15f + 0.85f * hue, 1.0f));
    });
    return m;
}

// A cylinder (or cone when top == 0) along y from 0 to height, with caps.
MeshData cylinder(float bottom, float top, float height, int segments) {
    MeshData m;
    const float slope = (bottom - top) / height;
    m.quad_grid(segments, 1, [&](float s, float t) {
        const float a = 2 * kPi * s, r = bottom + (top - bottom) * t;
        m.add({r * std::cos(a), height * t, r * std::sin(a)}, {std::cos(a), slope, std::sin(a)},
              {s, 0.5f * t});
    });
    for (int cap = 0; cap < 2; ++cap) {
        const float r = cap ? top : bottom, y = cap ? height : 0.0f;
        if (r <= 0) continue;
        m.quad_grid(segments, 1, [&](float s, float t) {
            const float a = 2 * kPi * s;
            const glm::vec2 p = r * t * glm::vec2(std::cos(a), std::sin(a));
            m.add({p.x, y, p.y}, {0, cap ? 1.0f : -1.0f, 0}, glm::vec2(0.5f) + 0.5f * p / r);
        });
    }
    return m;
}

using Texel = std::function<glm::vec3(float, float)>;

tinygltf::Image image(int size, const Texel& texel) {
    tinygltf::Image img;
    img.width = img.height = size;
    img.component = 3;
    img.bits = 8;
    img.pixel_type = TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE;
    img.mimeType = "image/png";
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const glm::vec3 c = glm::clamp(texel((static_cast<float>(x) + 0.5f) / static_cast<float>(size),
                                                 (static_cast<float>(y) + 0.5f) / static_cast<float>(size)),
                                           0.0f, 1.0f);
            for (int k = 0; k < 3; ++k) img.image.push_back(static_cast<unsigned char>(c[k] * 255.0f + 0.5f));
        }
    return img;
}

// The cube's atlas: six faces, each a different colour with a bold pattern.
glm::vec3 atlas(float u, float v) {
    const int face = static_cast<int>(u * 3) + 3 * static_cast<int>(v * 2);
    const float s = u * 3 - std::floor(u * 3), t = v * 2 - std::floor(v * 2);
    const glm::vec3 colours[6] = {{0.90f, 0.25f, 0.20f}, {0.20f, 0.55f, 0.90f}, {0.95f, 0.80f, 0.15f},
                                  {0.25f, 0.75f, 0.35f}, {0.60f, 0.30f, 0.80f}, {0.95f, 0.55f, 0.15f}};
    const glm::vec3 c = colours[face];
    const float border = std::min({s, t, 1 - s, 1 - t});
    if (border < 0.06f) return glm::vec3(0.95f);
    switch (face % 3) {
        case 0:
            return (static_cast<int>(s * 4) + static_cast<int>(t * 4)) % 2 ? c : 0.45f * c;  // checks
        case 1:
            return glm::length(glm::vec2(s, t) - 0.5f) < 0.3f ? glm::vec3(0.95f) : c;  // disc
        default:
            return std::fmod(s + t, 0.25f) < 0.125f ? c : glm::mix(c, glm::vec3(1.0f), 0.6f);  // stripes
    }
}

glm::vec3 bands(float u, float v) {
    const glm::vec3 a(0.10f, 0.35f, 0.75f), b(0.95f, 0.90f, 0.80f), dot(0.85f, 0.15f, 0.30f);
    glm::vec3 c = static_cast<int>(v * 8) % 2 ? a : b;
    const glm::vec2 cell(std::fmod(u * 16, 1.0f) - 0.5f, std::fmod(v * 8, 1.0f) - 0.5f);
    if (static_cast<int>(v * 8) % 2 && glm::length(cell * glm::vec2(1.0f, 0.5f)) < 0.22f) c = dot;
    return c;
}

glm::vec3 plinth(float u, float v) {
    const float r = glm::length(glm::vec2(u, v) - 0.5f) * 2;
    const float rings = 0.5f + 0.5f * std::sin(r * 40.0f);
    const glm::vec3 wood = glm::mix(glm::vec3(0.45f, 0.28f, 0.15f), glm::vec3(0.70f, 0.50f, 0.30f), rings);
    const float angle = std::atan2(v - 0.5f, u - 0.5f);
    return r > 0.8f && std::fmod(angle + 4 * kPi, kPi / 6) < kPi / 12 ? glm::vec3(0.15f, 0.15f, 0.18f) : wood;
}

class Writer {
public:
    tinygltf::Model model;

    Writer() {
        model.asset.version = "2.0";
        model.asset.generator = "glint-make-sample-model";
        model.buffers.emplace_back();
        model.scenes.emplace_back();
        model.defaultScene = 0;
        tinygltf::Sampler sampler;
        sampler.magFilter = TINYGLTF_TEXTURE_FILTER_LINEAR;
        sampler.minFilter = TINYGLTF_TEXTURE_FILTER_LINEAR_MIPMAP_LINEAR;
        model.samplers.push_back(sampler);
    }

    template <typename T>
    int accessor(const std::vector<T>& data, int type, int component, int target, bool bounds = false) {
        std::vector<unsigned char>& bytes = model.buffers[0].data;
        while (bytes.size() % 4) bytes.push_back(0);
        tinygltf::BufferView view;
        view.buffer = 0;
        view.byteOffset = bytes.size();
        view.byteLength = data.size() * sizeof(T);
        view.target = target;
        const auto* raw = reinterpret_cast<const unsigned char*>(data.data());
        bytes.insert(bytes.end(), raw, raw + view.byteLength);
        model.bufferViews.push_back(view);
        tinygltf::Accessor a;
        a.bufferView = static_cast<int>(model.bufferViews.size() - 1);
        a.componentType = component;
        a.type = type;
        a.count = data.size();
        if constexpr (std::is_same_v<T, glm::vec3>) {
            if (bounds) {
                glm::vec3 lo(INFINITY), hi(-INFINITY);
                for (const glm::vec3& p : data) {
                    lo = glm::min(lo, p);
                    hi = glm::max(hi, p);
                }
                a.minValues = {lo.x, lo.y, lo.z};
                a.maxValues = {hi.x, hi.y, hi.z};
            }
        }
        if constexpr (std::is_same_v<T, float>) {
            if (bounds) {
                a.minValues = {data.front()};
                a.maxValues = {data.back()};
            }
        }
        model.accessors.push_back(a);
        return static_cast<int>(model.accessors.size() - 1);
    }

    int texture(tinygltf::Image img) {
        model.images.push_back(std::move(img));
        tinygltf::Texture t;
        t.source = static_cast<int>(model.images.size() - 1);
        t.sampler = 0;
        model.textures.push_back(t);
        return static_cast<int>(model.textures.size() - 1);
    }

    int material(const std::string& name, glm::vec4 factor, int texture_index) {
        tinygltf::Material m;
        m.name = name;
        m.pbrMetallicRoughness.baseColorFactor = {factor.r, factor.g, factor.b, factor.a};
        m.pbrMetallicRoughness.baseColorTexture.index = texture_index;
        m.pbrMetallicRoughness.metallicFactor = 0.0;
        m.pbrMetallicRoughness.roughnessFactor = 0.8;
        model.materials.push_back(m);
        return static_cast<int>(model.materials.size() - 1);
    }

    // A node with a mesh; returns the node index.
    int node(const std::string& name, const MeshData& mesh, int material, glm::vec3 translation,
             glm::quat rotation = glm::quat(1, 0, 0, 0), bool vertex_colors = false) {
        tinygltf::Primitive p;
        p.mode = TINYGLTF_MODE_TRIANGLES;
        p.material = material;
        p.attributes["POSITION"] = accessor(mesh.positions, TINYGLTF_TYPE_VEC3, TINYGLTF_COMPONENT_TYPE_FLOAT,
                                            TINYGLTF_TARGET_ARRAY_BUFFER, true);
        p.attributes["NORMAL"] = accessor(mesh.normals, TINYGLTF_TYPE_VEC3, TINYGLTF_COMPONENT_TYPE_FLOAT,
                                          TINYGLTF_TARGET_ARRAY_BUFFER);
        p.attributes["TEXCOORD_0"] = accessor(mesh.uvs, TINYGLTF_TYPE_VEC2, TINYGLTF_COMPONENT_TYPE_FLOAT,
                                              TINYGLTF_TARGET_ARRAY_BUFFER);
        if (vertex_colors)
            p.attributes["COLOR_0"] = accessor(mesh.colors, TINYGLTF_TYPE_VEC4, TINYGLTF_COMPONENT_TYPE_FLOAT,
                                               TINYGLTF_TARGET_ARRAY_BUFFER);
        p.indices = accessor(mesh.indices, TINYGLTF_TYPE_SCALAR, TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT,
                             TINYGLTF_TARGET_ELEMENT_ARRAY_BUFFER);
        tinygltf::Mesh m;
        m.name = name;
        m.primitives.push_back(p);
        model.meshes.push_back(m);
        tinygltf::Node n;
        n.name = name;
        n.mesh = static_cast<int>(model.meshes.size() - 1);
        n.translation = {translation.x, translation.y, translation.z};
        n.rotation = {rotation.x, rotation.y, rotation.z, rotation.w};
        model.nodes.push_back(n);
        model.scenes[0].nodes.push_back(static_cast<int>(model.nodes.size() - 1));
        return static_cast<int>(model.nodes.size() - 1);
    }
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Writes the sample glTF model of assets/sample/", "glint-make-sample-model"};
    std::string output;
    app.add_option("OUT", output, "Output model (.glb)")->required();
    CLI11_PARSE(app, argc, argv);
    try {
        Writer w;
        const int atlas_texture = w.texture(image(192, atlas));
        const int bands_texture = w.texture(image(128, bands));
        const int plinth_texture = w.texture(image(192, plinth));
        const int white = w.material("vertex colours", glm::vec4(1.0f), -1);
        w.node("plinth", cylinder(0.72f, 0.68f, 0.12f, 64),
               w.material("plinth", glm::vec4(1.0f), plinth_texture), {0, 0, 0});
        w.node("cube", cube(0.19f), w.material("cube", glm::vec4(1.0f), atlas_texture),
               {-0.30f, 0.31f, 0.16f}, glm::angleAxis(0.45f, glm::vec3(0, 1, 0)));
        const int ball = w.node("sphere", sphere(0.19f, 48, 24),
                                w.material("sphere", glm::vec4(1.0f), bands_texture), {0.28f, 0.31f, -0.20f});
        const int ring = w.node("torus", torus(0.19f, 0.06f, 64, 24), white, {0.14f, 0.37f, 0.33f},
                                glm::angleAxis(kPi / 2, glm::vec3(1, 0, 0)), true);
        w.node("cone", cylinder(0.13f, 0.0f, 0.36f, 48),
               w.material("cone", glm::vec4(0.10f, 0.65f, 0.60f, 1.0f), -1), {-0.22f, 0.12f, -0.38f});

        // "spin": 2 s, the torus turns once about the vertical, the sphere bounces.
        std::vector<float> times;
        std::vector<glm::quat> turns;
        std::vector<glm::vec3> heights;
        for (int k = 0; k <= 8; ++k) {
            const float t = 0.25f * static_cast<float>(k);
            times.push_back(t);
            turns.push_back(glm::angleAxis(kPi * t, glm::vec3(0, 1, 0)) *
                            glm::angleAxis(kPi / 2, glm::vec3(1, 0, 0)));
            heights.push_back({0.28f, 0.31f + 0.2f * std::abs(std::sin(kPi * t)), -0.20f});
        }
        std::vector<glm::vec4> turn_values;
        for (const glm::quat& q : turns) turn_values.push_back({q.x, q.y, q.z, q.w});
        tinygltf::Animation spin;
        spin.name = "spin";
        const int input = w.accessor(times, TINYGLTF_TYPE_SCALAR, TINYGLTF_COMPONENT_TYPE_FLOAT, 0, true);
        for (int c = 0; c < 2; ++c) {
            tinygltf::AnimationSampler s;
            s.input = input;
            s.output = c == 0 ? w.accessor(turn_values, TINYGLTF_TYPE_VEC4, TINYGLTF_COMPONENT_TYPE_FLOAT, 0)
                              : w.accessor(heights, TINYGLTF_TYPE_VEC3, TINYGLTF_COMPONENT_TYPE_FLOAT, 0);
            s.interpolation = "LINEAR";
            spin.samplers.push_back(s);
            tinygltf::AnimationChannel ch;
            ch.sampler = c;
            ch.target_node = c == 0 ? ring : ball;
            ch.target_path = c == 0 ? "rotation" : "translation";
            spin.channels.push_back(ch);
        }
        w.model.animations.push_back(spin);

        tinygltf::TinyGLTF writer;
        if (!writer.WriteGltfSceneToFile(&w.model, output, true, true, false, true)) {
            std::fprintf(stderr, "glint-make-sample-model: cannot write %s\n", output.c_str());
            return 1;
        }
        std::printf("wrote %s\n", output.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glint-make-sample-model: %s\n", e.what());
        return 1;
    }
    return 0;
}

// glTF 2.0 reading (tinygltf) and posing: accessors, textures with mip chains, materials, the node tree,
// skins and keyframe animations.
#include "glint/synth/gltf_model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include <tiny_gltf.h>
#include <glm/gtc/matrix_transform.hpp>
#include <glm/gtc/type_ptr.hpp>

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint::synth {
namespace {

namespace fs = std::filesystem;

float srgb_to_linear(float c) {
    return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}

// Reads accessors into floats, checking every range against its buffer.
class Reader {
public:
    Reader(const tinygltf::Model& model, std::string file) : m_model(model), m_file(std::move(file)) {}

    [[noreturn]] void fail(const std::string& problem) const { throw InputError(cat(m_file, ": ", problem)); }

    // count x components floats; normalized integers are mapped to [0, 1] or [-1, 1], other integers as is.
    std::vector<float> floats(int index, int components, const std::string& what) const {
        const tinygltf::Accessor& a = accessor(index, what);
        const int have = tinygltf::GetNumComponentsInType(static_cast<std::uint32_t>(a.type));
        if (have != components)
            fail(cat(what, ": accessor ", index, " has ", have, " components, expected ", components));
        std::vector<float> out(a.count * static_cast<std::size_t>(components), 0.0f);
        if (a.bufferView >= 0)
            read_elements(a.bufferView, a.byteOffset, a.count, components, a.componentType, a.normalized,
                          what, [&](std::size_t i, int c, float v) { out[i * components + c] = v; });
        if (a.sparse.isSparse) {
            const std::size_t n = static_cast<std::size_t>(std::max(a.sparse.count, 0));
            std::vector<std::size_t> targets(n);
            read_elements(a.sparse.indices.bufferView, static_cast<std::size_t>(a.sparse.indices.byteOffset),
                          n, 1, a.sparse.indices.componentType, false, what + " (sparse indices)",
                          [&](std::size_t i, int, float v) { targets[i] = static_cast<std::size_t>(v); });
            for (std::size_t t : targets)
                if (t >= a.count) fail(cat(what, ": sparse index ", t, " is outside the accessor"));
            read_elements(a.sparse.values.bufferView, static_cast<std::size_t>(a.sparse.values.byteOffset), n,
                          components, a.componentType, a.normalized, what + " (sparse values)",
                          [&](std::size_t i, int c, float v) { out[targets[i] * components + c] = v; });
        }
        for (float v : out)
            if (!std::isfinite(v)) fail(cat(what, ": accessor ", index, " holds a non-finite value"));
        return out;
    }

    std::size_t count(int index, const std::string& what) const { return accessor(index, what).count; }

private:
    const tinygltf::Accessor& accessor(int index, const std::string& what) const {
        if (index < 0 || static_cast<std::size_t>(index) >= m_model.accessors.size())
            fail(cat(what, ": accessor ", index, " does not exist"));
        return m_model.accessors[static_cast<std::size_t>(index)];
    }

    template <typename Visit>
    void read_elements(int view_index, std::size_t offset, std::size_t count, int components, int type,
                       bool normalized, const std::string& what, Visit visit) const {
        if (view_index < 0 || static_cast<std::size_t>(view_index) >= m_model.bufferViews.size())
            fail(cat(what, ": buffer view ", view_index, " does not exist"));
        const tinygltf::BufferView& view = m_model.bufferViews[static_cast<std::size_t>(view_index)];
        if (view.buffer < 0 || static_cast<std::size_t>(view.buffer) >= m_model.buffers.size())
            fail(cat(what, ": buffer ", view.buffer, " does not exist"));
        const std::vector<unsigned char>& data = m_model.buffers[static_cast<std::size_t>(view.buffer)].data;
        const int size = tinygltf::GetComponentSizeInBytes(static_cast<std::uint32_t>(type));
        if (size <= 0) fail(cat(what, ": unknown component type ", type));
        const std::size_t element = static_cast<std::size_t>(size) * static_cast<std::size_t>(components);
        const std::size_t stride = view.byteStride != 0 ? view.byteStride : element;
        if (count == 0) return;
        const std::size_t first = view.byteOffset + offset;
        const std::size_t last = first + (count - 1) * stride + element;  // one past the last byte read
        if (last > view.byteOffset + view.byteLength || last > data.size() || stride < element)
            fail(cat(what, ": ", count, " elements do not fit in buffer view ", view_index));
        for (std::size_t i = 0; i < count; ++i) {
            const unsigned char* p = data.data() + first + i * stride;
            for (int c = 0; c < components; ++c) visit(i, c, component(p + c * size, type, normalized));
        }
    }

    static float component(const unsigned char* p, int type, bool normalized) {
        const auto get = [p](auto v) {
            std::memcpy(&v, p, sizeof(v));
            return v;
        };
        switch (type) {
            case TINYGLTF_COMPONENT_TYPE_FLOAT:
                return get(float{});
            case TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE: {
                const float v = get(std::uint8_t{});
                return normalized ? v / 255.0f : v;
            }
            case TINYGLTF_COMPONENT_TYPE_BYTE: {
                const float v = get(std::int8_t{});
                return normalized ? std::max(v / 127.0f, -1.0f) : v;
            }
            case TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT: {
                const float v = get(std::uint16_t{});
                return normalized ? v / 65535.0f : v;
            }
            case TINYGLTF_COMPONENT_TYPE_SHORT: {
                const float v = get(std::int16_t{});
                return normalized ? std::max(v / 32767.0f, -1.0f) : v;
            }
            case TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT:
                return static_cast<float>(get(std::uint32_t{}));
            case TINYGLTF_COMPONENT_TYPE_INT:
                return static_cast<float>(get(std::int32_t{}));
            case TINYGLTF_COMPONENT_TYPE_DOUBLE:
                return static_cast<float>(get(double{}));
            default:
                return 0.0f;
        }
    }

    const tinygltf::Model& m_model;
    std::string m_file;
};

Wrap wrap_of(int mode) {
    if (mode == TINYGLTF_TEXTURE_WRAP_CLAMP_TO_EDGE) return Wrap::ClampToEdge;
    if (mode == TINYGLTF_TEXTURE_WRAP_MIRRORED_REPEAT) return Wrap::MirroredRepeat;
    return Wrap::Repeat;
}

Texture make_texture(const tinygltf::Model& model, int index, bool srgb, const Reader& reader) {
    const tinygltf::Texture& t = model.textures[static_cast<std::size_t>(index)];
    if (t.source < 0 || static_cast<std::size_t>(t.source) >= model.images.size())
        reader.fail(cat("texture ", index, " has no image"));
    const tinygltf::Image& image = model.images[static_cast<std::size_t>(t.source)];
    if (image.width <= 0 || image.height <= 0 || image.component < 1 || image.component > 4 ||
        (image.bits != 8 && image.bits != 16))
        reader.fail(cat("image ", t.source, " ('", image.uri, "') could not be decoded"));
    const std::size_t texels = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height);
    const std::size_t bytes = static_cast<std::size_t>(image.bits / 8);
    if (image.image.size() < texels * static_cast<std::size_t>(image.component) * bytes)
        reader.fail(cat("image ", t.source, " ('", image.uri, "') holds fewer pixels than its size"));
    Texture texture;
    if (t.sampler >= 0 && static_cast<std::size_t>(t.sampler) < model.samplers.size()) {
        const tinygltf::Sampler& s = model.samplers[static_cast<std::size_t>(t.sampler)];
        texture.wrap_s = wrap_of(s.wrapS);
        texture.wrap_t = wrap_of(s.wrapT);
        texture.nearest = s.magFilter == TINYGLTF_TEXTURE_FILTER_NEAREST;
    }
    // 8-bit sRGB through a table; 16-bit through the function.
    float table[256];
    for (int i = 0; i < 256; ++i)
        table[i] = srgb ? srgb_to_linear(static_cast<float>(i) / 255.0f) : static_cast<float>(i) / 255.0f;
    Texture::Level level{image.width, image.height, std::vector<glm::vec4>(texels)};
    for (std::size_t i = 0; i < texels; ++i) {
        float c[4] = {0, 0, 0, 1};
        for (int k = 0; k < image.component; ++k) {
            const std::size_t at =
                (i * static_cast<std::size_t>(image.component) + static_cast<std::size_t>(k));
            if (bytes == 1) {
                const std::uint8_t v = image.image[at];
                c[k] = k < 3 ? table[v] : v / 255.0f;
            } else {
                std::uint16_t v;
                std::memcpy(&v, image.image.data() + at * 2, 2);
                const float f = v / 65535.0f;
                c[k] = k < 3 && srgb ? srgb_to_linear(f) : f;
            }
        }
        if (image.component <= 2) {  // grey (+ alpha)
            if (image.component == 2) c[3] = c[1];
            c[1] = c[2] = c[0];
        }
        level.texels[i] = {c[0], c[1], c[2], c[3]};
    }
    texture.levels.push_back(std::move(level));
    while (texture.levels.back().width > 1 || texture.levels.back().height > 1) {
        const Texture::Level& big = texture.levels.back();
        Texture::Level small{std::max(1, big.width / 2), std::max(1, big.height / 2), {}};
        small.texels.resize(static_cast<std::size_t>(small.width) * static_cast<std::size_t>(small.height));
        for (int y = 0; y < small.height; ++y)
            for (int x = 0; x < small.width; ++x) {
                glm::vec4 sum(0.0f);
                int n = 0;
                for (int dy = 0; dy < 2; ++dy)
                    for (int dx = 0; dx < 2; ++dx) {
                        const int bx = std::min(2 * x + dx, big.width - 1),
                                  by = std::min(2 * y + dy, big.height - 1);
                        sum += big.texels[static_cast<std::size_t>(by) * big.width + bx];
                        ++n;
                    }
                small.texels[static_cast<std::size_t>(y) * small.width + x] = sum / static_cast<float>(n);
            }
        texture.levels.push_back(std::move(small));
    }
    return texture;
}

int wrap_index(int i, int size, Wrap wrap) {
    switch (wrap) {
        case Wrap::ClampToEdge:
            return std::clamp(i, 0, size - 1);
        case Wrap::MirroredRepeat: {
            const int period = 2 * size;
            int m = i % period;
            if (m < 0) m += period;
            return m < size ? m : period - 1 - m;
        }
        case Wrap::Repeat:
        default: {
            int m = i % size;
            return m < 0 ? m + size : m;
        }
    }
}

glm::vec4 bilinear(const Texture::Level& level, glm::vec2 uv, Wrap ws, Wrap wt, bool nearest) {
    const float x = uv.x * static_cast<float>(level.width) - 0.5f;
    const float y = uv.y * static_cast<float>(level.height) - 0.5f;
    if (!std::isfinite(x) || !std::isfinite(y)) return level.texels[0];
    const auto at = [&](int i, int j) {
        return level.texels[static_cast<std::size_t>(wrap_index(j, level.height, wt)) * level.width +
                            wrap_index(i, level.width, ws)];
    };
    if (nearest) return at(static_cast<int>(std::floor(x + 0.5f)), static_cast<int>(std::floor(y + 0.5f)));
    const float fx = std::floor(x), fy = std::floor(y);
    const int i = static_cast<int>(fx), j = static_cast<int>(fy);
    const float ax = x - fx, ay = y - fy;
    return (at(i, j) * (1 - ax) + at(i + 1, j) * ax) * (1 - ay) +
           (at(i, j + 1) * (1 - ax) + at(i + 1, j + 1) * ax) * ay;
}

glm::mat4 local_matrix(const Node& n) {
    if (n.has_matrix) return n.matrix;
    const glm::mat4 t = glm::translate(glm::mat4(1.0f), n.translation);
    const glm::mat4 r = glm::mat4_cast(n.rotation);
    const glm::mat4 s = glm::scale(glm::mat4(1.0f), n.scale);
    return t * r * s;
}

glm::vec4 sample_channel(const Channel& c, float seconds) {
    const std::vector<float>& t = c.times;
    const bool cubic = c.interpolation == Channel::Interpolation::CubicSpline;
    const auto value = [&](std::size_t key) { return c.values[cubic ? 3 * key + 1 : key]; };
    if (seconds <= t.front()) return value(0);
    if (seconds >= t.back()) return value(t.size() - 1);
    const std::size_t k1 =
        static_cast<std::size_t>(std::upper_bound(t.begin(), t.end(), seconds) - t.begin());
    const std::size_t k0 = k1 - 1;
    const float dt = t[k1] - t[k0];
    const float s = dt > 0 ? (seconds - t[k0]) / dt : 0.0f;
    const bool rotation = c.path == Channel::Path::Rotation;
    switch (c.interpolation) {
        case Channel::Interpolation::Step:
            return value(k0);
        case Channel::Interpolation::CubicSpline: {
            const glm::vec4 p0 = value(k0), p1 = value(k1);
            const glm::vec4 m0 = dt * c.values[3 * k0 + 2], m1 = dt * c.values[3 * k1];
            const float s2 = s * s, s3 = s2 * s;
            glm::vec4 v = (2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * p1 +
                          (s3 - s2) * m1;
            if (rotation) v = glm::normalize(v);
            return v;
        }
        case Channel::Interpolation::Linear:
        default: {
            const glm::vec4 a = value(k0), b = value(k1);
            if (!rotation) return a + (b - a) * s;
            const glm::quat qa(a.w, a.x, a.y, a.z), qb(b.w, b.x, b.y, b.z);
            const glm::quat q = glm::slerp(glm::normalize(qa), glm::normalize(qb), s);
            return {q.x, q.y, q.z, q.w};
        }
    }
}

}  // namespace

glm::vec4 Texture::sample(glm::vec2 uv, float footprint) const {
    const float lod = footprint > 1.0f ? std::log2(footprint) : 0.0f;
    const float top = static_cast<float>(levels.size() - 1);
    const float l = std::min(lod, top);
    const int l0 = static_cast<int>(l);
    const float a = l - static_cast<float>(l0);
    const glm::vec4 c0 =
        bilinear(levels[static_cast<std::size_t>(l0)], uv, wrap_s, wrap_t, nearest && l0 == 0);
    if (a <= 0.0f || l0 + 1 >= static_cast<int>(levels.size())) return c0;
    return c0 * (1 - a) + bilinear(levels[static_cast<std::size_t>(l0 + 1)], uv, wrap_s, wrap_t, false) * a;
}

std::size_t Model::triangle_count() const {
    std::size_t n = 0;
    for (const Node& node : nodes)
        if (node.drawn && node.mesh >= 0)
            for (const Primitive& p : meshes[static_cast<std::size_t>(node.mesh)]) n += p.indices.size() / 3;
    return n;
}

std::vector<PosedPrimitive> Model::pose(int animation, float seconds) const {
    std::vector<Node> posed_nodes = nodes;
    if (animation >= 0 && static_cast<std::size_t>(animation) < animations.size())
        for (const Channel& c : animations[static_cast<std::size_t>(animation)].channels) {
            const glm::vec4 v = sample_channel(c, seconds);
            Node& n = posed_nodes[static_cast<std::size_t>(c.node)];
            if (c.path == Channel::Path::Translation) n.translation = glm::vec3(v);
            if (c.path == Channel::Path::Scale) n.scale = glm::vec3(v);
            if (c.path == Channel::Path::Rotation) n.rotation = glm::quat(v.w, v.x, v.y, v.z);
        }
    std::vector<glm::mat4> world(nodes.size());
    std::vector<char> done(nodes.size(), 0);
    const std::function<const glm::mat4&(std::size_t)> world_of = [&](std::size_t i) -> const glm::mat4& {
        if (!done[i]) {
            const Node& n = posed_nodes[i];
            world[i] = n.parent >= 0 ? world_of(static_cast<std::size_t>(n.parent)) * local_matrix(n)
                                     : local_matrix(n);
            done[i] = 1;
        }
        return world[i];
    };
    std::vector<PosedPrimitive> out;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const Node& node = nodes[i];
        if (!node.drawn || node.mesh < 0) continue;
        std::vector<glm::mat4> joints;
        if (node.skin >= 0) {
            const Skin& skin = skins[static_cast<std::size_t>(node.skin)];
            for (std::size_t j = 0; j < skin.joints.size(); ++j)
                joints.push_back(world_of(static_cast<std::size_t>(skin.joints[j])) * skin.inverse_bind[j]);
        }
        const glm::mat4 model_matrix = world_of(i);
        const glm::mat3 normal_matrix = glm::transpose(glm::inverse(glm::mat3(model_matrix)));
        for (const Primitive& p : meshes[static_cast<std::size_t>(node.mesh)]) {
            PosedPrimitive posed;
            posed.source = &p;
            posed.positions.resize(p.positions.size());
            posed.normals.resize(p.normals.size());
            const bool skinned = !joints.empty() && p.joints.size() == p.positions.size() &&
                                 p.weights.size() == p.positions.size();
            for (std::size_t v = 0; v < p.positions.size(); ++v) {
                glm::mat4 m = model_matrix;
                glm::mat3 nm = normal_matrix;
                if (skinned) {
                    m = glm::mat4(0.0f);
                    for (int k = 0; k < 4; ++k) {
                        const glm::uint j = p.joints[v][k];
                        if (p.weights[v][k] != 0.0f && j < joints.size()) m += p.weights[v][k] * joints[j];
                    }
                    nm = glm::mat3(m);
                }
                posed.positions[v] = glm::vec3(m * glm::vec4(p.positions[v], 1.0f));
                if (!p.normals.empty()) {
                    const glm::vec3 n = nm * p.normals[v];
                    const float len = glm::length(n);
                    posed.normals[v] = len > 0 ? n / len : glm::vec3(0, 1, 0);
                }
            }
            out.push_back(std::move(posed));
        }
    }
    return out;
}

Bounds bounds_of(const std::vector<PosedPrimitive>& posed) {
    Bounds b{glm::vec3(INFINITY), glm::vec3(-INFINITY)};
    for (const PosedPrimitive& p : posed)
        for (std::uint32_t index : p.source->indices) {
            b.min = glm::min(b.min, p.positions[index]);
            b.max = glm::max(b.max, p.positions[index]);
        }
    return b;
}

float farthest_from(const std::vector<PosedPrimitive>& posed, glm::vec3 centre) {
    float far = 0.0f;
    for (const PosedPrimitive& p : posed)
        for (std::uint32_t index : p.source->indices)
            far = std::max(far, glm::length(p.positions[index] - centre));
    return far;
}

namespace {

// The file parsed by tinygltf; InputError naming the file when it is missing or not glTF.
tinygltf::Model read_gltf_file(const fs::path& path) {
    if (!fs::exists(path)) throw InputError(cat(path.string(), ": no such file"));
    if (fs::is_directory(path)) throw InputError(cat(path.string(), ": is a directory, not a glTF file"));
    tinygltf::TinyGLTF loader;
    tinygltf::Model gltf;
    std::string error, warning;
    const std::string ext = to_lower(path.extension().string());
    bool ok = false;
    if (ext == ".glb")
        ok = loader.LoadBinaryFromFile(&gltf, &error, &warning, path.string());
    else if (ext == ".gltf")
        ok = loader.LoadASCIIFromFile(&gltf, &error, &warning, path.string());
    else
        throw InputError(cat(path.string(), ": not a glTF file (expected .glb or .gltf)"));
    if (!ok) {
        while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
        throw InputError(
            cat(path.string(), ": not a valid glTF file: ", error.empty() ? "unknown error" : error));
    }
    return gltf;
}

// Materials, with their textures converted on first use (sRGB for colour, linear for data).
void read_materials(const tinygltf::Model& gltf, const Reader& reader, Model& model) {
    // Textures, converted on first use (sRGB for colour, linear for data).
    std::map<std::pair<int, bool>, int> texture_index;
    const auto texture = [&](int index, int texcoord, bool srgb) -> TextureRef {
        if (index < 0) return {};
        if (static_cast<std::size_t>(index) >= gltf.textures.size())
            reader.fail(cat("texture ", index, " does not exist"));
        if (texcoord < 0 || texcoord > 1) {
            model.warnings.push_back(cat("TEXCOORD_", texcoord, " textures are not rendered"));
            return {};
        }
        const auto key = std::make_pair(index, srgb);
        if (!texture_index.count(key)) {
            texture_index[key] = static_cast<int>(model.textures.size());
            model.textures.push_back(make_texture(gltf, index, srgb, reader));
        }
        return {texture_index[key], texcoord};
    };
    for (const tinygltf::Material& m : gltf.materials) {
        Material material;
        const auto& pbr = m.pbrMetallicRoughness;
        if (pbr.baseColorFactor.size() == 4)
            material.base_color = {pbr.baseColorFactor[0], pbr.baseColorFactor[1], pbr.baseColorFactor[2],
                                   pbr.baseColorFactor[3]};
        material.base_texture = texture(pbr.baseColorTexture.index, pbr.baseColorTexture.texCoord, true);
        material.occlusion = texture(m.occlusionTexture.index, m.occlusionTexture.texCoord, false);
        material.occlusion_strength = static_cast<float>(m.occlusionTexture.strength);
        if (m.emissiveFactor.size() == 3)
            material.emissive = {m.emissiveFactor[0], m.emissiveFactor[1], m.emissiveFactor[2]};
        material.emissive_texture = texture(m.emissiveTexture.index, m.emissiveTexture.texCoord, true);
        material.alpha_mode = m.alphaMode == "MASK"    ? AlphaMode::Mask
                              : m.alphaMode == "BLEND" ? AlphaMode::Blend
                                                       : AlphaMode::Opaque;
        material.alpha_cutoff = static_cast<float>(m.alphaCutoff);
        material.double_sided = m.doubleSided;
        material.unlit = m.extensions.count("KHR_materials_unlit") > 0;
        if (m.normalTexture.index >= 0 && model.warnings.empty())
            model.warnings.push_back("normal maps are not rendered (vertex normals are used)");
        model.materials.push_back(material);
    }
}

// Meshes as triangle lists (strips and fans unrolled), with the attributes the renderer uses.
void read_meshes(const tinygltf::Model& gltf, const Reader& reader, Model& model) {
    for (std::size_t mi = 0; mi < gltf.meshes.size(); ++mi) {
        std::vector<Primitive> primitives;
        for (const tinygltf::Primitive& p : gltf.meshes[mi].primitives) {
            const std::string what = cat("mesh ", mi, " ('", gltf.meshes[mi].name, "')");
            if (p.mode != TINYGLTF_MODE_TRIANGLES && p.mode != TINYGLTF_MODE_TRIANGLE_STRIP &&
                p.mode != TINYGLTF_MODE_TRIANGLE_FAN && p.mode != -1) {
                model.warnings.push_back(cat(what, ": points and lines are not rendered"));
                continue;
            }
            if (!p.targets.empty()) model.warnings.push_back(cat(what, ": morph targets are not applied"));
            const auto attribute = [&](const char* name) {
                const auto it = p.attributes.find(name);
                return it == p.attributes.end() ? -1 : it->second;
            };
            if (attribute("POSITION") < 0) reader.fail(what + ": a primitive has no POSITION");
            Primitive prim;
            prim.material = p.material;
            if (prim.material >= static_cast<int>(model.materials.size()))
                reader.fail(cat(what, ": material ", p.material, " does not exist"));
            const std::vector<float> pos = reader.floats(attribute("POSITION"), 3, what + " POSITION");
            const std::size_t n = pos.size() / 3;
            for (std::size_t v = 0; v < n; ++v)
                prim.positions.push_back({pos[3 * v], pos[3 * v + 1], pos[3 * v + 2]});
            const auto vectors = [&](const char* name, int components, auto& out) {
                if (attribute(name) < 0) return;
                const std::vector<float> data = reader.floats(attribute(name), components, what + " " + name);
                if (data.size() / static_cast<std::size_t>(components) != n)
                    reader.fail(cat(what, ": ", name, " has a different count than POSITION"));
                out.resize(n);
                for (std::size_t v = 0; v < n; ++v)
                    for (int c = 0; c < components; ++c)
                        out[v][c] = static_cast<std::remove_reference_t<decltype(out[v][c])>>(
                            data[v * components + c]);
            };
            vectors("NORMAL", 3, prim.normals);
            vectors("TEXCOORD_0", 2, prim.texcoords[0]);
            vectors("TEXCOORD_1", 2, prim.texcoords[1]);
            vectors("JOINTS_0", 4, prim.joints);
            vectors("WEIGHTS_0", 4, prim.weights);
            if (attribute("COLOR_0") >= 0) {
                const tinygltf::Accessor& a = gltf.accessors[static_cast<std::size_t>(attribute("COLOR_0"))];
                if (a.type == TINYGLTF_TYPE_VEC3) {
                    std::vector<glm::vec3> rgb;
                    vectors("COLOR_0", 3, rgb);
                    for (const glm::vec3& c : rgb) prim.colors.push_back(glm::vec4(c, 1.0f));
                } else {
                    vectors("COLOR_0", 4, prim.colors);
                }
            }
            std::vector<std::uint32_t> order;
            if (p.indices >= 0) {
                for (float v : reader.floats(p.indices, 1, what + " indices")) {
                    if (v < 0 || v >= static_cast<float>(n))
                        reader.fail(cat(what, ": index ", v, " is outside its ", n, " vertices"));
                    order.push_back(static_cast<std::uint32_t>(v));
                }
            } else {
                for (std::size_t v = 0; v < n; ++v) order.push_back(static_cast<std::uint32_t>(v));
            }
            if (p.mode == TINYGLTF_MODE_TRIANGLE_STRIP) {
                for (std::size_t k = 2; k < order.size(); ++k)
                    for (std::uint32_t v : k % 2 ? std::array{order[k - 1], order[k - 2], order[k]}
                                                 : std::array{order[k - 2], order[k - 1], order[k]})
                        prim.indices.push_back(v);
            } else if (p.mode == TINYGLTF_MODE_TRIANGLE_FAN) {
                for (std::size_t k = 2; k < order.size(); ++k)
                    for (std::uint32_t v : {order[0], order[k - 1], order[k]}) prim.indices.push_back(v);
            } else {
                order.resize(order.size() / 3 * 3);
                prim.indices = std::move(order);
            }
            primitives.push_back(std::move(prim));
        }
        model.meshes.push_back(std::move(primitives));
    }
}

// The node tree (checked: one parent each, no cycles) and which nodes the default scene draws.
void read_nodes(const tinygltf::Model& gltf, const Reader& reader, Model& model) {
    model.nodes.resize(gltf.nodes.size());
    for (std::size_t i = 0; i < gltf.nodes.size(); ++i) {
        const tinygltf::Node& g = gltf.nodes[i];
        Node& n = model.nodes[i];
        n.mesh = g.mesh < static_cast<int>(model.meshes.size()) ? g.mesh : -1;
        n.skin = g.skin < static_cast<int>(gltf.skins.size()) ? g.skin : -1;
        if (g.matrix.size() == 16) {
            float m[16];
            for (int k = 0; k < 16; ++k) m[k] = static_cast<float>(g.matrix[static_cast<std::size_t>(k)]);
            n.matrix = glm::make_mat4(m);
            n.has_matrix = true;
        }
        if (g.translation.size() == 3) n.translation = {g.translation[0], g.translation[1], g.translation[2]};
        if (g.rotation.size() == 4)
            n.rotation = glm::normalize(
                glm::quat(static_cast<float>(g.rotation[3]), static_cast<float>(g.rotation[0]),
                          static_cast<float>(g.rotation[1]), static_cast<float>(g.rotation[2])));
        if (g.scale.size() == 3) n.scale = {g.scale[0], g.scale[1], g.scale[2]};
        for (int child : g.children) {
            if (child < 0 || static_cast<std::size_t>(child) >= gltf.nodes.size() ||
                model.nodes[static_cast<std::size_t>(child)].parent >= 0 ||
                static_cast<std::size_t>(child) == i)
                reader.fail(cat("node ", i, ": child ", child, " is invalid or has two parents"));
            model.nodes[static_cast<std::size_t>(child)].parent = static_cast<int>(i);
        }
    }
    // Cycles would recurse forever when posing.
    for (std::size_t i = 0; i < model.nodes.size(); ++i) {
        std::size_t steps = 0;
        for (int p = model.nodes[i].parent; p >= 0; p = model.nodes[static_cast<std::size_t>(p)].parent)
            if (++steps > model.nodes.size()) reader.fail(cat("node ", i, " is in a cycle of parents"));
    }
    // Drawn: the default scene's trees (scene 0 when none is named; every root without scenes).
    std::vector<int> roots;
    if (!gltf.scenes.empty()) {
        const int scene = gltf.defaultScene >= 0 && gltf.defaultScene < static_cast<int>(gltf.scenes.size())
                              ? gltf.defaultScene
                              : 0;
        roots = gltf.scenes[static_cast<std::size_t>(scene)].nodes;
    } else {
        for (std::size_t i = 0; i < model.nodes.size(); ++i)
            if (model.nodes[i].parent < 0) roots.push_back(static_cast<int>(i));
    }
    for (std::size_t i = 0; i < model.nodes.size(); ++i) {
        int top = static_cast<int>(i);
        while (model.nodes[static_cast<std::size_t>(top)].parent >= 0)
            top = model.nodes[static_cast<std::size_t>(top)].parent;
        model.nodes[i].drawn = std::find(roots.begin(), roots.end(), top) != roots.end();
    }
}

void read_skins(const tinygltf::Model& gltf, const Reader& reader, Model& model) {
    for (const tinygltf::Skin& s : gltf.skins) {
        Skin skin;
        for (int j : s.joints) {
            if (j < 0 || static_cast<std::size_t>(j) >= model.nodes.size())
                reader.fail(cat("skin joint ", j, " does not exist"));
            skin.joints.push_back(j);
        }
        skin.inverse_bind.assign(skin.joints.size(), glm::mat4(1.0f));
        if (s.inverseBindMatrices >= 0) {
            const std::vector<float> m = reader.floats(s.inverseBindMatrices, 16, "skin inverseBindMatrices");
            if (m.size() / 16 < skin.joints.size())
                reader.fail("skin: fewer inverse bind matrices than joints");
            for (std::size_t j = 0; j < skin.joints.size(); ++j)
                skin.inverse_bind[j] = glm::make_mat4(&m[16 * j]);
        }
        model.skins.push_back(std::move(skin));
    }
}

// Animations' translation, rotation and scale channels.
void read_animations(const tinygltf::Model& gltf, const Reader& reader, Model& model) {
    for (std::size_t ai = 0; ai < gltf.animations.size(); ++ai) {
        const tinygltf::Animation& a = gltf.animations[ai];
        Animation animation;
        animation.name = a.name.empty() ? cat("animation ", ai) : a.name;
        animation.start = INFINITY;
        animation.end = -INFINITY;
        for (const tinygltf::AnimationChannel& c : a.channels) {
            if (c.target_node < 0 || static_cast<std::size_t>(c.target_node) >= model.nodes.size()) continue;
            if (c.sampler < 0 || static_cast<std::size_t>(c.sampler) >= a.samplers.size())
                reader.fail(cat(animation.name, ": channel sampler ", c.sampler, " does not exist"));
            const tinygltf::AnimationSampler& s = a.samplers[static_cast<std::size_t>(c.sampler)];
            Channel channel;
            channel.node = c.target_node;
            int components = 3;
            if (c.target_path == "translation") {
                channel.path = Channel::Path::Translation;
            } else if (c.target_path == "rotation") {
                channel.path = Channel::Path::Rotation;
                components = 4;
            } else if (c.target_path == "scale") {
                channel.path = Channel::Path::Scale;
            } else {
                model.warnings.push_back(
                    cat(animation.name, ": '", c.target_path, "' channels are not applied"));
                continue;
            }
            channel.interpolation = s.interpolation == "STEP"          ? Channel::Interpolation::Step
                                    : s.interpolation == "CUBICSPLINE" ? Channel::Interpolation::CubicSpline
                                                                       : Channel::Interpolation::Linear;
            channel.times = reader.floats(s.input, 1, animation.name + " input");
            const std::vector<float> values = reader.floats(s.output, components, animation.name + " output");
            const std::size_t per_key = channel.interpolation == Channel::Interpolation::CubicSpline ? 3 : 1;
            if (channel.times.empty() || values.size() / components != channel.times.size() * per_key)
                reader.fail(cat(animation.name, ": keyframe times and values do not match"));
            if (!std::is_sorted(channel.times.begin(), channel.times.end()))
                reader.fail(cat(animation.name, ": keyframe times are not increasing"));
            for (std::size_t k = 0; k < values.size() / components; ++k) {
                glm::vec4 v(0.0f);
                for (int c2 = 0; c2 < components; ++c2) v[c2] = values[k * components + c2];
                channel.values.push_back(v);
            }
            animation.start = std::min(animation.start, channel.times.front());
            animation.end = std::max(animation.end, channel.times.back());
            animation.channels.push_back(std::move(channel));
        }
        if (animation.channels.empty()) animation.start = animation.end = 0.0f;
        model.animations.push_back(std::move(animation));
    }
}

}  // namespace

Model load_gltf(const fs::path& path) {
    const tinygltf::Model gltf = read_gltf_file(path);
    const Reader reader(gltf, path.string());
    Model model;
    read_materials(gltf, reader, model);
    read_meshes(gltf, reader, model);
    read_nodes(gltf, reader, model);
    read_skins(gltf, reader, model);
    read_animations(gltf, reader, model);
    if (model.triangle_count() == 0) reader.fail("no triangles to render in the default scene");
    return model;
}

}  // namespace glint::synth

// glTF 2.0 with KHR_gaussian_splatting (the ratified extension): point primitives whose attributes are
// POSITION, KHR_gaussian_splatting:ROTATION (x, y, z, w; float or normalized signed byte/short),
// :SCALE (log-space; float, signed byte/short, normalized or not), :OPACITY (linear in [0, 1]; float or
// normalized unsigned byte/short) and :SH_DEGREE_l_COEF_n (VEC3 float, n = m + l, the same order as
// glint's coefficients), with COLOR_0 as a point-cloud fallback. glTF is y-up: glint turns the splats
// into the reference PLY's axes (a half turn about x) when reading and back when writing, as for .spz.
#include "glint/splatting/gltf_splats.h"

#include <tiny_gltf.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include <glm/gtc/matrix_transform.hpp>
#include <glm/gtc/quaternion.hpp>
#include <glm/gtc/type_ptr.hpp>

#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/raster/raster_math.h"

namespace glint::splatting {
namespace {

constexpr const char* kPrefix = "KHR_gaussian_splatting:";
constexpr float kShFlip[15] = {-1, -1, 1, -1, 1, 1, -1, 1, -1, 1, -1, -1, 1, -1, 1};  // as spz_format.cpp

// Component c of element i of an accessor as a float, normalized integers mapped as glTF says.
class AccessorReader {
public:
    AccessorReader(const tinygltf::Model& model, int index, std::string_view what, std::string_view name) {
        if (index < 0 || index >= static_cast<int>(model.accessors.size()))
            throw InputError(cat(name, ": ", what, ": accessor ", index, " does not exist"));
        const tinygltf::Accessor& a = model.accessors[static_cast<std::size_t>(index)];
        if (a.bufferView < 0 || a.bufferView >= static_cast<int>(model.bufferViews.size()))
            throw InputError(cat(name, ": ", what, ": no buffer view (sparse accessors are not read)"));
        const tinygltf::BufferView& view = model.bufferViews[static_cast<std::size_t>(a.bufferView)];
        if (view.buffer < 0 || view.buffer >= static_cast<int>(model.buffers.size()))
            throw InputError(cat(name, ": ", what, ": buffer view ", a.bufferView, " names no buffer"));
        const tinygltf::Buffer& buffer = model.buffers[static_cast<std::size_t>(view.buffer)];
        m_components = tinygltf::GetNumComponentsInType(static_cast<std::uint32_t>(a.type));
        m_type = a.componentType;
        m_normalized = a.normalized;
        const int size = tinygltf::GetComponentSizeInBytes(static_cast<std::uint32_t>(a.componentType));
        if (m_components <= 0 || size <= 0)
            throw InputError(cat(name, ": ", what, ": unknown accessor type"));
        m_size = static_cast<std::size_t>(size);
        m_stride = view.byteStride > 0 ? view.byteStride : m_size * static_cast<std::size_t>(m_components);
        m_count = a.count;
        const std::size_t start = view.byteOffset + a.byteOffset;
        const std::size_t need =
            a.count == 0 ? 0 : (a.count - 1) * m_stride + m_size * static_cast<std::size_t>(m_components);
        if (start > buffer.data.size() || need > buffer.data.size() - start || need > view.byteLength)
            throw InputError(cat(name, ": ", what, ": accessor ", index, " runs past its buffer"));
        m_data = buffer.data.data() + start;
    }
    std::size_t count() const { return m_count; }
    int components() const { return m_components; }
    int type() const { return m_type; }
    bool normalized() const { return m_normalized; }
    float at(std::size_t i, int c) const {
        const unsigned char* p = m_data + i * m_stride + static_cast<std::size_t>(c) * m_size;
        switch (m_type) {
            case TINYGLTF_COMPONENT_TYPE_FLOAT: {
                float v;
                std::memcpy(&v, p, 4);
                return v;
            }
            case TINYGLTF_COMPONENT_TYPE_BYTE: {
                const auto v = static_cast<float>(static_cast<std::int8_t>(*p));
                return m_normalized ? std::max(v / 127.0f, -1.0f) : v;
            }
            case TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE:
                return m_normalized ? static_cast<float>(*p) / 255.0f : static_cast<float>(*p);
            case TINYGLTF_COMPONENT_TYPE_SHORT: {
                std::int16_t v;
                std::memcpy(&v, p, 2);
                return m_normalized ? std::max(static_cast<float>(v) / 32767.0f, -1.0f)
                                    : static_cast<float>(v);
            }
            case TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT: {
                std::uint16_t v;
                std::memcpy(&v, p, 2);
                return m_normalized ? static_cast<float>(v) / 65535.0f : static_cast<float>(v);
            }
            default:
                return NAN;
        }
    }

private:
    const unsigned char* m_data = nullptr;
    std::size_t m_count = 0, m_stride = 0, m_size = 0;
    int m_components = 0, m_type = 0;
    bool m_normalized = false;
};

// The node's local transform (matrix or TRS).
glm::mat4 local_transform(const tinygltf::Node& node) {
    if (node.matrix.size() == 16) {
        glm::mat4 m;
        for (int i = 0; i < 16; ++i)
            glm::value_ptr(m)[i] = static_cast<float>(node.matrix[static_cast<std::size_t>(i)]);
        return m;
    }
    glm::mat4 m(1.0f);
    if (node.translation.size() == 3)
        m = glm::translate(m, glm::vec3(node.translation[0], node.translation[1], node.translation[2]));
    if (node.rotation.size() == 4)
        m *= glm::mat4_cast(
            glm::quat(static_cast<float>(node.rotation[3]), static_cast<float>(node.rotation[0]),
                      static_cast<float>(node.rotation[1]), static_cast<float>(node.rotation[2])));
    if (node.scale.size() == 3) m = glm::scale(m, glm::vec3(node.scale[0], node.scale[1], node.scale[2]));
    return m;
}

struct Placed {
    int mesh;
    glm::mat4 world;
};

void collect(const tinygltf::Model& model, int node, const glm::mat4& parent, std::vector<Placed>& out,
             int depth) {
    if (node < 0 || node >= static_cast<int>(model.nodes.size()) || depth > 64) return;
    const tinygltf::Node& n = model.nodes[static_cast<std::size_t>(node)];
    const glm::mat4 world = parent * local_transform(n);
    if (n.mesh >= 0) out.push_back({n.mesh, world});
    for (const int child : n.children) collect(model, child, world, out, depth + 1);
}

GaussianCloud from_model(const tinygltf::Model& model, std::string_view name) {
    std::vector<Placed> placed;
    const int scene = model.defaultScene >= 0 ? model.defaultScene : 0;
    if (scene < static_cast<int>(model.scenes.size()))
        for (const int node : model.scenes[static_cast<std::size_t>(scene)].nodes)
            collect(model, node, glm::mat4(1.0f), placed, 0);
    struct Part {
        const tinygltf::Primitive* primitive;
        glm::mat4 world;
        int degree;
    };
    std::vector<Part> parts;
    std::size_t total = 0;
    int degree = 0;
    for (const Placed& p : placed) {
        if (p.mesh < 0 || p.mesh >= static_cast<int>(model.meshes.size())) continue;
        for (const tinygltf::Primitive& primitive :
             model.meshes[static_cast<std::size_t>(p.mesh)].primitives) {
            if (!primitive.extensions.count("KHR_gaussian_splatting")) continue;
            int d = 0;
            while (d < 3 && primitive.attributes.count(cat(kPrefix, "SH_DEGREE_", d + 1, "_COEF_0"))) ++d;
            const auto position = primitive.attributes.find("POSITION");
            if (position == primitive.attributes.end())
                throw InputError(cat(name, ": a Gaussian splatting primitive has no POSITION"));
            if (position->second < 0 || position->second >= static_cast<int>(model.accessors.size()))
                throw InputError(cat(name, ": POSITION: accessor ", position->second, " does not exist"));
            total += AccessorReader(model, position->second, "POSITION", name)
                         .count();  // checked against its buffer
            degree = std::max(degree, d);
            parts.push_back({&primitive, p.world, d});
        }
    }
    if (parts.empty())
        throw InputError(cat(name, ": no primitive with KHR_gaussian_splatting in the default scene"));
    GaussianCloud cloud(total, degree, false);
    auto positions = cloud.positions();
    auto log_scales = cloud.log_scales();
    auto rotations = cloud.rotations();
    auto opacity = cloud.opacity_logits();
    auto dc = cloud.sh_dc();
    auto rest = cloud.sh_rest();
    const std::size_t k = static_cast<std::size_t>(sh_rest_count(degree));
    std::size_t first = 0;
    constexpr float kLow = 0.5f / 255.0f;
    for (const Part& part : parts) {
        const auto& attributes = part.primitive->attributes;
        const auto accessor = [&](const std::string& semantic,
                                  bool required) -> std::optional<AccessorReader> {
            const auto it = attributes.find(semantic);
            if (it == attributes.end()) {
                if (required)
                    throw InputError(cat(name, ": a Gaussian splatting primitive has no ", semantic));
                return std::nullopt;
            }
            return AccessorReader(model, it->second, semantic, name);
        };
        const AccessorReader position = *accessor("POSITION", true);
        const AccessorReader rotation = *accessor(cat(kPrefix, "ROTATION"), true);
        const AccessorReader scale = *accessor(cat(kPrefix, "SCALE"), true);
        const AccessorReader alpha = *accessor(cat(kPrefix, "OPACITY"), true);
        const std::optional<AccessorReader> sh0 = accessor(cat(kPrefix, "SH_DEGREE_0_COEF_0"), false);
        const std::optional<AccessorReader> color = accessor("COLOR_0", false);
        const std::size_t n = position.count();
        for (const auto* a : {&rotation, &scale, &alpha})
            if (a->count() != n)
                throw InputError(cat(name, ": the splat attributes' counts differ (", a->count(), " against ",
                                     n, " positions)"));
        if (position.components() != 3 || rotation.components() != 4 || scale.components() != 3 ||
            alpha.components() != 1)
            throw InputError(cat(name,
                                 ": a splat attribute has the wrong accessor type (POSITION VEC3, ROTATION "
                                 "VEC4, SCALE VEC3, OPACITY SCALAR)"));
        if (!sh0 && !color)
            throw InputError(cat(name, ": neither SH_DEGREE_0_COEF_0 nor COLOR_0 gives the splats' colour"));
        std::vector<AccessorReader> higher;
        for (int l = 1; l <= part.degree; ++l)
            for (int c = 0; c < 2 * l + 1; ++c)
                higher.push_back(*accessor(cat(kPrefix, "SH_DEGREE_", l, "_COEF_", c), true));
        // The node's transform: rotation and uniform scale (a non-uniform one cannot keep the splats).
        const glm::mat3 linear(part.world);
        const float sx = glm::length(linear[0]), sy = glm::length(linear[1]), sz = glm::length(linear[2]);
        if (!(sx > 0.0f) || std::fabs(sx - sy) > 1e-4f * sx || std::fabs(sx - sz) > 1e-4f * sx ||
            glm::determinant(linear) < 0.0f)
            throw InputError(cat(name,
                                 ": a node scales the splats unevenly or mirrors them; glint keeps rotations "
                                 "and uniform scales only"));
        const glm::quat turn = glm::quat_cast(linear / sx);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t o = first + i;
            const glm::vec3 p = glm::vec3(
                part.world * glm::vec4(position.at(i, 0), position.at(i, 1), position.at(i, 2), 1.0f));
            // y-up glTF into the reference PLY's axes: (x, -y, -z).
            positions[3 * o] = p.x, positions[3 * o + 1] = -p.y, positions[3 * o + 2] = -p.z;
            const glm::quat q =
                turn * glm::quat(rotation.at(i, 3), rotation.at(i, 0), rotation.at(i, 1), rotation.at(i, 2));
            rotations[4 * o] = q.w, rotations[4 * o + 1] = q.x, rotations[4 * o + 2] = -q.y,
                          rotations[4 * o + 3] = -q.z;
            for (int a = 0; a < 3; ++a) log_scales[3 * o + a] = scale.at(i, a) + std::log(sx);
            opacity[o] = logit(std::clamp(alpha.at(i, 0), kLow, 1.0f - kLow));
            for (int c = 0; c < 3; ++c)
                dc[3 * o + c] = sh0 ? sh0->at(i, c) : color->at(i, c) / raster::kSh0;  // COLOR_0 = C0 * SH0
            for (std::size_t j = 0; j < higher.size(); ++j)
                for (int c = 0; c < 3; ++c)
                    rest[(o * k + j) * 3 + static_cast<std::size_t>(c)] = kShFlip[j] * higher[j].at(i, c);
        }
        first += n;
    }
    if (const auto bad = cloud.find_non_finite()) throw InputError(cat(name, ": ", *bad));
    return cloud;
}

}  // namespace

GaussianCloud read_gltf_splats(std::span<const std::byte> bytes, std::string_view name) {
    tinygltf::TinyGLTF loader;
    tinygltf::Model model;
    std::string error, warning;
    const bool binary = bytes.size() >= 4 && std::memcmp(bytes.data(), "glTF", 4) == 0;
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    const bool ok =
        binary
            ? loader.LoadBinaryFromMemory(&model, &error, &warning, data, static_cast<unsigned>(bytes.size()))
            : loader.LoadASCIIFromString(&model, &error, &warning, reinterpret_cast<const char*>(data),
                                         static_cast<unsigned>(bytes.size()), "");
    if (!ok)
        throw InputError(
            cat(name, ": not a glTF file tinygltf reads (", error.empty() ? warning : error, ")"));
    return from_model(model, name);
}

void write_gltf_splats(const GaussianCloud& cloud, const std::filesystem::path& path) {
    if (cloud.is_4d())
        throw InputError(
            cat(path.string(), ": glTF KHR_gaussian_splatting stores 3D Gaussians; this scene is 4D"));
    const std::size_t n = cloud.size(), k = static_cast<std::size_t>(cloud.sh_rest_per_channel());
    tinygltf::Model model;
    model.asset.version = "2.0";
    model.asset.generator = "glint";
    model.extensionsUsed.push_back("KHR_gaussian_splatting");
    tinygltf::Buffer buffer;
    tinygltf::Primitive primitive;
    primitive.mode = TINYGLTF_MODE_POINTS;
    const auto add = [&](const std::string& semantic, int type, int components,
                         const std::vector<float>& values) {
        const std::size_t offset = buffer.data.size();
        buffer.data.resize(offset + values.size() * 4);
        std::memcpy(buffer.data.data() + offset, values.data(), values.size() * 4);
        tinygltf::BufferView view;
        view.buffer = 0;
        view.byteOffset = offset;
        view.byteLength = values.size() * 4;
        model.bufferViews.push_back(view);
        tinygltf::Accessor accessor;
        accessor.bufferView = static_cast<int>(model.bufferViews.size()) - 1;
        accessor.componentType = TINYGLTF_COMPONENT_TYPE_FLOAT;
        accessor.type = type;
        accessor.count = n;
        if (semantic == "POSITION" && n > 0) {  // glTF wants its bounds
            accessor.minValues = {INFINITY, INFINITY, INFINITY};
            accessor.maxValues = {-INFINITY, -INFINITY, -INFINITY};
            for (std::size_t i = 0; i < n; ++i)
                for (int a = 0; a < 3; ++a) {
                    accessor.minValues[static_cast<std::size_t>(a)] =
                        std::min<double>(accessor.minValues[static_cast<std::size_t>(a)],
                                         values[3 * i + static_cast<std::size_t>(a)]);
                    accessor.maxValues[static_cast<std::size_t>(a)] =
                        std::max<double>(accessor.maxValues[static_cast<std::size_t>(a)],
                                         values[3 * i + static_cast<std::size_t>(a)]);
                }
        }
        model.accessors.push_back(accessor);
        primitive.attributes[semantic] = static_cast<int>(model.accessors.size()) - 1;
        (void)components;
    };
    std::vector<float> position(3 * n), rotation(4 * n), scale(3 * n), alpha(n), sh0(3 * n), color(4 * n);
    for (std::size_t i = 0; i < n; ++i) {
        const float* p = &cloud.positions()[3 * i];
        position[3 * i] = p[0], position[3 * i + 1] = -p[1], position[3 * i + 2] = -p[2];
        const float* q = &cloud.rotations()[4 * i];
        const float norm = std::max(std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]), 1e-20f);
        rotation[4 * i] = q[1] / norm, rotation[4 * i + 1] = -q[2] / norm, rotation[4 * i + 2] = -q[3] / norm,
                     rotation[4 * i + 3] = q[0] / norm;
        for (int a = 0; a < 3; ++a)
            scale[3 * i + static_cast<std::size_t>(a)] =
                cloud.log_scales()[3 * i + static_cast<std::size_t>(a)];
        alpha[i] = sigmoid(cloud.opacity_logits()[i]);
        for (int c = 0; c < 3; ++c) {
            sh0[3 * i + static_cast<std::size_t>(c)] = cloud.sh_dc()[3 * i + static_cast<std::size_t>(c)];
            color[4 * i + static_cast<std::size_t>(c)] =
                std::clamp(raster::kSh0 * cloud.sh_dc()[3 * i + static_cast<std::size_t>(c)], 0.0f, 1.0f);
        }
        color[4 * i + 3] = alpha[i];
    }
    add("POSITION", TINYGLTF_TYPE_VEC3, 3, position);
    add(cat(kPrefix, "ROTATION"), TINYGLTF_TYPE_VEC4, 4, rotation);
    add(cat(kPrefix, "SCALE"), TINYGLTF_TYPE_VEC3, 3, scale);
    add(cat(kPrefix, "OPACITY"), TINYGLTF_TYPE_SCALAR, 1, alpha);
    add(cat(kPrefix, "SH_DEGREE_0_COEF_0"), TINYGLTF_TYPE_VEC3, 3, sh0);
    add("COLOR_0", TINYGLTF_TYPE_VEC4, 4, color);
    std::size_t j = 0;
    for (int l = 1; l <= cloud.sh_degree(); ++l)
        for (int c = 0; c < 2 * l + 1; ++c, ++j) {
            std::vector<float> coefficient(3 * n);
            for (std::size_t i = 0; i < n; ++i)
                for (int ch = 0; ch < 3; ++ch)
                    coefficient[3 * i + static_cast<std::size_t>(ch)] =
                        kShFlip[j] * cloud.sh_rest()[(i * k + j) * 3 + static_cast<std::size_t>(ch)];
            add(cat(kPrefix, "SH_DEGREE_", l, "_COEF_", c), TINYGLTF_TYPE_VEC3, 3, coefficient);
        }
    tinygltf::Value::Object extension;
    extension["kernel"] = tinygltf::Value(std::string("ellipse"));
    extension["colorSpace"] = tinygltf::Value(std::string("srgb_rec709_display"));
    extension["projection"] = tinygltf::Value(std::string("perspective"));
    extension["sortingMethod"] = tinygltf::Value(std::string("cameraDistance"));
    primitive.extensions["KHR_gaussian_splatting"] = tinygltf::Value(extension);
    model.buffers.push_back(std::move(buffer));
    tinygltf::Mesh mesh;
    mesh.primitives.push_back(primitive);
    model.meshes.push_back(mesh);
    tinygltf::Node node;
    node.mesh = 0;
    model.nodes.push_back(node);
    tinygltf::Scene scene;
    scene.nodes.push_back(0);
    model.scenes.push_back(scene);
    model.defaultScene = 0;
    // Written beside the destination, then renamed over it (tinygltf writes the file itself).
    const std::filesystem::path temporary = path.string() + ".tmp-glint";
    const bool binary = path.extension() == ".glb";
    tinygltf::TinyGLTF writer;
    if (!writer.WriteGltfSceneToFile(&model, temporary.string(), true, true, !binary, binary)) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw Error(cat(path.string(), ": could not write the glTF file"));
    }
    std::filesystem::rename(temporary, path);
}

}  // namespace glint::splatting

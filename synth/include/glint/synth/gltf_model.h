// glTF 2.0 models for `glint synth`: triangle meshes, the node hierarchy, base-colour materials and
// textures, skins and animations, read through tinygltf and posed at a time into world-space triangles.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

namespace glint::synth {

enum class Wrap { Repeat, ClampToEdge, MirroredRepeat };

// A texture in linear RGBA with its mip chain (box-filtered halvings down to 1x1).
struct Texture {
    struct Level {
        int width = 0, height = 0;
        std::vector<glm::vec4> texels;  // [height, width], rows top to bottom (glTF's v = 0 is the top)
    };
    std::vector<Level> levels;
    Wrap wrap_s = Wrap::Repeat, wrap_t = Wrap::Repeat;
    bool nearest = false;  // magnification filter NEAREST

    // Trilinear sample at `uv`; `footprint` is the sampling spacing in level-0 texels (1: no minification).
    glm::vec4 sample(glm::vec2 uv, float footprint) const;
};

enum class AlphaMode { Opaque, Mask, Blend };

struct TextureRef {
    int texture = -1;  // index into Model::textures, or -1
    int texcoord = 0;  // TEXCOORD_n
};

struct Material {
    glm::vec4 base_color{1.0f};  // linear
    TextureRef base_texture;     // sRGB texture
    TextureRef occlusion;        // red channel: ambient occlusion
    float occlusion_strength = 1.0f;
    glm::vec3 emissive{0.0f};
    TextureRef emissive_texture;
    AlphaMode alpha_mode = AlphaMode::Opaque;
    float alpha_cutoff = 0.5f;
    bool double_sided = false;
    bool unlit = false;  // KHR_materials_unlit
};

struct Primitive {
    int material = -1;                          // -1: the glTF default material (white)
    std::vector<glm::vec3> positions, normals;  // normals empty: flat shading (the specification's rule)
    std::vector<glm::vec2> texcoords[2];
    std::vector<glm::vec4> colors;  // COLOR_0, or empty
    std::vector<glm::uvec4> joints;
    std::vector<glm::vec4> weights;
    std::vector<std::uint32_t> indices;  // triangle list
};

struct Node {
    int parent = -1, mesh = -1, skin = -1;
    glm::vec3 translation{0.0f};
    glm::quat rotation{1.0f, 0.0f, 0.0f, 0.0f};
    glm::vec3 scale{1.0f};
    glm::mat4 matrix{1.0f};  // used when has_matrix (not animatable)
    bool has_matrix = false;
    bool drawn = false;  // in the scene's node tree
};

struct Skin {
    std::vector<int> joints;
    std::vector<glm::mat4> inverse_bind;
};

struct Channel {
    enum class Path { Translation, Rotation, Scale } path = Path::Translation;
    enum class Interpolation { Linear, Step, CubicSpline } interpolation = Interpolation::Linear;
    int node = 0;
    std::vector<float> times;
    std::vector<glm::vec4> values;  // xyz (translation, scale) or xyzw (rotation); 3 per key for cubic
};

struct Animation {
    std::string name;
    float start = 0.0f, end = 0.0f;  // seconds
    std::vector<Channel> channels;
};

// World-space triangles of one primitive at one pose.
struct PosedPrimitive {
    const Primitive* source = nullptr;
    std::vector<glm::vec3> positions, normals;  // normals empty: flat shading
};

struct Bounds {
    glm::vec3 min{0.0f}, max{0.0f};
    float sphere = 0.0f;  // the largest distance of a vertex from centre(); at most half the diagonal
    glm::vec3 centre() const { return 0.5f * (min + max); }
    float radius() const { return sphere > 0.0f ? sphere : 0.5f * glm::length(max - min); }
};

struct Model {
    std::vector<Texture> textures;
    std::vector<Material> materials;
    std::vector<std::vector<Primitive>> meshes;
    std::vector<Node> nodes;
    std::vector<Skin> skins;
    std::vector<Animation> animations;
    std::vector<std::string> warnings;  // features read but not rendered (normal maps, morph targets...)

    // Triangles at `seconds` into `animation` (-1: the rest pose).
    std::vector<PosedPrimitive> pose(int animation, float seconds) const;
    std::size_t triangle_count() const;
};

Bounds bounds_of(const std::vector<PosedPrimitive>& posed);
// The largest distance of a vertex of `posed` from `centre`.
float farthest_from(const std::vector<PosedPrimitive>& posed, glm::vec3 centre);

// Reads a .glb or .gltf (with its .bin and images). Throws InputError naming the file and the problem:
// unreadable file, invalid glTF, no triangles, accessors out of range, non-finite data.
Model load_gltf(const std::filesystem::path& path);

}  // namespace glint::synth

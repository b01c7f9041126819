#include "glint/splatting/lod.h"

#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <queue>
#include <string>

#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/ply_header.h"
#include "glint/core/text.h"
#include "glint/splatting/activation.h"
#include "glint/splatting/ply_format.h"
#include "glint/splatting/selection.h"

namespace glint::splatting {
namespace {

constexpr float kSigmas = 3.0f;  // a Gaussian's extent
constexpr float kMaxMergedOpacity = 0.99f;
constexpr std::size_t kParallelNodes = 8192;

glm::mat3 rotation_of(const float* q) {
    glm::quat r(q[0], q[1], q[2], q[3]);
    const float n = glm::length(r);
    return glm::mat3_cast(n > 0.0f ? r / n : glm::quat(1.0f, 0.0f, 0.0f, 0.0f));
}

// Eigen-decomposition of a symmetric 3x3 matrix by Jacobi rotations: columns of `vectors`, `values`.
void symmetric_eigen(glm::dmat3 a, glm::dmat3& vectors, glm::dvec3& values) {
    vectors = glm::dmat3(1.0);
    for (int sweep = 0; sweep < 32; ++sweep) {
        const double off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
        if (off < 1e-30 * (a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2]) || off == 0.0) break;
        for (int p = 0; p < 2; ++p)
            for (int q = p + 1; q < 3; ++q) {
                if (a[p][q] == 0.0) continue;
                const double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                const double t =
                    (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
                const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
                glm::dmat3 j(1.0);
                j[p][p] = c, j[q][q] = c, j[q][p] = s, j[p][q] = -s;  // column-major: j[col][row]
                a = glm::transpose(j) * a * j;
                vectors = vectors * j;
            }
    }
    values = {a[0][0], a[1][1], a[2][2]};
}

// The area of a Gaussian's two largest axes (at one sigma), from its log-scales.
float footprint(const float* log_scale) {
    float s[3] = {std::exp(log_scale[0]), std::exp(log_scale[1]), std::exp(log_scale[2])};
    std::sort(s, s + 3);
    return s[1] * s[2];
}

struct Builder {
    const GaussianCloud& scene;
    LodHierarchy& h;
    std::vector<std::uint32_t>& order;  // scene index at each tree position

    // Builds the subtree over tree positions [begin, end); returns its node.
    std::uint32_t build(std::size_t begin, std::size_t end) {
        if (end - begin == 1) return static_cast<std::uint32_t>(begin);
        // Split at the median along the longest axis of the means' box.
        const std::span<const float> p = scene.positions();
        float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
        for (std::size_t i = begin; i < end; ++i)
            for (int a = 0; a < 3; ++a) {
                const float v = p[3 * order[i] + static_cast<std::size_t>(a)];
                lo[a] = std::min(lo[a], v), hi[a] = std::max(hi[a], v);
            }
        int axis = 0;
        for (int a = 1; a < 3; ++a)
            if (hi[a] - lo[a] > hi[axis] - lo[axis]) axis = a;
        const std::size_t middle = begin + (end - begin) / 2;
        std::nth_element(order.begin() + static_cast<std::ptrdiff_t>(begin),
                         order.begin() + static_cast<std::ptrdiff_t>(middle),
                         order.begin() + static_cast<std::ptrdiff_t>(end),
                         [&](std::uint32_t x, std::uint32_t y) {
                             const float vx = p[3 * x + static_cast<std::size_t>(axis)],
                                         vy = p[3 * y + static_cast<std::size_t>(axis)];
                             return vx < vy || (vx == vy && x < y);
                         });
        std::uint32_t l = 0, r = 0;
        if (end - begin > kParallelNodes)
            tbb::parallel_invoke([&] { l = build(begin, middle); }, [&] { r = build(middle, end); });
        else
            l = build(begin, middle), r = build(middle, end);
        // The split between positions middle - 1 and middle names this interior node.
        const std::uint32_t node = static_cast<std::uint32_t>(h.leaves + middle - 1);
        h.left[middle - 1] = l;
        h.right[middle - 1] = r;
        return node;
    }
};

// Writes node `node` of `out` as the merge of `children` of the same cloud.
void merge_into(GaussianCloud& c, std::uint32_t node, std::span<const std::uint32_t> children) {
    const std::size_t k = static_cast<std::size_t>(sh_rest_count(c.sh_degree())) * 3;
    double total = 0.0;
    std::vector<double> weight(children.size());
    for (std::size_t i = 0; i < children.size(); ++i) {
        const std::uint32_t ch = children[i];
        weight[i] = static_cast<double>(sigmoid(c.opacity_logits()[ch])) * footprint(&c.log_scales()[3 * ch]);
        total += weight[i];
    }
    const double covered = total;  // the children's opacity times area: what the node must cover
    if (!(total > 0.0))
        std::fill(weight.begin(), weight.end(), 1.0), total = static_cast<double>(children.size());
    glm::dvec3 mean(0.0);
    for (std::size_t i = 0; i < children.size(); ++i) {
        const float* m = &c.positions()[3 * children[i]];
        mean += weight[i] / total * glm::dvec3(m[0], m[1], m[2]);
    }
    glm::dmat3 cov(0.0);
    for (std::size_t i = 0; i < children.size(); ++i) {
        const std::uint32_t ch = children[i];
        const glm::dmat3 r(rotation_of(&c.rotations()[4 * ch]));
        const float* ls = &c.log_scales()[3 * ch];
        const glm::dmat3 s2(glm::dvec3(std::exp(2.0 * ls[0]), 0, 0), glm::dvec3(0, std::exp(2.0 * ls[1]), 0),
                            glm::dvec3(0, 0, std::exp(2.0 * ls[2])));
        const float* m = &c.positions()[3 * ch];
        const glm::dvec3 d = glm::dvec3(m[0], m[1], m[2]) - mean;
        cov += weight[i] / total * (r * s2 * glm::transpose(r) + glm::outerProduct(d, d));
    }
    glm::dmat3 vectors;
    glm::dvec3 values;
    symmetric_eigen(cov, vectors, values);
    if (glm::determinant(vectors) < 0.0) vectors[2] = -vectors[2];
    const glm::quat q = glm::quat_cast(glm::mat3(vectors));
    float* out_q = &c.rotations()[4 * node];
    out_q[0] = q.w, out_q[1] = q.x, out_q[2] = q.y, out_q[3] = q.z;
    float* out_s = &c.log_scales()[3 * node];
    for (int a = 0; a < 3; ++a) out_s[a] = 0.5f * static_cast<float>(std::log(std::max(values[a], 1e-30)));
    for (int a = 0; a < 3; ++a)
        c.positions()[3 * node + static_cast<std::size_t>(a)] = static_cast<float>(mean[a]);
    // Opacity: the children's covered area, spread over the node's.
    const float area = footprint(out_s);
    const float opacity = std::clamp(area > 0.0f ? static_cast<float>(covered / area) : kMaxMergedOpacity,
                                     1e-4f, kMaxMergedOpacity);
    c.opacity_logits()[node] = logit(opacity);
    for (int a = 0; a < 3; ++a) {
        double v = 0.0;
        for (std::size_t i = 0; i < children.size(); ++i)
            v += weight[i] / total * c.sh_dc()[3 * children[i] + static_cast<std::size_t>(a)];
        c.sh_dc()[3 * node + static_cast<std::size_t>(a)] = static_cast<float>(v);
    }
    for (std::size_t j = 0; j < k; ++j) {
        double v = 0.0;
        for (std::size_t i = 0; i < children.size(); ++i)
            v += weight[i] / total * c.sh_rest()[k * children[i] + j];
        c.sh_rest()[k * node + j] = static_cast<float>(v);
    }
}

// Merges the subtree under `node` bottom-up (children first), in parallel for large subtrees.
void merge_subtree(LodHierarchy& h, std::uint32_t node, std::size_t size) {
    if (h.is_leaf(node)) return;
    const std::size_t i = node - h.leaves;
    const std::uint32_t l = h.left[i], r = h.right[i];
    // Subtree sizes follow the builder's halving.
    const std::size_t left_size = size / 2, right_size = size - size / 2;
    if (size > kParallelNodes)
        tbb::parallel_invoke([&] { merge_subtree(h, l, left_size); },
                             [&] { merge_subtree(h, r, right_size); });
    else
        merge_subtree(h, l, left_size), merge_subtree(h, r, right_size);
    const std::uint32_t children[2] = {l, r};
    merge_into(h.nodes, node, children);
}

glm::vec3 mean_of(const GaussianCloud& c, std::uint32_t node) {
    return {c.positions()[3 * node], c.positions()[3 * node + 1], c.positions()[3 * node + 2]};
}

float extent_of(const GaussianCloud& c, std::uint32_t node) {
    const float* s = &c.log_scales()[3 * node];
    return kSigmas * std::exp(std::max({s[0], s[1], s[2]}));
}

}  // namespace

GaussianCloud LodHierarchy::leaf_cloud() const {
    std::vector<std::uint32_t> first(leaves);
    std::iota(first.begin(), first.end(), 0u);
    GaussianCloud cloud = gather(nodes, first);
    cloud.set_up(nodes.up());
    cloud.set_background(nodes.background());
    return cloud;
}

std::size_t LodHierarchy::memory_bytes() const {
    return nodes.memory_bytes() + (left.size() + right.size() + parent.size() + radius.size()) * 4 +
           height.size();
}

void link_lod(LodHierarchy& h) {
    const std::size_t n = h.nodes.size();
    h.parent.assign(n, kNoNode);
    h.radius.assign(n, 0.0f);
    std::vector<std::uint8_t> has_parent(n, 0);
    for (std::size_t i = 0; i + h.leaves < n; ++i)
        for (const std::uint32_t ch : {h.left[i], h.right[i]}) {
            if (ch >= n || ch == h.leaves + i || has_parent[ch])
                throw InputError(
                    cat("interior node ", i, " has child ", ch, ", which is out of range or taken"));
            has_parent[ch] = 1;
            h.parent[ch] = static_cast<std::uint32_t>(h.leaves + i);
        }
    h.root = kNoNode;
    for (std::size_t i = 0; i < n; ++i)
        if (!has_parent[i]) {
            if (h.root != kNoNode) throw InputError("the hierarchy has more than one root");
            h.root = static_cast<std::uint32_t>(i);
        }
    if (n > 0 && h.root == kNoNode) throw InputError("the hierarchy has no root (a cycle)");
    // Depth-first from the root: every node reached once (no cycles). Then, children before parents (the
    // visit order backwards, with no recursion however deep a file's tree is): each node's sphere holds its
    // own extent and its children's spheres, and its height is one over its higher child's.
    std::vector<std::uint32_t> order;
    order.reserve(n);
    std::vector<std::uint32_t> stack = {h.root};
    while (!stack.empty() && n > 0) {
        const std::uint32_t node = stack.back();
        stack.pop_back();
        order.push_back(node);
        if (!h.is_leaf(node))
            stack.push_back(h.left[node - h.leaves]), stack.push_back(h.right[node - h.leaves]);
    }
    if (order.size() != n)
        throw InputError(cat("the hierarchy reaches ", order.size(), " of its ", n, " nodes"));
    h.height.assign(n, 0);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        const std::uint32_t node = *it;
        float r = extent_of(h.nodes, node);
        if (!h.is_leaf(node)) {
            const glm::vec3 m = mean_of(h.nodes, node);
            for (const std::uint32_t ch : {h.left[node - h.leaves], h.right[node - h.leaves]}) {
                r = std::max(r, glm::length(mean_of(h.nodes, ch) - m) + h.radius[ch]);
                h.height[node] =
                    static_cast<std::uint8_t>(std::min(255, std::max<int>(h.height[node], h.height[ch] + 1)));
            }
        }
        h.radius[node] = r;
    }
}

LodHierarchy build_lod(const GaussianCloud& scene) {
    if (scene.is_4d()) throw InputError("a Gaussian hierarchy is built over 3D scenes; this scene is 4D");
    if (scene.empty()) throw InputError("an empty scene has no hierarchy");
    LodHierarchy h;
    h.leaves = scene.size();
    h.left.assign(h.leaves - 1, 0);
    h.right.assign(h.leaves - 1, 0);
    std::vector<std::uint32_t> order(h.leaves);
    std::iota(order.begin(), order.end(), 0u);
    Builder builder{scene, h, order};
    const std::uint32_t root = builder.build(0, h.leaves);
    // Leaves in tree order, then room for the interior nodes.
    GaussianCloud leaves = gather(scene, order);
    h.nodes.resize(2 * h.leaves - 1, scene.sh_degree(), false);
    const auto copy = [&](std::span<const float> from, std::span<float> to) {
        std::copy(from.begin(), from.end(), to.begin());
    };
    copy(leaves.positions(), h.nodes.positions());
    copy(leaves.log_scales(), h.nodes.log_scales());
    copy(leaves.rotations(), h.nodes.rotations());
    copy(leaves.opacity_logits(), h.nodes.opacity_logits());
    copy(leaves.sh_dc(), h.nodes.sh_dc());
    copy(leaves.sh_rest(), h.nodes.sh_rest());
    h.nodes.set_up(scene.up());
    h.nodes.set_background(scene.background());
    merge_subtree(h, root, h.leaves);
    link_lod(h);
    return h;
}

float lod_projected_size(const LodHierarchy& h, std::uint32_t node, const Camera& camera) {
    const float distance = glm::length(mean_of(h.nodes, node) - camera.position()) - h.radius[node];
    return std::max(camera.fx, camera.fy) * h.radius[node] / std::max(distance, 1e-4f);
}

namespace {

// The view's four edge planes through the camera centre, as inward unit normals in camera coordinates.
struct ViewPlanes {
    glm::vec3 normal[4];
    explicit ViewPlanes(const Camera& c) {
        const float w = static_cast<float>(c.width), h = static_cast<float>(c.height);
        normal[0] = glm::normalize(glm::vec3(c.fx, 0.0f, c.cx));       // x / z >= -cx / fx
        normal[1] = glm::normalize(glm::vec3(-c.fx, 0.0f, w - c.cx));  // x / z <= (w - cx) / fx
        normal[2] = glm::normalize(glm::vec3(0.0f, c.fy, c.cy));
        normal[3] = glm::normalize(glm::vec3(0.0f, -c.fy, h - c.cy));
    }
    bool reaches(const glm::vec3& centre, float radius) const {
        if (centre.z < -radius) return false;
        for (const glm::vec3& n : normal)
            if (glm::dot(n, centre) < -radius) return false;
        return true;
    }
};

}  // namespace

bool lod_in_view(const LodHierarchy& h, std::uint32_t node, const Camera& camera) {
    return ViewPlanes(camera).reaches(camera.rotation * mean_of(h.nodes, node) + camera.translation,
                                      h.radius[node]);
}

LodCut lod_cut(const LodHierarchy& h, const Camera& camera, const LodCutSettings& settings) {
    LodCut cut;
    if (h.nodes.empty()) return cut;
    const float target = settings.target_pixels;
    const auto size = [&](std::uint32_t node) { return lod_projected_size(h, node, camera); };
    const ViewPlanes planes(camera);
    const auto seen = [&](std::uint32_t node) {
        return !settings.cull ||
               planes.reaches(camera.rotation * mean_of(h.nodes, node) + camera.translation, h.radius[node]);
    };
    if (settings.budget == std::numeric_limits<std::size_t>::max()) {
        // Size target: descend while a node is larger than the target. Subtrees go to threads, their
        // parts joined in the frontier's order. Each node carries its parent's size, which sets its blend
        // (the root, with none, is drawn as itself).
        struct Visit {
            std::uint32_t node;
            float parent_size;
        };
        const auto blend = [&](float parent_size) {
            return target > 0.0f ? std::clamp(parent_size / target - 1.0f, 0.0f, 1.0f) : 1.0f;
        };
        struct Part {
            std::vector<std::uint32_t> nodes;
            std::vector<float> blend;
        };
        std::vector<Visit> frontier;
        if (seen(h.root)) frontier.push_back({h.root, INFINITY});
        Part done;
        const auto visit = [&](const Visit& v, Part& part, auto&& push) {
            const float s = h.is_leaf(v.node) ? 0.0f : size(v.node);
            if (h.is_leaf(v.node) || s <= target) {
                part.nodes.push_back(v.node);
                part.blend.push_back(blend(v.parent_size));
            } else {
                push(s);
            }
        };
        while (!frontier.empty() && frontier.size() < 256) {  // a few levels serially, to spread the work
            std::vector<Visit> next;
            for (const Visit& v : frontier)
                visit(v, done, [&](float s) {
                    for (const std::uint32_t child : {h.left[v.node - h.leaves], h.right[v.node - h.leaves]})
                        if (seen(child)) next.push_back({child, s});
                });
            frontier = std::move(next);
        }
        std::vector<Part> parts(frontier.size());
        tbb::parallel_for(std::size_t{0}, frontier.size(), [&](std::size_t f) {
            std::vector<Visit> stack = {frontier[f]};
            while (!stack.empty()) {
                const Visit v = stack.back();
                stack.pop_back();
                visit(v, parts[f], [&](float s) {
                    for (const std::uint32_t child : {h.right[v.node - h.leaves], h.left[v.node - h.leaves]})
                        if (seen(child)) stack.push_back({child, s});
                });
            }
        });
        std::size_t total = done.nodes.size();
        for (const Part& part : parts) total += part.nodes.size();
        cut.nodes = std::move(done.nodes);
        cut.blend = std::move(done.blend);
        cut.nodes.reserve(total);
        cut.blend.reserve(total);
        for (const Part& part : parts) {
            cut.nodes.insert(cut.nodes.end(), part.nodes.begin(), part.nodes.end());
            cut.blend.insert(cut.blend.end(), part.blend.begin(), part.blend.end());
        }
        cut.target_pixels = target;
        return cut;
    } else {
        // Budget: split the largest node first while the cut stays within the budget and over the target.
        using Entry = std::pair<float, std::uint32_t>;
        std::priority_queue<Entry> open;
        if (seen(h.root)) open.push({size(h.root), h.root});
        std::size_t count = open.size();
        float stopped_at = 0.0f;
        while (!open.empty()) {
            const auto [s, node] = open.top();
            if (h.is_leaf(node)) {
                open.pop();
                cut.nodes.push_back(node);
                continue;
            }
            if (s <= target || count + 1 > settings.budget) {
                stopped_at = s;
                break;
            }
            open.pop();
            --count;
            for (const std::uint32_t ch : {h.left[node - h.leaves], h.right[node - h.leaves]})
                if (seen(ch)) open.push({size(ch), ch}), ++count;
        }
        while (!open.empty()) cut.nodes.push_back(open.top().second), open.pop();
        std::sort(cut.nodes.begin(), cut.nodes.end());
        cut.target_pixels = std::max(target, stopped_at);
    }
    // Budget: blend each node toward its parent while the parent is under twice the size it stopped at.
    cut.blend.assign(cut.nodes.size(), 1.0f);
    if (cut.target_pixels > 0.0f)
        tbb::parallel_for(std::size_t{0}, cut.nodes.size(), [&](std::size_t i) {
            const std::uint32_t parent = h.parent[cut.nodes[i]];
            if (parent == kNoNode) return;
            cut.blend[i] = std::clamp(size(parent) / cut.target_pixels - 1.0f, 0.0f, 1.0f);
        });
    return cut;
}

void cut_cloud(const LodHierarchy& h, const LodCut& cut, GaussianCloud& out) {
    const GaussianCloud& c = h.nodes;
    const std::size_t n = cut.nodes.size(), k = static_cast<std::size_t>(sh_rest_count(c.sh_degree())) * 3;
    if (out.size() != n || out.sh_degree() != c.sh_degree() || out.is_4d())
        out.resize_for_overwrite(n, c.sh_degree(), false);
    out.set_up(c.up());
    out.set_background(c.background());
    tbb::parallel_for(
        tbb::blocked_range<std::size_t>(0, n, 1024), [&](const tbb::blocked_range<std::size_t>& r) {
            for (std::size_t i = r.begin(); i < r.end(); ++i) {
                const std::uint32_t node = cut.nodes[i], parent = h.parent[node];
                const float t = cut.blend[i];
                if (t >= 1.0f || parent == kNoNode) {
                    for (int a = 0; a < 3; ++a) {
                        out.positions()[3 * i + a] = c.positions()[3 * node + a];
                        out.log_scales()[3 * i + a] = c.log_scales()[3 * node + a];
                        out.sh_dc()[3 * i + a] = c.sh_dc()[3 * node + a];
                    }
                    for (int a = 0; a < 4; ++a) out.rotations()[4 * i + a] = c.rotations()[4 * node + a];
                    out.opacity_logits()[i] = c.opacity_logits()[node];
                    for (std::size_t j = 0; j < k; ++j) out.sh_rest()[k * i + j] = c.sh_rest()[k * node + j];
                    continue;
                }
                const auto mix = [t](float from, float to) { return from + (to - from) * t; };
                for (int a = 0; a < 3; ++a) {
                    out.positions()[3 * i + a] =
                        mix(c.positions()[3 * parent + a], c.positions()[3 * node + a]);
                    out.log_scales()[3 * i + a] =
                        mix(c.log_scales()[3 * parent + a], c.log_scales()[3 * node + a]);
                    out.sh_dc()[3 * i + a] = mix(c.sh_dc()[3 * parent + a], c.sh_dc()[3 * node + a]);
                }
                // Quaternions: the shorter way round, then normalized.
                const float* qp = &c.rotations()[4 * parent];
                const float* qn = &c.rotations()[4 * node];
                const float sign =
                    qp[0] * qn[0] + qp[1] * qn[1] + qp[2] * qn[2] + qp[3] * qn[3] < 0.0f ? -1.0f : 1.0f;
                float q[4], norm = 0.0f;
                for (int a = 0; a < 4; ++a) q[a] = mix(sign * qp[a], qn[a]), norm += q[a] * q[a];
                norm = norm > 0.0f ? 1.0f / std::sqrt(norm) : 1.0f;
                for (int a = 0; a < 4; ++a) out.rotations()[4 * i + a] = q[a] * norm;
                // Both children start as the parent: each with the opacity that, twice over, is the parent's.
                const float parent_opacity = 1.0f - std::sqrt(1.0f - sigmoid(c.opacity_logits()[parent]));
                out.opacity_logits()[i] = logit(
                    std::clamp(mix(parent_opacity, sigmoid(c.opacity_logits()[node])), 1e-6f, 1.0f - 1e-6f));
                for (std::size_t j = 0; j < k; ++j)
                    out.sh_rest()[k * i + j] = mix(c.sh_rest()[k * parent + j], c.sh_rest()[k * node + j]);
            }
        });
}

}  // namespace glint::splatting

namespace glint::splatting {
namespace {

constexpr std::string_view kEndHeader = "end_header\n";

// The header's text and the body of a binary PLY made by encode_ply.
std::pair<std::string_view, std::span<const std::byte>> split_ply(const std::vector<std::byte>& bytes) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const std::size_t end = text.find(kEndHeader);
    GLINT_CHECK(end != std::string_view::npos, "encode_ply wrote no end_header");
    const std::size_t body = end + kEndHeader.size();
    return {text.substr(0, body), std::span(bytes).subspan(body)};
}

// The "property ..." lines of the header's vertex element.
std::string vertex_property_lines(std::string_view header) {
    std::string lines;
    bool in_vertex = false;
    std::size_t start = 0;
    while (start < header.size()) {
        const std::size_t stop = header.find('\n', start);
        const std::string_view line = header.substr(start, stop - start);
        if (line.starts_with("element ")) in_vertex = line.starts_with("element vertex ");
        if (in_vertex && line.starts_with("property ")) lines += cat(line, "\n");
        start = stop + 1;
    }
    return lines;
}

}  // namespace

std::vector<std::byte> encode_lod_ply(const LodHierarchy& h) {
    const std::size_t interior = h.nodes.size() - h.leaves;
    std::vector<std::uint32_t> interior_nodes(interior);
    std::iota(interior_nodes.begin(), interior_nodes.end(), static_cast<std::uint32_t>(h.leaves));
    const std::vector<std::byte> leaves = encode_ply(h.leaf_cloud());
    const std::vector<std::byte> inner = encode_ply(gather(h.nodes, interior_nodes));
    const auto [leaf_header, leaf_body] = split_ply(leaves);
    const auto [inner_header, inner_body] = split_ply(inner);
    std::string header(leaf_header.substr(0, leaf_header.size() - kEndHeader.size()));
    header +=
        cat("comment glint lod: element lod_node holds the hierarchy's interior nodes; left and right are\n",
            "comment node indices, the vertices first\n", "element lod_node ", interior, "\n",
            vertex_property_lines(inner_header), "property int left\nproperty int right\n", kEndHeader);
    const std::size_t row = interior > 0 ? inner_body.size() / interior : 0;
    std::vector<std::byte> out(header.size() + leaf_body.size() + interior * (row + 8));
    std::memcpy(out.data(), header.data(), header.size());
    std::memcpy(out.data() + header.size(), leaf_body.data(), leaf_body.size());
    std::byte* at = out.data() + header.size() + leaf_body.size();
    for (std::size_t i = 0; i < interior; ++i, at += row + 8) {
        std::memcpy(at, inner_body.data() + i * row, row);
        const std::int32_t children[2] = {static_cast<std::int32_t>(h.left[i]),
                                          static_cast<std::int32_t>(h.right[i])};
        std::memcpy(at + row, children, 8);
    }
    return out;
}

void write_lod_ply(const LodHierarchy& h, const std::filesystem::path& path) {
    const std::vector<std::byte> bytes = encode_lod_ply(h);
    AtomicFile file(path);
    file.write(bytes);
    file.commit();
}

std::optional<LodHierarchy> read_lod_hierarchy(std::span<const std::byte> bytes, std::string_view name,
                                               const GaussianCloud& leaves) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()),
                                std::min(bytes.size(), kMaxPlyHeaderBytes));
    const PlyHeader header = parse_ply_header(text, name);
    std::size_t offset = header.body_offset;
    const PlyElement* nodes = nullptr;
    for (const PlyElement& e : header.elements) {
        if (e.name == "lod_node") {
            nodes = &e;
            break;
        }
        if (header.encoding != PlyEncoding::BinaryLittleEndian || e.has_list()) return std::nullopt;
        offset += e.count * e.row_bytes();
    }
    if (nodes == nullptr) return std::nullopt;
    const auto fail = [&](const std::string& problem) -> InputError {
        return InputError(cat(name, ": level-of-detail hierarchy: ", problem));
    };
    if (nodes->count + 1 != leaves.size() || nodes->has_list())
        throw fail(cat(nodes->count, " interior nodes for ", leaves.size(), " Gaussians (a binary tree has ",
                       leaves.size() == 0 ? 0 : leaves.size() - 1, ")"));
    const std::size_t props = nodes->properties.size();
    if (props < 2 || nodes->properties[props - 2].name != "left" ||
        nodes->properties[props - 1].name != "right" || nodes->properties[props - 2].type != PlyType::Int32 ||
        nodes->properties[props - 1].type != PlyType::Int32)
        throw fail("the lod_node element does not end with int left and int right");
    const std::size_t row = nodes->row_bytes(), count = nodes->count;
    if (offset > bytes.size() || (bytes.size() - offset) / std::max<std::size_t>(row, 1) < count)
        throw fail(cat("the file ends inside its ", count, " interior nodes"));
    // The interior nodes read as a PLY of their own (the same properties as the vertices).
    std::string inner = "ply\nformat binary_little_endian 1.0\n";
    inner += cat("element vertex ", count, "\n");
    for (std::size_t p = 0; p + 2 < props; ++p)
        inner +=
            cat("property ", ply_type_name(nodes->properties[p].type), " ", nodes->properties[p].name, "\n");
    inner += kEndHeader;
    const std::size_t gaussian_row = row - 8;
    std::vector<std::byte> buffer(inner.size() + count * gaussian_row);
    std::memcpy(buffer.data(), inner.data(), inner.size());
    LodHierarchy h;
    h.leaves = leaves.size();
    h.left.resize(count);
    h.right.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::byte* src = bytes.data() + offset + i * row;
        std::memcpy(buffer.data() + inner.size() + i * gaussian_row, src, gaussian_row);
        std::int32_t children[2];
        std::memcpy(children, src + gaussian_row, 8);
        if (children[0] < 0 || children[1] < 0) throw fail(cat("interior node ", i, " has a negative child"));
        h.left[i] = static_cast<std::uint32_t>(children[0]);
        h.right[i] = static_cast<std::uint32_t>(children[1]);
    }
    const GaussianCloud interior = read_ply(buffer, name).cloud;
    if (interior.sh_degree() != leaves.sh_degree() || interior.is_4d())
        throw fail("the interior nodes' properties differ from the vertices'");
    const std::size_t n = leaves.size() + count;
    h.nodes.resize_for_overwrite(n, leaves.sh_degree(), false);
    const auto join = [](std::span<const float> a, std::span<const float> b, std::span<float> to) {
        std::copy(a.begin(), a.end(), to.begin());
        std::copy(b.begin(), b.end(), to.begin() + static_cast<std::ptrdiff_t>(a.size()));
    };
    join(leaves.positions(), interior.positions(), h.nodes.positions());
    join(leaves.log_scales(), interior.log_scales(), h.nodes.log_scales());
    join(leaves.rotations(), interior.rotations(), h.nodes.rotations());
    join(leaves.opacity_logits(), interior.opacity_logits(), h.nodes.opacity_logits());
    join(leaves.sh_dc(), interior.sh_dc(), h.nodes.sh_dc());
    join(leaves.sh_rest(), interior.sh_rest(), h.nodes.sh_rest());
    h.nodes.set_up(leaves.up());
    h.nodes.set_background(leaves.background());
    try {
        link_lod(h);
    } catch (const InputError& e) {
        throw fail(e.what());
    }
    return h;
}

}  // namespace glint::splatting

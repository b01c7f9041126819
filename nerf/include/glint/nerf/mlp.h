// A small fully connected network as Instant-NGP uses them (tiny-cuda-nn's fully fused MLP): no biases,
// ReLU between layers, a linear output. Batched forward keeping each layer's activations, and the backward
// pass giving the weights' gradient and the input's. CPU, written for the vectorizer (the inner loops run
// over a layer's outputs, contiguous in the weight rows); templated on the scalar for the gradient tests.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace glint::nerf {

template <typename T>
class Mlp {
public:
    // widths: input, hidden..., output (at least input and output). Weights are row-major per layer,
    // [in, out] (weight (i, o) at i * out + o), concatenated.
    explicit Mlp(std::vector<int> widths);
    const std::vector<int>& widths() const { return m_widths; }
    std::vector<T>& weights() { return m_weights; }
    const std::vector<T>& weights() const { return m_weights; }
    // Uniform in +-sqrt(6 / (in + out)) per layer (Glorot), deterministic for a seed.
    void initialize(std::uint64_t seed);

    // What the forward pass keeps for the backward pass: each layer's input activations.
    struct Activations {
        std::size_t batch = 0;
        std::vector<std::vector<T>> layers;  // [layer][batch, width]
    };
    // input [batch, widths.front()] -> output [batch, widths.back()].
    void forward(std::span<const T> input, std::span<T> output, Activations& keep) const;
    // The same output without keeping anything (rendering, density queries).
    void infer(std::span<const T> input, std::span<T> output) const;
    // From dL/d output, adds dL/d weights into grad_weights and, when grad_input is non-empty, writes
    // dL/d input.
    void backward(const Activations& keep, std::span<const T> grad_output, std::span<T> grad_weights,
                  std::span<T> grad_input) const;

private:
    std::vector<int> m_widths;
    std::vector<std::size_t> m_offsets;  // first weight of each layer
    std::vector<T> m_weights;
};

extern template class Mlp<float>;
extern template class Mlp<double>;

}  // namespace glint::nerf

// LeNet-300-100 and LeNet-5 (Caffe form) as plain tensors and a functional forward pass, so that every method
// can substitute its own weights (masked, shared, ternary) without touching the network.
#include <cmath>

#include <fmt/core.h>

#include "eie/train.h"

namespace eie::train {

Architecture parse_architecture(std::string_view name) {
  if (name == "lenet-300-100") return Architecture::lenet_300_100;
  if (name == "lenet-5") return Architecture::lenet_5;
  throw Error(fmt::format("--model '{}': unknown model (expected lenet-300-100 or lenet-5)", name));
}

Method parse_method(std::string_view name) {
  if (name == "dense") return Method::dense;
  if (name == "deep-compression") return Method::deep_compression;
  if (name == "ttq") return Method::ttq;
  if (name == "dsd") return Method::dsd;
  throw Error(fmt::format("--method '{}': unknown method (expected dense, deep-compression, ttq or dsd)", name));
}

const char* to_string(Architecture architecture) {
  return architecture == Architecture::lenet_300_100 ? "lenet-300-100" : "lenet-5";
}

const char* to_string(Method method) {
  switch (method) {
    case Method::dense: return "dense";
    case Method::deep_compression: return "deep-compression";
    case Method::ttq: return "ttq";
    case Method::dsd: return "dsd";
  }
  return "?";
}

std::vector<LayerSpec> layer_specs(Architecture architecture) {
  if (architecture == Architecture::lenet_300_100) {
    return {{"ip1", LayerKind::linear, 300, 784, 1},
            {"ip2", LayerKind::linear, 100, 300, 1},
            {"ip3", LayerKind::linear, 10, 100, 1}};
  }
  return {{"conv1", LayerKind::conv, 20, 1, 5},
          {"conv2", LayerKind::conv, 50, 20, 5},
          {"ip1", LayerKind::linear, 500, 800, 1},
          {"ip2", LayerKind::linear, 10, 500, 1}};
}

Network::Network(Architecture architecture, std::uint64_t seed)
    : architecture_(architecture), layers_(layer_specs(architecture)) {
  auto generator = at::detail::createCPUGenerator(seed);
  for (const LayerSpec& layer : layers_) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(layer.cols()));
    std::vector<std::int64_t> shape = {layer.out, layer.in};
    if (layer.kind == LayerKind::conv) shape = {layer.out, layer.in, layer.kernel, layer.kernel};
    torch::Tensor w = at::empty(shape, torch::kFloat32).uniform_(-bound, bound, generator);
    torch::Tensor b = at::empty({layer.out}, torch::kFloat32).uniform_(-bound, bound, generator);
    weights_.push_back(w.set_requires_grad(true));
    biases_.push_back(b.set_requires_grad(true));
  }
}

torch::Tensor Network::forward(const torch::Tensor& images, const std::vector<torch::Tensor>& weights) const {
  torch::Tensor x = images;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const LayerSpec& layer = layers_[i];
    const bool last = i + 1 == layers_.size();
    if (layer.kind == LayerKind::conv) {
      // Caffe's LeNet: conv -> max-pool 2, no non-linearity between.
      x = torch::max_pool2d(torch::conv2d(x, weights[i], biases_[i]), 2, 2);
    } else {
      if (x.dim() > 2) x = x.flatten(1);
      x = torch::linear(x, weights[i], biases_[i]);
      if (!last) x = torch::relu(x);
    }
  }
  return x;
}

Network Network::clone() const {
  Network copy = *this;
  for (auto& w : copy.weights_) w = w.detach().clone().set_requires_grad(true);
  for (auto& b : copy.biases_) b = b.detach().clone().set_requires_grad(true);
  return copy;
}

}  // namespace eie::train

// The trained networks as eie::Models: ONNX ops in execution order, weights named after the layers (so reports
// and --bits patterns use the papers' names), biases "<layer>.bias". Compressed layers replace their weight
// initializer; the bias stays a dense initializer consumed by the node.
#include <fmt/core.h>

#include "eie/train.h"

namespace eie::train {
namespace {

Tensor to_eie_tensor(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().contiguous().to(torch::kFloat32);
  Tensor out;
  out.shape = std::vector<std::int64_t>(c.sizes().begin(), c.sizes().end());
  out.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return out;
}

Node node(std::string op, std::string name, std::vector<std::string> inputs, std::string output) {
  Node n;
  n.op_type = std::move(op);
  n.name = std::move(name);
  n.inputs = std::move(inputs);
  n.outputs = {std::move(output)};
  return n;
}

}  // namespace

Model to_model(const Network& net, const std::vector<std::optional<CompressedLayer>>& compressed) {
  Model model;
  model.name = to_string(net.architecture());
  model.inputs = {{"input", {-1, 1, 28, 28}}};
  model.outputs = {{"logits", {-1, 10}}};
  std::string x = "input";
  bool flattened = false;
  const auto& layers = net.layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerSpec& layer = layers[i];
    const bool last = i + 1 == layers.size();
    model.initializers[layer.name] = to_eie_tensor(net.weights()[i]);
    model.initializers[layer.name + ".bias"] = to_eie_tensor(net.biases()[i]);
    if (layer.kind == LayerKind::conv) {
      Node conv = node("Conv", layer.name, {x, layer.name, layer.name + ".bias"}, layer.name + ".out");
      conv.attributes["kernel_shape"] = std::vector<std::int64_t>{layer.kernel, layer.kernel};
      conv.attributes["strides"] = std::vector<std::int64_t>{1, 1};
      conv.attributes["pads"] = std::vector<std::int64_t>{0, 0, 0, 0};
      model.nodes.push_back(conv);
      Node pool = node("MaxPool", layer.name + ".pool", {layer.name + ".out"}, layer.name + ".pool.out");
      pool.attributes["kernel_shape"] = std::vector<std::int64_t>{2, 2};
      pool.attributes["strides"] = std::vector<std::int64_t>{2, 2};
      model.nodes.push_back(pool);
      x = layer.name + ".pool.out";
      continue;
    }
    if (!flattened) {
      Node flatten = node("Flatten", "flatten", {x}, "flatten.out");
      flatten.attributes["axis"] = std::int64_t{1};
      model.nodes.push_back(flatten);
      x = "flatten.out";
      flattened = true;
    }
    const std::string out = last ? "logits" : layer.name + ".out";
    Node gemm = node("Gemm", layer.name, {x, layer.name, layer.name + ".bias"}, out);
    gemm.attributes["transB"] = std::int64_t{1};
    model.nodes.push_back(gemm);
    x = out;
    if (!last) {
      model.nodes.push_back(node("Relu", layer.name + ".relu", {x}, layer.name + ".relu.out"));
      x = layer.name + ".relu.out";
    }
  }
  for (const WeightSlot& slot : model.weight_slots()) {
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (layers[i].name == slot.name && i < compressed.size() && compressed[i]) {
        model.compress_weight(slot, *compressed[i]);
      }
    }
  }
  model.validate();
  return model;
}

Network network_from_model(const Model& model) {
  const bool lenet5 = model.initializers.count("conv1") || model.compressed.count("conv1");
  Network net(lenet5 ? Architecture::lenet_5 : Architecture::lenet_300_100, 1);
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < net.layers().size(); ++i) {
    const LayerSpec& layer = net.layers()[i];
    for (const auto& [name, target] : {std::pair{layer.name, net.weights()[i]}, std::pair{layer.name + ".bias", net.biases()[i]}}) {
      const std::optional<Tensor> t = model.constant(name);
      if (!t) {
        throw Error(fmt::format("model '{}': no tensor '{}' (not a {} written by eie train)", model.name, name,
                                to_string(net.architecture())));
      }
      const std::vector<std::int64_t> expected(target.sizes().begin(), target.sizes().end());
      if (t->shape != expected) {
        throw Error(fmt::format("model '{}': tensor '{}' is {}, {} expects {}", model.name, name,
                                shape_string(t->shape), to_string(net.architecture()), shape_string(expected)));
      }
      target.copy_(torch::from_blob(const_cast<float*>(t->data.data()), target.sizes(), torch::kFloat32));
    }
  }
  return net;
}

std::vector<int> torch_predict(const Model& model, const ImageSet& images) {
  const Network net = network_from_model(model);
  const torch::Tensor predicted = predict(net, to_tensors(images).images, net.weights());
  std::vector<int> out(static_cast<std::size_t>(predicted.numel()));
  const auto a = predicted.accessor<std::int64_t, 1>();
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int>(a[static_cast<std::int64_t>(i)]);
  return out;
}

}  // namespace eie::train

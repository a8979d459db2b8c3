// The scalar reference evaluation of a trained model: a small interpreter over the graph's nodes (Flatten,
// Gemm with transB = 1, Relu, Conv without padding, MaxPool) for one image at a time. Every matrix-vector
// product of a compressed weight is core's reference_spmv on its CompressedLayer (a convolution is one
// product per output position over the im2col patch); dense weights use dense_reference. This is the
// "engine" path `eie eval` measures against libtorch until the CPU engine runs whole models.
#include <algorithm>
#include <limits>
#include <map>
#include <thread>

#include <fmt/core.h>

#include "eie/train.h"

namespace eie::train {
namespace {

struct Value {
  std::vector<std::int64_t> shape;  // without the batch dimension
  std::vector<float> data;
};

class Interpreter {
 public:
  explicit Interpreter(const Model& model) : model_(model) {
    for (const Node& node : model.nodes) {
      static const char* supported[] = {"Flatten", "Gemm", "Relu", "Conv", "MaxPool"};
      if (std::find_if(std::begin(supported), std::end(supported),
                       [&](const char* op) { return node.op_type == op; }) == std::end(supported)) {
        throw Error(fmt::format("model '{}': node '{}': operator {} is not supported by the reference evaluation",
                                model.name, node.name, node.op_type));
      }
      // Checked here, not while running: run() executes on worker threads.
      if (node.op_type == "Gemm" && node.attr_int("transB", 0) != 1) {
        throw Error(fmt::format("model '{}': node '{}': only Gemm with transB = 1 is supported", model.name, node.name));
      }
      if (node.op_type == "Conv") {
        for (std::int64_t v : node.attr_ints("strides", {1, 1})) {
          if (v != 1) throw Error(fmt::format("model '{}': node '{}': only stride 1 is supported", model.name, node.name));
        }
        for (std::int64_t v : node.attr_ints("pads", {0, 0, 0, 0})) {
          if (v != 0) throw Error(fmt::format("model '{}': node '{}': only zero padding is supported", model.name, node.name));
        }
        if (node.attr_ints("kernel_shape").size() != 2) {
          throw Error(fmt::format("model '{}': node '{}': kernel_shape must have 2 values", model.name, node.name));
        }
      }
      if (node.op_type == "MaxPool" && node.attr_ints("kernel_shape").size() != 2) {
        throw Error(fmt::format("model '{}': node '{}': kernel_shape must have 2 values", model.name, node.name));
      }
      for (std::size_t i = 1; i < node.inputs.size(); ++i) {
        const std::string& name = node.inputs[i];
        if (model.compressed.count(name)) continue;
        const std::optional<Tensor> t = model.constant(name);
        if (!t) throw Error(fmt::format("model '{}': node '{}': input '{}' is not a constant", model.name, node.name, name));
        dense_[name] = *t;
      }
    }
  }

  // Logits of one image (the graph input without its batch dimension).
  std::vector<float> run(std::vector<float> input, std::vector<std::int64_t> shape) const {
    std::map<std::string, Value> values;
    values[model_.inputs.at(0).name] = Value{std::move(shape), std::move(input)};
    for (const Node& node : model_.nodes) {
      const Value& x = values.at(node.inputs.at(0));
      values[node.outputs.at(0)] = apply(node, x);
    }
    return values.at(model_.outputs.at(0).name).data;
  }

 private:
  // y = W v + b for the weight `name` (compressed or dense) and the bias `bias_name` (may be "").
  std::vector<double> matvec(const std::string& name, std::span<const float> v) const {
    if (const auto it = model_.compressed.find(name); it != model_.compressed.end()) {
      return reference_spmv(it->second.layer, v);
    }
    const Tensor& w = dense_.at(name);
    const std::int64_t rows = w.shape.at(0);
    return dense_reference(rows, w.numel() / rows, w.data, v);
  }

  void add_bias(const Node& node, std::vector<double>& y) const {
    if (node.inputs.size() < 3 || node.inputs[2].empty()) return;
    const Tensor& b = dense_.at(node.inputs[2]);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] += b.data[i];
  }

  Value apply(const Node& node, const Value& x) const {
    if (node.op_type == "Flatten") return Value{{static_cast<std::int64_t>(x.data.size())}, x.data};
    if (node.op_type == "Relu") {
      Value y = x;
      for (float& v : y.data) v = std::max(v, 0.0f);
      return y;
    }
    if (node.op_type == "Gemm") {
      std::vector<double> y = matvec(node.inputs[1], x.data);
      add_bias(node, y);
      return Value{{static_cast<std::int64_t>(y.size())}, std::vector<float>(y.begin(), y.end())};
    }
    if (node.op_type == "MaxPool") {
      const auto k = node.attr_ints("kernel_shape");
      const auto s = node.attr_ints("strides", k);
      const std::int64_t c = x.shape[0], h = x.shape[1], w = x.shape[2];
      const std::int64_t oh = (h - k[0]) / s[0] + 1, ow = (w - k[1]) / s[1] + 1;
      Value y{{c, oh, ow}, std::vector<float>(static_cast<std::size_t>(c * oh * ow))};
      for (std::int64_t ch = 0; ch < c; ++ch) {
        for (std::int64_t i = 0; i < oh; ++i) {
          for (std::int64_t j = 0; j < ow; ++j) {
            float m = -std::numeric_limits<float>::infinity();
            for (std::int64_t a = 0; a < k[0]; ++a) {
              for (std::int64_t b = 0; b < k[1]; ++b) {
                m = std::max(m, x.data[static_cast<std::size_t>((ch * h + i * s[0] + a) * w + j * s[1] + b)]);
              }
            }
            y.data[static_cast<std::size_t>((ch * oh + i) * ow + j)] = m;
          }
        }
      }
      return y;
    }
    // Conv: stride 1, no padding (what eie train writes).
    const auto k = node.attr_ints("kernel_shape");
    const std::int64_t c = x.shape[0], h = x.shape[1], w = x.shape[2];
    const std::int64_t oh = h - k[0] + 1, ow = w - k[1] + 1;
    std::vector<float> patch(static_cast<std::size_t>(c * k[0] * k[1]));
    Value y;
    std::int64_t m = 0;
    for (std::int64_t i = 0; i < oh; ++i) {
      for (std::int64_t j = 0; j < ow; ++j) {
        std::size_t p = 0;
        for (std::int64_t ch = 0; ch < c; ++ch) {
          for (std::int64_t a = 0; a < k[0]; ++a) {
            for (std::int64_t b = 0; b < k[1]; ++b) {
              patch[p++] = x.data[static_cast<std::size_t>((ch * h + i + a) * w + j + b)];
            }
          }
        }
        std::vector<double> out = matvec(node.inputs[1], patch);
        add_bias(node, out);
        if (y.data.empty()) {
          m = static_cast<std::int64_t>(out.size());
          y.shape = {m, oh, ow};
          y.data.resize(static_cast<std::size_t>(m * oh * ow));
        }
        for (std::int64_t o = 0; o < m; ++o) {
          y.data[static_cast<std::size_t>((o * oh + i) * ow + j)] = static_cast<float>(out[static_cast<std::size_t>(o)]);
        }
      }
    }
    return y;
  }

  const Model& model_;
  std::map<std::string, Tensor> dense_;
};

}  // namespace

std::vector<int> reference_predict(const Model& model, const ImageSet& images) {
  if (model.inputs.size() != 1 || model.outputs.size() != 1) {
    throw Error(fmt::format("model '{}': expected one input and one output", model.name));
  }
  const Interpreter interpreter(model);
  std::vector<int> predicted(static_cast<std::size_t>(images.count));
  auto work = [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t n = lo; n < hi; ++n) {
      const std::vector<float> logits = interpreter.run(image_input(images, n), {1, images.rows, images.cols});
      predicted[static_cast<std::size_t>(n)] =
          static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    }
  };
  // Two threads, one per core of the reference machine; each image is independent.
  const std::int64_t half = images.count / 2;
  std::thread other(work, half, images.count);
  work(0, half);
  other.join();
  return predicted;
}

}  // namespace eie::train

// MaxPool and AveragePool over 1-D and 2-D inputs (strides, pads, dilations, ceil_mode, auto_pad,
// count_include_pad), and GlobalAveragePool over any spatial rank.
#include <algorithm>
#include <limits>

#include "model/ops/ops.h"

namespace eie::ops {
namespace {

struct PoolGeometry {
  std::int64_t planes = 0;  // batch * channels
  std::int64_t in[2] = {1, 1}, kernel[2] = {1, 1}, stride[2] = {1, 1}, dilation[2] = {1, 1};
  std::int64_t out[2] = {1, 1}, pad_begin[2] = {0, 0}, pad_end[2] = {0, 0};
};

class Pool final : public Operator {
 public:
  Pool(const Node& node) : Operator(node), max_(node.op_type == "MaxPool") {
    ceil_mode_ = node.attr_int("ceil_mode", 0) != 0;
    count_include_pad_ = node.attr_int("count_include_pad", 0) != 0;
    const std::int64_t order = node.attr_int("storage_order", 0);
    require_attribute(node, order == 0, "storage_order", std::to_string(order), "0 (row major)");
    if (node.attr_ints("kernel_shape").empty()) throw node_error(node, "attribute kernel_shape is required");
  }
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const PoolGeometry g = geometry(inputs[0]);
    Shape out = inputs[0];
    out[out.size() - 1] = g.out[1];
    if (out.size() == 4) out[2] = g.out[0];
    return {out};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const PoolGeometry g = geometry(inputs[0]->shape);
    const float* x = inputs[0]->data.data();
    float* y = outputs[0]->data.data();
    for (std::int64_t p = 0; p < g.planes; ++p) {
      const float* plane = x + p * g.in[0] * g.in[1];
      for (std::int64_t oh = 0; oh < g.out[0]; ++oh) {
        for (std::int64_t ow = 0; ow < g.out[1]; ++ow) {
          float m = -std::numeric_limits<float>::infinity();
          double sum = 0.0;
          std::int64_t count = 0;
          for (std::int64_t kh = 0; kh < g.kernel[0]; ++kh) {
            const std::int64_t ih = oh * g.stride[0] - g.pad_begin[0] + kh * g.dilation[0];
            for (std::int64_t kw = 0; kw < g.kernel[1]; ++kw) {
              const std::int64_t iw = ow * g.stride[1] - g.pad_begin[1] + kw * g.dilation[1];
              const bool inside = ih >= 0 && ih < g.in[0] && iw >= 0 && iw < g.in[1];
              if (inside) {
                const float v = plane[ih * g.in[1] + iw];
                m = std::max(m, v);
                sum += v;
                ++count;
              } else if (count_include_pad_ && ih < g.in[0] + g.pad_end[0] && iw < g.in[1] + g.pad_end[1]) {
                ++count;  // a padding element counts (as a zero) when inside the declared padding
              }
            }
          }
          y[(p * g.out[0] + oh) * g.out[1] + ow] = max_ ? m : static_cast<float>(sum / static_cast<double>(std::max<std::int64_t>(count, 1)));
        }
      }
    }
  }

 private:
  PoolGeometry geometry(const Shape& x) const {
    if (x.size() != 3 && x.size() != 4) {
      throw node_error(node(), fmt::format("input has shape {}; eie supports 1-D and 2-D pooling (rank 3 or 4)",
                                           shape_string(x)));
    }
    const std::size_t spatial = x.size() - 2;
    const WindowAttributes a = window_attributes(node(), spatial, {});
    PoolGeometry g;
    g.planes = x[0] * x[1];
    for (std::size_t s = 0; s < spatial; ++s) {
      const std::size_t d = spatial == 1 ? 1 : s;  // a 1-D pool is a 2-D one with height 1
      const Window w = resolve_window(node(), x[2 + s], a.kernel[s], a.strides[s], a.dilations[s], a.pads[s],
                                      a.pads[spatial + s], a.auto_pad, ceil_mode_);
      g.in[d] = x[2 + s];
      g.kernel[d] = a.kernel[s];
      g.stride[d] = a.strides[s];
      g.dilation[d] = a.dilations[s];
      g.out[d] = w.out;
      g.pad_begin[d] = w.pad_begin;
      g.pad_end[d] = w.pad_end;
    }
    return g;
  }
  bool max_;
  bool ceil_mode_ = false;
  bool count_include_pad_ = false;
};

class GlobalAveragePool final : public Operator {
 public:
  using Operator::Operator;
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    if (inputs[0].size() < 3) throw node_error(node(), fmt::format("input has shape {}, expected rank >= 3", shape_string(inputs[0])));
    Shape out = inputs[0];
    std::fill(out.begin() + 2, out.end(), 1);
    return {out};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const Shape& s = inputs[0]->shape;
    const std::int64_t planes = s[0] * s[1];
    const std::int64_t size = planes == 0 ? 0 : inputs[0]->numel() / planes;
    for (std::int64_t p = 0; p < planes; ++p) {
      double sum = 0.0;
      for (std::int64_t i = 0; i < size; ++i) sum += inputs[0]->data[static_cast<std::size_t>(p * size + i)];
      outputs[0]->data[static_cast<std::size_t>(p)] = static_cast<float>(sum / static_cast<double>(size));
    }
  }
};

}  // namespace

std::unique_ptr<Operator> make_pool(const Node& node, const Model&) {
  expect_arity(node, 1, 1, 1);
  return std::make_unique<Pool>(node);
}
std::unique_ptr<Operator> make_global_average_pool(const Node& node, const Model&) {
  expect_arity(node, 1, 1, 1);
  return std::make_unique<GlobalAveragePool>(node);
}

}  // namespace eie::ops

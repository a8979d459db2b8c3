// Conv for 1-D and 2-D inputs (groups, strides, padding, dilation, auto_pad) with double accumulation, plus the
// geometry and im2col the engine uses to run a convolution as compressed matrix products (docs/network.md).
#include "model/ops/ops.h"

namespace eie {
namespace ops {

Window resolve_window(const Node& node, std::int64_t in, std::int64_t kernel, std::int64_t stride,
                      std::int64_t dilation, std::int64_t pad_begin, std::int64_t pad_end, const std::string& auto_pad,
                      bool ceil_mode) {
  const std::int64_t span = dilation * (kernel - 1) + 1;
  Window w;
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    w.out = (in + stride - 1) / stride;
    const std::int64_t total = std::max<std::int64_t>(0, (w.out - 1) * stride + span - in);
    w.pad_begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    w.pad_end = total - w.pad_begin;
    return w;
  }
  if (auto_pad == "VALID") pad_begin = pad_end = 0;
  const std::int64_t room = in + pad_begin + pad_end - span;
  if (room < 0) {
    throw node_error(node, fmt::format("the window ({} with dilation {}) is larger than the padded input ({})", kernel,
                                       dilation, in + pad_begin + pad_end));
  }
  w.out = (ceil_mode ? (room + stride - 1) / stride : room / stride) + 1;
  // ceil_mode: the last window must start inside the input or the begin padding (PyTorch's and ONNX's rule).
  if (ceil_mode && (w.out - 1) * stride >= in + pad_begin) --w.out;
  w.pad_begin = pad_begin;
  w.pad_end = pad_end;
  return w;
}

WindowAttributes window_attributes(const Node& node, std::size_t spatial, const std::vector<std::int64_t>& kernel) {
  WindowAttributes a;
  a.kernel = node.attr_ints("kernel_shape", kernel);
  a.strides = node.attr_ints("strides", std::vector<std::int64_t>(spatial, 1));
  a.dilations = node.attr_ints("dilations", std::vector<std::int64_t>(spatial, 1));
  a.pads = node.attr_ints("pads", std::vector<std::int64_t>(2 * spatial, 0));
  a.auto_pad = node.attr_string("auto_pad", "NOTSET");
  require_attribute(node, a.auto_pad == "NOTSET" || a.auto_pad == "VALID" || a.auto_pad == "SAME_UPPER" ||
                              a.auto_pad == "SAME_LOWER", "auto_pad", a.auto_pad,
                    "NOTSET, VALID, SAME_UPPER, SAME_LOWER");
  const auto fits = [&](const std::vector<std::int64_t>& v, std::size_t n, const char* name, std::int64_t min) {
    bool ok = v.size() == n;
    for (const std::int64_t x : v) ok = ok && x >= min;
    require_attribute(node, ok, name, shape_string(v), fmt::format("{} values >= {} for a {}-D input", n, min, spatial));
  };
  fits(a.kernel, spatial, "kernel_shape", 1);
  fits(a.strides, spatial, "strides", 1);
  fits(a.dilations, spatial, "dilations", 1);
  fits(a.pads, 2 * spatial, "pads", 0);
  return a;
}

namespace {

class Conv final : public Operator {
 public:
  using Operator::Operator;
  std::vector<Shape> infer(const std::vector<Shape>& inputs) const override {
    const ConvGeometry g = conv_geometry(node(), inputs[0], inputs[1]);
    if (inputs.size() > 2 && !node().inputs[2].empty() && inputs[2] != Shape{g.out_channels}) {
      throw node_error(node(), fmt::format("bias B has shape {}, expected [{}]", shape_string(inputs[2]), g.out_channels));
    }
    if (inputs[0].size() == 3) return {{g.batch, g.out_channels, g.out_w}};
    return {{g.batch, g.out_channels, g.out_h, g.out_w}};
  }
  void run(const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs) const override {
    const ConvGeometry g = conv_geometry(node(), inputs[0]->shape, inputs[1]->shape);
    const float* x = inputs[0]->data.data();
    const float* w = inputs[1]->data.data();
    const float* bias = inputs.size() > 2 && inputs[2] ? inputs[2]->data.data() : nullptr;
    float* y = outputs[0]->data.data();
    const std::int64_t cg = g.in_channels / g.group, mg = g.out_channels / g.group;
    for (std::int64_t n = 0; n < g.batch; ++n) {
      for (std::int64_t m = 0; m < g.out_channels; ++m) {
        const std::int64_t group = m / mg;
        for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
          for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
            double sum = bias ? bias[m] : 0.0;
            for (std::int64_t c = 0; c < cg; ++c) {
              for (std::int64_t kh = 0; kh < g.kernel_h; ++kh) {
                const std::int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
                if (ih < 0 || ih >= g.in_h) continue;
                for (std::int64_t kw = 0; kw < g.kernel_w; ++kw) {
                  const std::int64_t iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
                  if (iw < 0 || iw >= g.in_w) continue;
                  sum += static_cast<double>(w[((m * cg + c) * g.kernel_h + kh) * g.kernel_w + kw]) *
                         x[((n * g.in_channels + group * cg + c) * g.in_h + ih) * g.in_w + iw];
                }
              }
            }
            y[((n * g.out_channels + m) * g.out_h + oh) * g.out_w + ow] = static_cast<float>(sum);
          }
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Operator> make_conv(const Node& node, const Model&) {
  expect_arity(node, 2, 3, 1);
  return std::make_unique<Conv>(node);
}

}  // namespace ops

ConvGeometry conv_geometry(const Node& node, const Shape& x, const Shape& w) {
  using ops::node_error;
  if (x.size() != 3 && x.size() != 4) {
    throw node_error(node, fmt::format("input X has shape {}; eie supports 1-D and 2-D convolutions (rank 3 or 4)",
                                       shape_string(x)));
  }
  if (w.size() != x.size()) {
    throw node_error(node, fmt::format("weight W has shape {}, expected rank {}", shape_string(w), x.size()));
  }
  const std::size_t spatial = x.size() - 2;
  const ops::WindowAttributes a = ops::window_attributes(node, spatial, Shape(w.begin() + 2, w.end()));
  ConvGeometry g;
  g.batch = x[0];
  g.in_channels = x[1];
  g.out_channels = w[0];
  g.group = node.attr_int("group", 1);
  if (g.group < 1 || g.in_channels % g.group != 0 || g.out_channels % g.group != 0 || w[1] * g.group != g.in_channels) {
    throw node_error(node, fmt::format("group = {} does not fit input {} and weight {}", g.group, shape_string(x),
                                       shape_string(w)));
  }
  if (Shape(w.begin() + 2, w.end()) != a.kernel) {
    throw node_error(node, fmt::format("kernel_shape {} does not match weight {}", shape_string(a.kernel), shape_string(w)));
  }
  const std::size_t last = spatial - 1;
  const ops::Window ww = ops::resolve_window(node, x.back(), a.kernel[last], a.strides[last], a.dilations[last],
                                             a.pads[last], a.pads[spatial + last], a.auto_pad, false);
  g.in_w = x.back();
  g.kernel_w = a.kernel[last];
  g.stride_w = a.strides[last];
  g.dilation_w = a.dilations[last];
  g.out_w = ww.out;
  g.pad_left = ww.pad_begin;
  if (spatial == 2) {
    const ops::Window wh = ops::resolve_window(node, x[2], a.kernel[0], a.strides[0], a.dilations[0], a.pads[0],
                                               a.pads[2], a.auto_pad, false);
    g.in_h = x[2];
    g.kernel_h = a.kernel[0];
    g.stride_h = a.strides[0];
    g.dilation_h = a.dilations[0];
    g.out_h = wh.out;
    g.pad_top = wh.pad_begin;
  }
  return g;
}

void im2col(const ConvGeometry& g, const float* x, std::int64_t n, std::int64_t group, float* patches) {
  const std::int64_t cg = g.in_channels / g.group;
  const std::int64_t k = g.patch_size();
  for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
    for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
      float* row = patches + (oh * g.out_w + ow) * k;
      for (std::int64_t c = 0; c < cg; ++c) {
        const float* plane = x + (n * g.in_channels + group * cg + c) * g.in_h * g.in_w;
        for (std::int64_t kh = 0; kh < g.kernel_h; ++kh) {
          const std::int64_t ih = oh * g.stride_h - g.pad_top + kh * g.dilation_h;
          for (std::int64_t kw = 0; kw < g.kernel_w; ++kw) {
            const std::int64_t iw = ow * g.stride_w - g.pad_left + kw * g.dilation_w;
            *row++ = ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w ? 0.0f : plane[ih * g.in_w + iw];
          }
        }
      }
    }
  }
}

}  // namespace eie

// LSTM as ONNX defines it (gates i, o, f, c; sigmoid, tanh, tanh; peepholes, clip, initial states,
// sequence_lens; forward, reverse and bidirectional; layout 0 and 1), scalar with double accumulation. The
// engine runs each step as one compressed M x V over [x, h] (EIE's NT-LSTM) and shares lstm_cell with it.
#include <algorithm>
#include <cmath>

#include <fmt/ranges.h>

#include "model/ops/ops.h"

namespace eie {

LstmAttributes lstm_attributes(const Node& node) {
  using ops::require_attribute;
  LstmAttributes a;
  a.hidden = node.attr_int("hidden_size", 0);
  const std::string direction = node.attr_string("direction", "forward");
  require_attribute(node, direction == "forward" || direction == "reverse" || direction == "bidirectional",
                    "direction", direction, "forward, reverse, bidirectional");
  a.directions = direction == "bidirectional" ? 2 : 1;
  a.reverse = direction == "reverse";
  const std::int64_t layout = node.attr_int("layout", 0);
  require_attribute(node, layout == 0 || layout == 1, "layout", std::to_string(layout), "0 or 1");
  a.batch_first = layout == 1;
  a.clip = node.attr_float("clip", 0.0f);
  require_attribute(node, a.clip >= 0.0f, "clip", fmt::format("{}", a.clip), ">= 0");
  const std::int64_t input_forget = node.attr_int("input_forget", 0);
  require_attribute(node, input_forget == 0, "input_forget", std::to_string(input_forget), "0");
  const auto it = node.attributes.find("activations");
  if (it != node.attributes.end()) {
    const auto* names = std::get_if<std::vector<std::string>>(&it->second);
    bool ok = names != nullptr && names->size() == static_cast<std::size_t>(3 * a.directions);
    for (std::size_t i = 0; ok && i < names->size(); ++i) ok = (*names)[i] == (i % 3 == 0 ? "Sigmoid" : "Tanh");
    require_attribute(node, ok, "activations", names ? fmt::format("{}", fmt::join(*names, ",")) : "?",
                      "Sigmoid, Tanh, Tanh per direction");
  }
  if (node.attributes.count("activation_alpha") || node.attributes.count("activation_beta")) {
    throw ops::node_error(node, "attributes activation_alpha/activation_beta are not supported");
  }
  return a;
}

void lstm_cell(const LstmAttributes& a, const float* gates, const float* peepholes, float* c, float* h) {
  const std::int64_t n = a.hidden;
  const auto clip = [&](double v) { return a.clip > 0.0f ? std::clamp(v, -static_cast<double>(a.clip), static_cast<double>(a.clip)) : v; };
  const auto sigmoid = [&](double v) { return 1.0 / (1.0 + std::exp(-clip(v))); };
  for (std::int64_t j = 0; j < n; ++j) {
    const double c_prev = c[j];
    const double pi = peepholes ? peepholes[j] : 0.0, po = peepholes ? peepholes[n + j] : 0.0;
    const double pf = peepholes ? peepholes[2 * n + j] : 0.0;
    const double i = sigmoid(gates[j] + pi * c_prev);
    const double f = sigmoid(gates[2 * n + j] + pf * c_prev);
    const double g = std::tanh(clip(gates[3 * n + j]));
    const double c_new = f * c_prev + i * g;
    const double o = sigmoid(gates[n + j] + po * c_new);
    c[j] = static_cast<float>(c_new);
    h[j] = static_cast<float>(o * std::tanh(c_new));
  }
}

namespace ops {
namespace {

class Lstm final : public Operator {
 public:
  Lstm(const Node& node) : Operator(node), a_(lstm_attributes(node)) {}

  std::vector<Shape> infer(const std::vector<Shape>& in) const override {
    const Shape& x = in[0];
    if (x.size() != 3) throw node_error(node(), fmt::format("input X has shape {}, expected rank 3", shape_string(x)));
    const std::int64_t seq = a_.batch_first ? x[1] : x[0], batch = a_.batch_first ? x[0] : x[1], input = x[2];
    const std::int64_t dirs = a_.directions, h = a_.hidden;
    if (h < 1) throw node_error(node(), "attribute hidden_size must be >= 1");
    const auto expect = [&](std::size_t i, const Shape& shape) {
      if (i < in.size() && !node().inputs[i].empty() && in[i] != shape) {
        throw node_error(node(), fmt::format("input '{}' has shape {}, expected {}", node().inputs[i],
                                             shape_string(in[i]), shape_string(shape)));
      }
    };
    expect(1, {dirs, 4 * h, input});
    expect(2, {dirs, 4 * h, h});
    expect(3, {dirs, 8 * h});
    expect(4, {batch});
    const Shape state = a_.batch_first ? Shape{batch, dirs, h} : Shape{dirs, batch, h};
    expect(5, state);
    expect(6, state);
    expect(7, {dirs, 3 * h});
    const Shape y = a_.batch_first ? Shape{batch, seq, dirs, h} : Shape{seq, dirs, batch, h};
    return {y, state, state};
  }

  void run(const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) const override {
    const Shape& xs = in[0]->shape;
    const std::int64_t seq = a_.batch_first ? xs[1] : xs[0], batch = a_.batch_first ? xs[0] : xs[1], input = xs[2];
    const std::int64_t h = a_.hidden, dirs = a_.directions;
    const auto opt = [&](std::size_t i) { return i < in.size() ? in[i] : nullptr; };
    const Tensor *w = in[1], *r = in[2], *b = opt(3), *lens = opt(4), *h0 = opt(5), *c0 = opt(6), *p = opt(7);
    const auto x_at = [&](std::int64_t t, std::int64_t n) {
      return in[0]->data.data() + (a_.batch_first ? (n * seq + t) : (t * batch + n)) * input;
    };
    const auto state_at = [&](std::int64_t d, std::int64_t n) { return (a_.batch_first ? n * dirs + d : d * batch + n) * h; };
    const auto y_at = [&](std::int64_t t, std::int64_t d, std::int64_t n) {
      return (a_.batch_first ? ((n * seq + t) * dirs + d) : ((t * dirs + d) * batch + n)) * h;
    };
    Tensor* y = out[0];
    if (y) std::fill(y->data.begin(), y->data.end(), 0.0f);
    std::vector<float> gates(static_cast<std::size_t>(4 * h)), hs(static_cast<std::size_t>(h)), cs(static_cast<std::size_t>(h));
    for (std::int64_t d = 0; d < dirs; ++d) {
      const bool backward = a_.reverse || d == 1;
      const float* wd = w->data.data() + d * 4 * h * input;
      const float* rd = r->data.data() + d * 4 * h * h;
      for (std::int64_t n = 0; n < batch; ++n) {
        const std::int64_t len = lens ? ops::to_int64(lens->data[static_cast<std::size_t>(n)]) : seq;
        if (len < 0 || len > seq) throw node_error(node(), fmt::format("sequence_lens[{}] = {} is outside 0..{}", n, len, seq));
        for (std::int64_t j = 0; j < h; ++j) {
          hs[static_cast<std::size_t>(j)] = h0 ? h0->data[static_cast<std::size_t>(state_at(d, n) + j)] : 0.0f;
          cs[static_cast<std::size_t>(j)] = c0 ? c0->data[static_cast<std::size_t>(state_at(d, n) + j)] : 0.0f;
        }
        for (std::int64_t step = 0; step < len; ++step) {
          const std::int64_t t = backward ? len - 1 - step : step;
          const float* x = x_at(t, n);
          for (std::int64_t g = 0; g < 4 * h; ++g) {
            double sum = b ? static_cast<double>(b->data[static_cast<std::size_t>(d * 8 * h + g)]) +
                                 b->data[static_cast<std::size_t>(d * 8 * h + 4 * h + g)]
                           : 0.0;
            for (std::int64_t k = 0; k < input; ++k) sum += static_cast<double>(wd[g * input + k]) * x[k];
            for (std::int64_t k = 0; k < h; ++k) sum += static_cast<double>(rd[g * h + k]) * hs[static_cast<std::size_t>(k)];
            gates[static_cast<std::size_t>(g)] = static_cast<float>(sum);
          }
          lstm_cell(a_, gates.data(), p ? p->data.data() + d * 3 * h : nullptr, cs.data(), hs.data());
          if (y) std::copy(hs.begin(), hs.end(), y->data.begin() + y_at(t, d, n));
        }
        if (out.size() > 1 && out[1]) std::copy(hs.begin(), hs.end(), out[1]->data.begin() + state_at(d, n));
        if (out.size() > 2 && out[2]) std::copy(cs.begin(), cs.end(), out[2]->data.begin() + state_at(d, n));
      }
    }
  }

 private:
  LstmAttributes a_;
};

}  // namespace

std::unique_ptr<Operator> make_lstm(const Node& node, const Model&) {
  expect_arity(node, 3, 8, 3);
  return std::make_unique<Lstm>(node);
}

}  // namespace ops
}  // namespace eie

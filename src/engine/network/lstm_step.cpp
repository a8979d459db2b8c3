// LSTM as EIE's NT-LSTM runs it: each time step is one matrix product of the stacked weights [W R] (4H x
// (I + H), one codebook holding both) with the stacked vectors [x_t, h_{t-1}] of the whole batch, bias Wb + Rb;
// then the element-wise cell (lstm_cell, shared with the scalar operator).
#include "engine/network/step.h"

#include <algorithm>

namespace eie::network {
namespace {

class LstmStep final : public Step {
 public:
  LstmStep(const LstmAttributes& a, std::vector<MatrixProduct> directions, std::vector<const Tensor*> in,
           std::vector<Tensor*> out)
      : a_(a), directions_(std::move(directions)), in_(std::move(in)), out_(std::move(out)) {
    const Shape& xs = in_[0]->shape;
    seq_ = a_.batch_first ? xs[1] : xs[0];
    batch_ = a_.batch_first ? xs[0] : xs[1];
    input_ = xs[2];
    const auto h = static_cast<std::size_t>(a_.hidden), b = static_cast<std::size_t>(batch_);
    xh_.resize(b * static_cast<std::size_t>(input_ + a_.hidden));
    gates_.resize(b * 4 * h);
    h_.resize(b * h);
    c_.resize(b * h);
    lens_.resize(b);
  }

  void run() override {
    const std::int64_t h = a_.hidden, dirs = a_.directions, k = input_ + h;
    const Tensor *lens = in_[4], *h0 = in_[5], *c0 = in_[6], *p = in_[7];
    for (std::int64_t n = 0; n < batch_; ++n) {
      // Checked as a float first: a huge value (an int64 input) must not overflow the conversion.
      const float given = lens ? lens->data[static_cast<std::size_t>(n)] : static_cast<float>(seq_);
      if (!(given >= 0.0f && given <= static_cast<float>(seq_))) {
        throw Error("LSTM: sequence_lens[" + std::to_string(n) + "] = " + std::to_string(given) + " is outside 0.." +
                    std::to_string(seq_));
      }
      const auto len = static_cast<std::int64_t>(given);
      lens_[static_cast<std::size_t>(n)] = len;
    }
    if (out_[0]) std::fill(out_[0]->data.begin(), out_[0]->data.end(), 0.0f);
    for (std::int64_t d = 0; d < dirs; ++d) {
      const bool backward = a_.reverse || d == 1;
      for (std::int64_t n = 0; n < batch_; ++n) {
        const std::int64_t s = state_at(d, n);
        for (std::int64_t j = 0; j < h; ++j) {
          h_[static_cast<std::size_t>(n * h + j)] = h0 ? h0->data[static_cast<std::size_t>(s + j)] : 0.0f;
          c_[static_cast<std::size_t>(n * h + j)] = c0 ? c0->data[static_cast<std::size_t>(s + j)] : 0.0f;
        }
      }
      for (std::int64_t step = 0; step < seq_; ++step) {
        for (std::int64_t n = 0; n < batch_; ++n) {  // rows [x_t, h] (zeros for finished sequences)
          float* row = xh_.data() + n * k;
          const std::int64_t len = lens_[static_cast<std::size_t>(n)];
          if (step < len) {
            const std::int64_t t = backward ? len - 1 - step : step;
            const float* x = in_[0]->data.data() + (a_.batch_first ? n * seq_ + t : t * batch_ + n) * input_;
            std::copy(x, x + input_, row);
          } else {
            std::fill(row, row + input_, 0.0f);
          }
          std::copy(h_.begin() + n * h, h_.begin() + (n + 1) * h, row + input_);
        }
        directions_[static_cast<std::size_t>(d)].run(xh_.data(), gates_.data(), batch_);
        for (std::int64_t n = 0; n < batch_; ++n) {
          const std::int64_t len = lens_[static_cast<std::size_t>(n)];
          if (step >= len) continue;
          const std::int64_t t = backward ? len - 1 - step : step;
          float* hn = h_.data() + n * h;
          lstm_cell(a_, gates_.data() + n * 4 * h, p ? p->data.data() + d * 3 * h : nullptr, c_.data() + n * h, hn);
          if (out_[0]) {
            const std::int64_t at = (a_.batch_first ? ((n * seq_ + t) * dirs + d) : ((t * dirs + d) * batch_ + n)) * h;
            std::copy(hn, hn + h, out_[0]->data.begin() + at);
          }
        }
      }
      for (std::int64_t n = 0; n < batch_; ++n) {
        const std::int64_t s = state_at(d, n);
        if (out_[1]) std::copy(h_.begin() + n * h, h_.begin() + (n + 1) * h, out_[1]->data.begin() + s);
        if (out_[2]) std::copy(c_.begin() + n * h, c_.begin() + (n + 1) * h, out_[2]->data.begin() + s);
      }
    }
  }
  std::string path() const override { return directions_.front().path() + ", one product over [x, h] per step"; }
  std::vector<const MatrixProduct*> products() const override {
    std::vector<const MatrixProduct*> out;
    for (const MatrixProduct& direction : directions_) out.push_back(&direction);
    return out;
  }

 private:
  std::int64_t state_at(std::int64_t d, std::int64_t n) const {
    return (a_.batch_first ? n * a_.directions + d : d * batch_ + n) * a_.hidden;
  }
  LstmAttributes a_;
  std::vector<MatrixProduct> directions_;
  std::vector<const Tensor*> in_;  // X, W, R, B, sequence_lens, initial_h, initial_c, P (null when omitted)
  std::vector<Tensor*> out_;       // Y, Y_h, Y_c (null when omitted)
  std::int64_t seq_ = 0, batch_ = 0, input_ = 0;
  std::vector<float> xh_, gates_, h_, c_;
  std::vector<std::int64_t> lens_;
};

}  // namespace

std::unique_ptr<Step> make_lstm_step(const Node& node, const StepContext& context) {
  for (std::size_t i : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}}) {
    if (i < node.inputs.size() && !node.inputs[i].empty() && !context.is_constant(node.inputs[i])) return nullptr;
  }
  const LstmAttributes a = lstm_attributes(node);
  std::vector<const Tensor*> in(8, nullptr);
  for (std::size_t i = 0; i < node.inputs.size() && i < 8; ++i) {
    if (!node.inputs[i].empty()) in[i] = context.value(node.inputs[i]);
  }
  std::vector<Tensor*> out(3, nullptr);
  for (std::size_t i = 0; i < node.outputs.size() && i < 3; ++i) {
    if (!node.outputs[i].empty()) out[i] = context.value(node.outputs[i]);
  }
  const std::int64_t h = a.hidden, input = in[0]->shape[2];
  const std::int64_t batch = a.batch_first ? in[0]->shape[0] : in[0]->shape[1];
  const auto compressed = [&](const std::string& name) {
    const auto it = context.model.compressed.find(name);
    return it != context.model.compressed.end() && it->second.layout == WeightLayout::rows_first ? &it->second.layer : nullptr;
  };
  const CompressedLayer *w = compressed(node.inputs[1]), *r = compressed(node.inputs[2]);
  std::vector<MatrixProduct> directions;
  for (std::int64_t d = 0; d < a.directions; ++d) {
    std::vector<float> bias(static_cast<std::size_t>(4 * h), 0.0f);
    if (in[3]) {
      for (std::int64_t g = 0; g < 4 * h; ++g) {
        bias[static_cast<std::size_t>(g)] = in[3]->data[static_cast<std::size_t>(d * 8 * h + g)] +
                                            in[3]->data[static_cast<std::size_t>(d * 8 * h + 4 * h + g)];
      }
    }
    if (w && r) {
      std::optional<CompressedLayer> wr = concat_columns(slice_rows(*w, d * 4 * h, (d + 1) * 4 * h),
                                                         slice_rows(*r, d * 4 * h, (d + 1) * 4 * h));
      if (wr) {
        wr->bias = std::move(bias);
        directions.emplace_back(std::move(*wr), context.options, context.workers, batch);
        continue;
      }
    }
    const Tensor wt = *context.model.constant(node.inputs[1]), rt = *context.model.constant(node.inputs[2]);
    std::vector<float> matrix(static_cast<std::size_t>(4 * h * (input + h)));
    for (std::int64_t g = 0; g < 4 * h; ++g) {
      std::copy_n(wt.data.begin() + (d * 4 * h + g) * input, input, matrix.begin() + g * (input + h));
      std::copy_n(rt.data.begin() + (d * 4 * h + g) * h, h, matrix.begin() + g * (input + h) + input);
    }
    directions.push_back(MatrixProduct::dense(context.options, std::move(matrix), 4 * h, input + h, std::move(bias)));
  }
  return std::make_unique<LstmStep>(a, std::move(directions), std::move(in), std::move(out));
}

}  // namespace eie::network

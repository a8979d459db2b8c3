// Conv with a constant weight as im2col + one matrix product per group: every output position's patch is one
// input row, so a whole image is one batched product through the engine's kernels (docs/network.md says why
// im2col rather than a direct sparse convolution).
#include "engine/network/step.h"

namespace eie::network {
namespace {

class ConvStep final : public Step {
 public:
  ConvStep(const ConvGeometry& geometry, std::vector<MatrixProduct> groups, const Tensor* x, Tensor* y)
      : g_(geometry), groups_(std::move(groups)), x_(x), y_(y) {
    patches_.resize(static_cast<std::size_t>(g_.positions() * g_.patch_size()));
    out_.resize(static_cast<std::size_t>(g_.positions() * (g_.out_channels / g_.group)));
  }
  void run() override {
    const std::int64_t positions = g_.positions(), per_group = g_.out_channels / g_.group;
    for (std::int64_t n = 0; n < g_.batch; ++n) {
      for (std::int64_t group = 0; group < g_.group; ++group) {
        im2col(g_, x_->data.data(), n, group, patches_.data());
        groups_[static_cast<std::size_t>(group)].run(patches_.data(), out_.data(), positions);
        float* y = y_->data.data() + (n * g_.out_channels + group * per_group) * positions;
        for (std::int64_t p = 0; p < positions; ++p) {
          for (std::int64_t m = 0; m < per_group; ++m) y[m * positions + p] = out_[static_cast<std::size_t>(p * per_group + m)];
        }
      }
    }
  }
  std::string path() const override {
    return groups_.front().path() + (g_.group > 1 ? " (per group, " + std::to_string(g_.group) + " groups)" : "") +
           ", im2col";
  }
  std::vector<const MatrixProduct*> products() const override {
    std::vector<const MatrixProduct*> out;
    for (const MatrixProduct& group : groups_) out.push_back(&group);
    return out;
  }

 private:
  ConvGeometry g_;
  std::vector<MatrixProduct> groups_;
  const Tensor* x_;
  Tensor* y_;
  std::vector<float> patches_, out_;
};

}  // namespace

std::unique_ptr<Step> make_conv_step(const Node& node, const StepContext& context) {
  if (!context.is_constant(node.inputs[1])) return nullptr;
  const bool has_bias = node.inputs.size() > 2 && !node.inputs[2].empty();
  if (has_bias && !context.is_constant(node.inputs[2])) return nullptr;
  const Tensor* x = context.value(node.inputs[0]);
  const ConvGeometry g = conv_geometry(node, x->shape, context.value(node.inputs[1])->shape);
  const std::int64_t per_group = g.out_channels / g.group;
  std::vector<MatrixProduct> groups;
  for (std::int64_t group = 0; group < g.group; ++group) {
    std::vector<float> bias;
    if (has_bias) {
      const std::vector<float>& b = context.value(node.inputs[2])->data;
      bias.assign(b.begin() + group * per_group, b.begin() + (group + 1) * per_group);
    }
    groups.push_back(make_product(context, node.inputs[1], WeightLayout::rows_first, group * per_group, per_group,
                                  g.patch_size(), std::move(bias), g.positions()));
  }
  return std::make_unique<ConvStep>(g, std::move(groups), x, context.value(node.outputs[0]));
}

}  // namespace eie::network

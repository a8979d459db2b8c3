// Nodes that only move data (Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice, Expand): their strided
// walk is collapsed once at planning (Operator::strided_read) instead of on every run. A decode step of a
// language model runs dozens of such nodes on a few hundred values each, where computing the walk cost more than
// the copy.
#include "engine/network/step.h"

#include <fmt/core.h>

#include "model/ops/strided.h"

namespace eie::network {
namespace {

class StridedReadStep final : public Step {
 public:
  StridedReadStep(const Tensor* x, Tensor* y, const Operator::StridedRead& read)
      : x_(x), y_(y), gather_(y->shape, read.offset, read.strides) {}
  void run() override { gather_.run(x_->data.data(), y_->data.data()); }
  std::string path() const override { return "strided copy"; }

 private:
  const Tensor* x_;
  Tensor* y_;
  ops::StridedGather gather_;
};

}  // namespace

std::unique_ptr<Step> make_strided_read_step(const Node& node, const Operator& op, const StepContext& context) {
  if (node.inputs.empty() || node.inputs[0].empty() || node.outputs.size() != 1) return nullptr;
  std::vector<Shape> shapes;
  for (const std::string& name : node.inputs) shapes.push_back(name.empty() ? Shape{} : context.value(name)->shape);
  const std::optional<Operator::StridedRead> read = op.strided_read(shapes);
  if (!read) return nullptr;
  return std::make_unique<StridedReadStep>(context.value(node.inputs[0]), context.value(node.outputs[0]), *read);
}

}  // namespace eie::network

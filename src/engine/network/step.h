// A planned node: its buffers bound, its weights planned; run() computes its outputs. The matrix nodes with a
// constant weight get the steps here; make_*_step returns null when a node does not qualify (a run-time
// weight, an unusual layout), and the node then runs its scalar operator.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/network/matrix_product.h"

namespace eie::network {

class Step {
 public:
  virtual ~Step() = default;
  virtual void run() = 0;
  virtual std::string path() const = 0;
  // The products over the node's constant weights (none for a scalar operator), for NodePlanInfo.
  virtual std::vector<const MatrixProduct*> products() const { return {}; }
};

struct StepContext {
  const Model& model;
  const ModelEngineOptions& options;
  std::shared_ptr<WorkerThreads> workers;  // shared by the compressed products; null for one thread
  std::function<Tensor*(const std::string&)> value;  // the planned buffer of a tensor (constants filled)
  bool is_constant(const std::string& name) const {
    return model.initializers.count(name) > 0 || model.compressed.count(name) > 0;
  }
};

// The product for constant weight `name` used as an n x k matrix stored in `layout` (rows [row_begin,
// row_begin + n) of it), with `bias`. Compressed when the model stores the weight compressed with this view.
MatrixProduct make_product(const StepContext& context, const std::string& name, WeightLayout layout,
                           std::int64_t row_begin, std::int64_t n, std::int64_t k, std::vector<float> bias,
                           std::int64_t max_rows);

// An Add that only adds a constant bias to the output of a MatMul over a constant weight, its only reader (how
// torch.onnx.export writes nn.Linear on inputs of more than two dimensions): the bias joins the product, which
// writes the Add's output, and the Add runs nothing.
struct BiasAdd {
  const Node* add;     // in the planned model's nodes
  std::string output;  // the Add's output
  std::vector<float> bias;
};
std::optional<BiasAdd> find_bias_add(const Node& matmul, const StepContext& context);

std::unique_ptr<Step> make_gemm_step(const Node& node, const StepContext& context);
std::unique_ptr<Step> make_matmul_step(const Node& node, const StepContext& context, const BiasAdd* bias_add = nullptr);
std::unique_ptr<Step> make_conv_step(const Node& node, const StepContext& context);
std::unique_ptr<Step> make_lstm_step(const Node& node, const StepContext& context);
// A node whose operator only moves data (Operator::strided_read), its walk computed once.
std::unique_ptr<Step> make_strided_read_step(const Node& node, const Operator& op, const StepContext& context);

}  // namespace eie::network

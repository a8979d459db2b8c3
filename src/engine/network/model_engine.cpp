// ModelEngine: plan a whole network once, run it many times. Planning infers every tensor's shape, allocates
// one buffer per tensor (constants copied in once), and binds each node to a step: a matrix product through
// the compressed kernels or OpenBLAS for the weighted nodes, the scalar operator for the rest. run() copies the
// inputs in, runs the steps in graph order and copies the outputs out; nothing is allocated. A model with dynamic
// axes is planned once per set of input shapes (its shape computations folded to constants for them); the plans
// are kept, most recently used first, so that a decode loop over a few sequence lengths plans each once.
#include <algorithm>
#include <chrono>

#include <fmt/core.h>

#include "eie/engine.h"
#include "engine/network/step.h"

namespace eie {
namespace {

class OperatorStep final : public network::Step {
 public:
  OperatorStep(std::unique_ptr<Operator> op, std::vector<const Tensor*> in, std::vector<Tensor*> out)
      : op_(std::move(op)), in_(std::move(in)), out_(std::move(out)) {}
  void run() override { op_->run(in_, out_); }
  std::string path() const override { return "scalar operator"; }

 private:
  std::unique_ptr<Operator> op_;
  std::vector<const Tensor*> in_;
  std::vector<Tensor*> out_;
};

// A node whose work another step does (an Add of a bias the product before it adds).
class FusedStep final : public network::Step {
 public:
  explicit FusedStep(std::string into) : into_(std::move(into)) {}
  void run() override {}
  std::string path() const override { return "fused into " + into_; }

 private:
  std::string into_;
};

}  // namespace

struct ModelEngine::Plan {
  std::vector<Shape> given_shapes;  // what it was planned for (the cache's key)
  std::optional<Model> folded;  // the graph specialised to the input shapes and fused, when either applies
  std::map<std::string, std::unique_ptr<Tensor>> values;
  std::vector<Tensor*> inputs, outputs;
  std::vector<std::string> input_names, output_names;
  std::vector<Shape> input_shapes, output_shapes;
  std::vector<std::unique_ptr<network::Step>> steps;
  std::vector<NodePlanInfo> info;
};

ModelEngine::ModelEngine(const Model& model, ModelEngineOptions options)
    : ModelEngine(model, [&] {
        const std::map<std::string, Shape> declared = declared_input_shapes(model);
        std::vector<Shape> shapes;
        for (const ValueInfo& input : model.inputs) shapes.push_back(declared.at(input.name));
        return shapes;
      }(), options) {}

ModelEngine::ModelEngine(const Model& original, const std::vector<Shape>& input_shapes, ModelEngineOptions options)
    : model_(std::make_shared<const Model>(original)), options_(std::move(options)) {
  // One set of worker threads for every compressed product of every plan: the steps run one after another.
  if (options_.threads > 1) workers_ = std::make_shared<WorkerThreads>(options_.threads);
  reshape(input_shapes);
}

void ModelEngine::reshape(const std::vector<Shape>& input_shapes) {
  const auto same = [&](const std::unique_ptr<Plan>& p) { return p->given_shapes == input_shapes; };
  if (const auto it = std::find_if(plans_.begin(), plans_.end(), same); it != plans_.end()) {
    std::rotate(plans_.begin(), it, it + 1);  // most recently used first
    return;
  }
  std::unique_ptr<Plan> plan = make_plan(*model_, input_shapes, options_, workers_);
  ++plans_made_;
  plans_.insert(plans_.begin(), std::move(plan));
  if (plans_.size() > kMaxCachedPlans) plans_.pop_back();
}

std::size_t ModelEngine::cached_plans() const { return plans_.size(); }
std::int64_t ModelEngine::plans_made() const { return plans_made_; }

// The plan of `original` for `input_shapes`: shape computations folded, buffers allocated, steps bound.
std::unique_ptr<ModelEngine::Plan> ModelEngine::make_plan(const Model& original, const std::vector<Shape>& input_shapes,
                                                          const ModelEngineOptions& options,
                                                          const std::shared_ptr<WorkerThreads>& workers) {
  auto result = std::make_unique<Plan>();
  Plan& plan = *result;
  plan.given_shapes = input_shapes;
  if (input_shapes.size() != original.inputs.size()) {
    throw Error(fmt::format("model '{}' has {} graph inputs, {} shapes given", original.name, original.inputs.size(),
                            input_shapes.size()));
  }
  std::map<std::string, Shape> given;
  for (std::size_t i = 0; i < original.inputs.size(); ++i) {
    check_runnable_type(original.inputs[i].type, fmt::format("graph input '{}'", original.inputs[i].name));
    given[original.inputs[i].name] = input_shapes[i];
  }
  plan.folded = fold_shapes(original, given);  // shape computations evaluated for these input shapes
  std::map<std::string, Shape> shapes = infer_shapes(plan.folded ? *plan.folded : original, given);
  if (std::optional<Model> fused = fuse_layer_norms(plan.folded ? *plan.folded : original, shapes)) {
    plan.folded = std::move(fused);  // nine steps per layer normalisation become one
    shapes = infer_shapes(*plan.folded, given);
  }
  if (std::optional<Model> fused = fuse_gelus(plan.folded ? *plan.folded : original)) {
    plan.folded = std::move(fused);  // five steps per GELU become one; every remaining tensor keeps its shape
  }
  const Model& model = plan.folded ? *plan.folded : original;
  const auto value = [&](const std::string& name) -> Tensor* {
    auto& slot = plan.values[name];
    if (!slot) {
      slot = std::make_unique<Tensor>();
      if (std::optional<Tensor> constant = model.constant(name)) {
        *slot = std::move(*constant);
      } else {
        slot->shape = shapes.at(name);
        slot->data.assign(static_cast<std::size_t>(slot->numel()), 0.0f);
      }
    }
    return slot.get();
  };
  for (const ValueInfo& input : model.inputs) {
    plan.inputs.push_back(value(input.name));
    plan.input_names.push_back(input.name);
    plan.input_shapes.push_back(shapes.at(input.name));
  }
  const network::StepContext context{model, options, workers, value};
  std::map<const Node*, std::string> fused;  // node -> the node whose step does its work
  for (const Node& node : model.nodes) {
    std::unique_ptr<Operator> op = make_operator(node, model);  // checks the attributes
    std::vector<const Tensor*> in;
    std::vector<Tensor*> out;
    for (const std::string& name : node.inputs) in.push_back(name.empty() ? nullptr : value(name));
    for (const std::string& name : node.outputs) out.push_back(name.empty() ? nullptr : value(name));
    std::unique_ptr<network::Step> step;
    if (const auto into = fused.find(&node); into != fused.end()) {
      step = std::make_unique<FusedStep>(into->second);
    } else if (node.op_type == "Gemm") {
      step = network::make_gemm_step(node, context);
    } else if (node.op_type == "MatMul") {
      const std::optional<network::BiasAdd> bias_add = network::find_bias_add(node, context);
      step = network::make_matmul_step(node, context, bias_add ? &*bias_add : nullptr);
      if (step && bias_add) fused[bias_add->add] = node.name.empty() ? node.outputs[0] : node.name;
    } else if (node.op_type == "Conv") {
      step = network::make_conv_step(node, context);
    } else if (node.op_type == "LSTM") {
      step = network::make_lstm_step(node, context);
    } else {
      step = network::make_strided_read_step(node, *op, context);
    }
    if (!step) step = std::make_unique<OperatorStep>(std::move(op), std::move(in), std::move(out));
    NodePlanInfo info{node.name, node.op_type, step->path(), {}, 0};
    for (const network::MatrixProduct* product : step->products()) {
      if (info.kernel.empty()) info.kernel = product->kernel();
      info.weight_bytes += product->weight_bytes();
    }
    plan.info.push_back(std::move(info));
    plan.steps.push_back(std::move(step));
  }
  for (const ValueInfo& output : model.outputs) {
    plan.outputs.push_back(value(output.name));
    plan.output_names.push_back(output.name);
    plan.output_shapes.push_back(plan.outputs.back()->shape);
  }
  return result;
}

ModelEngine::ModelEngine(ModelEngine&&) noexcept = default;
ModelEngine& ModelEngine::operator=(ModelEngine&&) noexcept = default;
ModelEngine::~ModelEngine() = default;

const std::vector<Shape>& ModelEngine::input_shapes() const { return plans_.front()->input_shapes; }
const std::vector<Shape>& ModelEngine::output_shapes() const { return plans_.front()->output_shapes; }
std::vector<NodePlanInfo> ModelEngine::plan_info() const { return plans_.front()->info; }

void ModelEngine::run(const std::vector<std::span<const float>>& inputs, const std::vector<std::span<float>>& outputs) {
  Plan& plan = *plans_.front();
  if (inputs.size() != plan.inputs.size() || outputs.size() != plan.outputs.size()) {
    throw Error(fmt::format("model engine: {} inputs and {} outputs given, the model has {} and {}", inputs.size(),
                            outputs.size(), plan.inputs.size(), plan.outputs.size()));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].size() != plan.inputs[i]->data.size()) {
      throw Error(fmt::format("graph input '{}': {} values given, shape {} needs {}", plan.input_names[i],
                              inputs[i].size(), shape_string(plan.input_shapes[i]), plan.inputs[i]->data.size()));
    }
    std::copy(inputs[i].begin(), inputs[i].end(), plan.inputs[i]->data.begin());
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].size() != plan.outputs[i]->data.size()) {
      throw Error(fmt::format("graph output '{}': room for {} values given, shape {} needs {}", plan.output_names[i],
                              outputs[i].size(), shape_string(plan.output_shapes[i]), plan.outputs[i]->data.size()));
    }
  }
  if (options_.profile) {
    for (std::size_t i = 0; i < plan.steps.size(); ++i) {
      const auto start = std::chrono::steady_clock::now();
      plan.steps[i]->run();
      plan.info[i].seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++plan.info[i].runs;
    }
  } else {
    for (const auto& step : plan.steps) step->run();
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    std::copy(plan.outputs[i]->data.begin(), plan.outputs[i]->data.end(), outputs[i].begin());
  }
}

std::vector<Tensor> ModelEngine::run(const std::vector<Tensor>& inputs) {
  if (inputs.size() != plans_.front()->inputs.size()) {
    throw Error(fmt::format("model engine: {} inputs given, the model has {}", inputs.size(),
                            plans_.front()->inputs.size()));
  }
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape);
  if (shapes != plans_.front()->input_shapes) reshape(shapes);
  Plan& plan = *plans_.front();
  std::vector<std::span<const float>> in;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].shape != plan.input_shapes[i]) {
      throw Error(fmt::format("graph input '{}' has shape {}, the engine was planned for {}", plan.input_names[i],
                              shape_string(inputs[i].shape), shape_string(plan.input_shapes[i])));
    }
    in.emplace_back(inputs[i].data);
  }
  std::vector<Tensor> result(plan.outputs.size());
  std::vector<std::span<float>> out;
  for (std::size_t i = 0; i < result.size(); ++i) {
    result[i].shape = plan.output_shapes[i];
    result[i].data.resize(plan.outputs[i]->data.size());
    out.emplace_back(result[i].data);
  }
  run(in, out);
  return result;
}

}  // namespace eie

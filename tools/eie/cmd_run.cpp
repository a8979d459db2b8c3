// `eie run MODEL --input X ... [--output Y ...] [--batch N] [--compare EXPECTED ...]`: inference on a whole
// network (.onnx, or .eie with its compressed weights) with the CPU engine's ModelEngine. Inputs and outputs
// are .npy or ONNX TensorProto .pb files, one per graph input/output in graph order.
#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "eie/engine.h"
#include "eie/io.h"

namespace eie::cli {
namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs, outputs, compare;
  std::int64_t batch = 0;
  int threads = 1;
  std::string kernel = "auto";
  std::string precision = "fp32";
  bool compact_codes = false;
  std::string layout = "auto";
  bool skip_zero_activations = false;
  bool verbose = false;
  bool json = false;
};

// Rows [begin, begin + count) of dimension 0.
Tensor slice(const Tensor& t, std::int64_t begin, std::int64_t count) {
  Tensor out{t.shape, {}};
  out.shape[0] = count;
  const std::int64_t row = t.shape[0] == 0 ? 0 : t.numel() / t.shape[0];
  out.data.assign(t.data.begin() + begin * row, t.data.begin() + (begin + count) * row);
  return out;
}

std::vector<Tensor> run_model(const Model& model, const std::vector<Tensor>& inputs, const RunArgs& args,
                              std::vector<NodePlanInfo>& plan) {
  const ModelEngineOptions options{.threads = args.threads, .kernel = parse_kernel_isa(args.kernel),
                                   .skip_zero_activations = args.skip_zero_activations,
                                   .precision = parse_precision(args.precision),
                                   .compact_codes = args.compact_codes,
                                   .layout = parse_layout_option(args.layout)};
  check_compact_codes(options.compact_codes, options.precision);
  check_layout(options.layout, options.precision, options.kernel);  // also for a model without compressed weights
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape);
  if (args.batch == 0) {
    ModelEngine engine(model, shapes, options);
    plan = engine.plan_info();
    return engine.run(inputs);
  }
  // --batch: dimension 0 of every input is the sample dimension; the model runs N samples at a time.
  const std::int64_t total = inputs.front().shape.empty() ? 0 : inputs.front().shape[0];
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].shape.empty() || inputs[i].shape[0] != total) {
      throw Error(fmt::format("--batch: input {} ({}) has shape {}; every input needs the same dimension 0 ({})", i + 1,
                              args.inputs[i], shape_string(inputs[i].shape), total));
    }
  }
  Model batched = model;
  for (ValueInfo& input : batched.inputs) {
    if (!input.shape.empty()) input.shape[0] = -1;
  }
  std::vector<Tensor> outputs;
  std::optional<ModelEngine> engine;
  for (std::int64_t begin = 0; begin < total; begin += args.batch) {
    const std::int64_t count = std::min(args.batch, total - begin);
    std::vector<Tensor> chunk;
    for (const Tensor& t : inputs) chunk.push_back(slice(t, begin, count));
    if (!engine) {
      for (Shape& s : shapes) s[0] = count;
      engine.emplace(batched, shapes, options);
    }
    std::vector<Tensor> result = engine->run(chunk);  // a smaller last chunk plans for its shape
    plan = engine->plan_info();
    for (std::size_t i = 0; i < result.size(); ++i) {
      if (outputs.size() <= i) {
        outputs.push_back(std::move(result[i]));
        continue;
      }
      if (result[i].shape.empty()) throw Error(fmt::format("--batch: output {} is a scalar; it cannot be batched", i + 1));
      outputs[i].shape[0] += result[i].shape[0];
      outputs[i].data.insert(outputs[i].data.end(), result[i].data.begin(), result[i].data.end());
    }
  }
  return outputs;
}

void print_tensor(const std::string& name, const Tensor& t) {
  constexpr std::size_t shown = 64;
  const std::size_t n = std::min(shown, t.data.size());
  fmt::print("{} {}: [{}{}]\n", name, shape_string(t.shape),
             fmt::join(std::vector<float>(t.data.begin(), t.data.begin() + static_cast<std::ptrdiff_t>(n)), ", "),
             t.data.size() > n ? fmt::format(", ... ({} more; --output writes them all)", t.data.size() - n) : "");
}

void run(const RunArgs& args) {
  Model model = load_model(args.model);
  if (model.nodes.empty()) throw Error(fmt::format("{}: has no graph (eie run needs an .onnx model or an .eie made from one)", args.model));
  if (args.inputs.size() != model.inputs.size()) {
    std::vector<std::string> names;
    for (const ValueInfo& v : model.inputs) names.push_back(v.name);
    throw Error(fmt::format("{}: the model has {} inputs ({}), {} --input given", args.model, model.inputs.size(),
                            fmt::join(names, ", "), args.inputs.size()));
  }
  if (!args.outputs.empty() && args.outputs.size() != model.outputs.size()) {
    throw Error(fmt::format("{}: the model has {} outputs, {} --output given", args.model, model.outputs.size(), args.outputs.size()));
  }
  if (!args.compare.empty() && args.compare.size() != model.outputs.size()) {
    throw Error(fmt::format("{}: the model has {} outputs, {} --compare given", args.model, model.outputs.size(), args.compare.size()));
  }
  if (args.batch < 0) throw Error(fmt::format("--batch {} must be >= 1", args.batch));
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < args.inputs.size(); ++i) {
    std::string type;
    inputs.push_back(read_tensor(args.inputs[i], &type));
    const std::string& expected = model.inputs[i].type;
    if (type != expected && !(type == "float" && args.inputs[i].ends_with(".npy"))) {
      throw Error(fmt::format("{}: holds {} values, graph input '{}' is {}", args.inputs[i], type, model.inputs[i].name, expected));
    }
  }
  std::vector<NodePlanInfo> plan;
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Tensor> outputs = run_model(model, inputs, args, plan);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json out = {{"model", args.model}, {"seconds", seconds}, {"outputs", nlohmann::json::array()}};
  if (args.verbose && !args.json) {
    for (const NodePlanInfo& node : plan) {
      fmt::print("plan: {} ({}): {}{}\n", node.node, node.op_type, node.path,
                 node.weight_bytes > 0 ? fmt::format(", {} bytes", node.weight_bytes) : "");
    }
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    nlohmann::json o = {{"name", model.outputs[i].name}, {"shape", outputs[i].shape}};
    if (!args.outputs.empty()) {
      write_tensor(args.outputs[i], outputs[i]);
      o["file"] = args.outputs[i];
      if (!args.json) fmt::print("{} {} -> {}\n", model.outputs[i].name, shape_string(outputs[i].shape), args.outputs[i]);
    } else if (!args.json) {
      print_tensor(model.outputs[i].name, outputs[i]);
    } else {
      o["values"] = outputs[i].data;
    }
    if (!args.compare.empty()) {
      const Tensor expected = read_tensor(args.compare[i]);
      if (expected.numel() != outputs[i].numel()) {
        throw Error(fmt::format("{}: has shape {}, output '{}' has shape {}", args.compare[i], shape_string(expected.shape),
                                model.outputs[i].name, shape_string(outputs[i].shape)));
      }
      double abs_err = 0.0, rel_err = 0.0;
      for (std::size_t k = 0; k < expected.data.size(); ++k) {
        const double d = std::fabs(static_cast<double>(outputs[i].data[k]) - expected.data[k]);
        abs_err = std::max(abs_err, d);
        rel_err = std::max(rel_err, d / std::max(1.0, std::fabs(static_cast<double>(expected.data[k]))));
      }
      o["max_abs_error"] = abs_err;
      o["max_rel_error"] = rel_err;
      if (!args.json) {
        fmt::print("{} vs {}: max abs error {:.3e}, max rel error {:.3e} (|a - e| / max(1, |e|))\n", model.outputs[i].name,
                   args.compare[i], abs_err, rel_err);
      }
    }
    out["outputs"].push_back(std::move(o));
  }
  if (args.json) {
    out["plan"] = nlohmann::json::array();
    for (const NodePlanInfo& node : plan) {
      out["plan"].push_back({{"node", node.node}, {"op_type", node.op_type}, {"path", node.path},
                             {"kernel", node.kernel}, {"weight_bytes", node.weight_bytes}});
    }
    fmt::print("{}\n", out.dump(2));
  }
}

const CommandRegistration registration(30, [](CLI::App& root) {
  auto* cmd = root.add_subcommand("run", "Run a whole network (.onnx, or .eie with compressed weights) on input tensors");
  auto args = std::make_shared<RunArgs>();
  cmd->add_option("MODEL", args->model, "The model: .onnx or .eie")->required();
  cmd->add_option("-i,--input", args->inputs, "One tensor file (.npy or .pb) per graph input, in graph order")->required();
  cmd->add_option("-o,--output", args->outputs,
                  "One file per graph output, in order (.npy or .pb by extension); printed when absent");
  cmd->add_option("--batch", args->batch,
                  "Run N samples at a time: dimension 0 of every input is the sample dimension, outputs are joined "
                  "along dimension 0");
  cmd->add_option("--compare", args->compare,
                  "Expected output files (one per output): report the maximum absolute and relative error");
  cmd->add_option("--threads", args->threads, "Threads for the compressed products")->capture_default_str();
  cmd->add_option("--kernel", args->kernel, "Force a kernel: auto, scalar, avx2, avx512, neon")->capture_default_str();
  cmd->add_option("--precision", args->precision,
                  "fp32; bf16: inputs and weights of the compressed products rounded to bfloat16, products summed "
                  "in fp32 (AVX-512 BF16); or int8: each input and the weights quantized to 8 bits, sums exact in "
                  "int32 (AVX-512 VNNI, or AVX2); both also on any CPU with --kernel scalar (portable kernels, slow)")
      ->capture_default_str();
  add_compact_codes_flag(cmd, &args->compact_codes);
  add_layout_option(cmd, &args->layout);
  cmd->add_flag("--skip-zero-activations", args->skip_zero_activations,
                "Also plan the layout whose batch-1 kernel visits only the non-zero activations (more memory; pays "
                "for inputs sparser than ~10-15%)");
  cmd->add_flag("--verbose", args->verbose, "Print how each node runs (compressed kernel, OpenBLAS, scalar)");
  cmd->add_flag("--json", args->json, "Print JSON: outputs (values unless written), errors, the plan");
  cmd->callback([args] { run(*args); });
});

}  // namespace
}  // namespace eie::cli

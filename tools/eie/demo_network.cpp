// Demo section: a whole compressed network end to end on the CPU engine. The LeNet-300-100 the compression
// section built (and, when libtorch trained one, the trained LeNet) runs as a graph through ModelEngine: every
// Gemm a compressed product through the engine's kernels, checked against the scalar reference interpreter,
// its top-1 accuracy checked against the reference path, and timed at batch 1 and 64 against the same network
// decompressed and run layer by layer with dense OpenBLAS.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

#include <fmt/core.h>

#include "command.h"
#include "eie/engine.h"
#include "eie/io.h"
#include "network_bench.h"
#include "network_predict.h"
#ifdef EIE_HAVE_TRAIN
#include "eie/train.h"
#endif

namespace eie::cli {
namespace {

void check_against_reference(const Model& model, std::uint64_t seed) {
  Shape shape = model.inputs.at(0).shape;
  shape[0] = 8;
  Tensor x{shape, std::vector<float>(static_cast<std::size_t>(shape_numel(shape)))};
  Rng rng(seed);
  for (float& v : x.data) v = static_cast<float>(rng.uniform());
  ModelEngine engine(model, {shape});
  const Tensor y = engine.run({x})[0];
  const Tensor expected = reference_run(model, {x})[0];
  double worst = 0.0;
  for (std::size_t i = 0; i < y.data.size(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(y.data[i]) - expected.data[i]) /
                                std::max(1.0, std::fabs(static_cast<double>(expected.data[i]))));
  }
  fmt::print("Plan ({} nodes):\n", engine.plan_info().size());
  for (const NodePlanInfo& node : engine.plan_info()) fmt::print("  {:<10} {:<8} {}\n", node.node, node.op_type, node.path);
  fmt::print("8 random inputs: output {} matches the scalar reference interpreter (double accumulation, "
             "decompressed weights) within {:.1e} (max |a - e| / max(1, |e|))\n", shape_string(y.shape), worst);
  if (worst > 1e-4) throw std::runtime_error("the engine and the reference interpreter disagree");
}

const DemoSection section(60, "A whole compressed network on the CPU engine (ModelEngine)", [](DemoContext& ctx) {
  const EieFile* file = ctx.get<EieFile>("lenet_300_100_eie");
  if (file == nullptr) {
    fmt::print("Skipped: the compression section did not run.\n");
    return;
  }
  fmt::print("LeNet-300-100 from the compression section ({} compressed weights):\n", file->model.compressed.size());
  check_against_reference(file->model, ctx.seed);
  const int threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 2u));
  for (const NetworkComparison& c : compare_network(file->model, {1, 64}, threads, KernelIsa::automatic, ctx.quick ? 0.05 : 0.5)) {
    fmt::print("  batch {:>2}: whole network eie {:>8.1f} us | decompressed, dense OpenBLAS layer by layer {:>8.1f} us "
               "({:.1f}x) | max difference {:.1e}\n", c.batch, c.eie.median_us, c.dense.median_us,
               c.dense.median_us / c.eie.median_us, c.max_error);
    if (c.max_error > 1e-4) throw std::runtime_error("the engine disagrees with the dense network");
  }
  fmt::print("  (medians of warm runs, {} thread{}, same process)\n", threads, threads == 1 ? "" : "s");
  fmt::print("  The same from Python: eie.compress(\"model.onnx\", density=0.1).engine()(x) "
             "(examples/python/, docs/python.md)\n");
#ifdef EIE_HAVE_TRAIN
  const EieFile* trained = ctx.get<EieFile>("lenet_trained_eie");
  if (trained == nullptr) return;
  const ImageSet test = load_mnist_split(default_dataset_dir, "t10k").head(ctx.quick ? 1000 : 10000);
  const std::vector<int> engine = engine_predict(trained->model, test, ModelEngineOptions{.threads = threads});
  const std::vector<int> reference = train::reference_predict(trained->model, test);
  std::int64_t correct = 0, correct_reference = 0;
  for (std::size_t i = 0; i < engine.size(); ++i) {
    correct += engine[i] == test.labels[i];
    correct_reference += reference[i] == test.labels[i];
  }
  const double n = static_cast<double>(test.count);
  fmt::print("\nThe trained, compressed LeNet-300-100 from the training section, whole network on the CPU engine: "
             "top-1 accuracy {:.2f}% on {} test images (scalar reference path: {:.2f}%)\n",
             100.0 * static_cast<double>(correct) / n, test.count, 100.0 * static_cast<double>(correct_reference) / n);
  if (std::abs(correct - correct_reference) > test.count / 1000) {
    throw std::runtime_error("the engine's accuracy differs from the reference path's by more than 0.1%");
  }
  const std::pair<Precision, const char*> precisions[] = {
      {Precision::bf16, "inputs and weights rounded to bfloat16, sums in fp32"},
      {Precision::int8, "each input and the weights quantized to 8 bits, sums exact in int32"}};
  for (const auto& [precision, what] : precisions) {
    if (!precision_available(precision)) continue;
    const std::vector<int> predicted =
        engine_predict(trained->model, test, ModelEngineOptions{.threads = threads, .precision = precision});
    std::int64_t correct_here = 0, same = 0;
    for (std::size_t i = 0; i < predicted.size(); ++i) {
      correct_here += predicted[i] == test.labels[i];
      same += predicted[i] == engine[i];
    }
    fmt::print("With precision {} ({}): top-1 accuracy {:.2f}%, the same class as fp32 on {:.2f}% of the images\n",
               precision_name(precision), what, 100.0 * static_cast<double>(correct_here) / n,
               100.0 * static_cast<double>(same) / n);
  }
#endif
});

}  // namespace
}  // namespace eie::cli

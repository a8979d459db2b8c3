// `eie eval FILE.eie --data DIR`: top-1 accuracy of a model from `eie train` on the test set, computed by the
// CPU engine running the whole network (ModelEngine: compressed products through the engine's kernels), or
// with --reference by the scalar reference path (core's reference_spmv, double accumulation). --check-reference
// and --check-torch report the share of images on which the other path (libtorch: the decompressed weights)
// predicts the same class.
#ifdef EIE_HAVE_TRAIN
#include <chrono>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "eie/train.h"
#include "network_predict.h"

namespace eie::cli {
namespace {

struct EvalArgs {
  std::string file;
  std::string data = default_dataset_dir;
  std::int64_t limit = 0;
  bool check_torch = false;
  bool reference = false;
  bool check_reference = false;
  int threads = 1;
  std::string precision = "fp32";
  bool compact_codes = false;
  std::string layout = "auto";
  bool json = false;
};

double agreement(const std::vector<int>& a, const std::vector<int>& b) {
  std::int64_t same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return 100.0 * static_cast<double>(same) / static_cast<double>(a.size());
}

void run(const EvalArgs& args) {
  const EieFile file = load_eie(args.file);
  ImageSet test = load_mnist_split(args.data, "t10k");
  if (args.limit > 0) test = test.head(args.limit);
  const auto t0 = std::chrono::steady_clock::now();
  const ModelEngineOptions engine_options{.threads = args.threads, .precision = parse_precision(args.precision),
                                          .compact_codes = args.compact_codes,
                                          .layout = parse_layout_option(args.layout)};
  check_compact_codes(engine_options.compact_codes, engine_options.precision);
  check_layout(engine_options.layout, engine_options.precision, engine_options.kernel);
  if (args.reference && engine_options.precision != Precision::fp32 && !args.check_reference) {
    throw Error("--precision: the engine's option, not used with --reference alone");
  }
  if (args.reference && engine_options.layout != Layout::automatic && !args.check_reference) {
    throw Error("--layout: the engine's option, not used with --reference alone");
  }
  const std::vector<int> predicted = args.reference ? train::reference_predict(file.model, test)
                                                    : engine_predict(file.model, test, engine_options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == test.labels[i];
  const double accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(test.count);
  nlohmann::json out = {{"file", args.file}, {"images", test.count}, {"top1_accuracy_percent", accuracy},
                        {"top1_error_percent", 100.0 - accuracy}, {"seconds", seconds}, {"path", args.reference ? "reference_spmv" : "engine"},
                        {"precision", args.reference ? "reference" : args.precision}};
  if (args.check_torch) out["agreement_with_libtorch_percent"] = agreement(predicted, train::torch_predict(file.model, test));
  if (args.check_reference) {
    out["agreement_with_reference_percent"] =
        agreement(predicted, args.reference ? engine_predict(file.model, test, engine_options)
                                            : train::reference_predict(file.model, test));
  }
  if (args.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{}: top-1 accuracy {:.2f}% (error {:.2f}%) on {} test images, {}, {:.2f} s\n", args.file, accuracy,
             100.0 - accuracy, test.count,
             args.reference ? "scalar reference path" : "CPU engine (whole network, " + args.precision + ")", seconds);
  if (args.check_reference) {
    fmt::print("agreement with the {}: {:.2f}% of the images\n", args.reference ? "CPU engine" : "scalar reference path",
               out["agreement_with_reference_percent"].get<double>());
  }
  if (args.check_torch) {
    fmt::print("agreement with libtorch on the same weights: {:.2f}% of the images\n",
               out["agreement_with_libtorch_percent"].get<double>());
  }
}

const CommandRegistration registration(61, [](CLI::App& root) {
  auto* cmd = root.add_subcommand("eval", "Top-1 accuracy of a trained .eie model on a labelled IDX data set");
  auto args = std::make_shared<EvalArgs>();
  cmd->add_option("file", args->file, "The .eie file (from eie train)")->required();
  cmd->add_option("--data", args->data, "Directory with the MNIST-format test files")->capture_default_str();
  cmd->add_option("--limit", args->limit, "Evaluate only the first N test images");
  cmd->add_flag("--check-torch", args->check_torch, "Also evaluate with libtorch and report the agreement");
  cmd->add_flag("--reference", args->reference, "Evaluate with the scalar reference path instead of the CPU engine");
  cmd->add_flag("--check-reference", args->check_reference,
                "Also evaluate with the other path (engine or reference) and report the agreement");
  cmd->add_option("--threads", args->threads, "Threads for the engine's compressed products")->capture_default_str();
  cmd->add_option("--precision", args->precision,
                  "The engine's arithmetic: fp32; bf16 (AVX-512 BF16: inputs and weights rounded to bfloat16, "
                  "products summed in fp32); or int8 (AVX-512 VNNI, or AVX2: each input and the weights quantized to 8 "
                  "bits, sums exact in int32)")
      ->capture_default_str();
  add_compact_codes_flag(cmd, &args->compact_codes);
  add_layout_option(cmd, &args->layout);
  cmd->add_flag("--json", args->json, "Print the result as JSON");
  cmd->callback([args] { run(*args); });
});

}  // namespace
}  // namespace eie::cli
#endif  // EIE_HAVE_TRAIN

// `eie train`: train LeNet-300-100 or LeNet-5 on an MNIST-format data set and compress it (deep-compression,
// ttq, dsd), writing the .eie container. A progress bar per epoch on a terminal, one log line per epoch
// otherwise. Exists only when the train module (libtorch) is built.
#ifdef EIE_HAVE_TRAIN
#include <cmath>
#include <cstdio>
#include <ctime>

#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "eie/train.h"

namespace eie::cli {
namespace {

struct TrainArgs {
  std::string model;
  std::string method = "dense";
  std::string data = default_dataset_dir;
  std::string output;
  std::uint64_t seed = 1;
  int epochs = 0;
  double lr = 0.0;
  std::string from;
  double retrain_lr = 0.0;
  int retrain_epochs = 0;
  int finetune_epochs = 0;
  int prune_iterations = 0;
  std::string prune_schedule;
  std::string quality;
  std::string bits;
  int index_bits = 5;
  std::int64_t train_limit = 0;
  std::int64_t test_limit = 0;
  int threads = 2;
  bool json = false;
};

// The bar (terminal) or the log line (pipe) for one progress report.
void show_progress(const train::Progress& p, bool terminal) {
  if (terminal) {
    const int width = 24;
    const int filled = static_cast<int>(width * p.batch / std::max<std::int64_t>(1, p.batches));
    fmt::print("\r{:<20} epoch {:>2}/{:<2} [{}{}] loss {:.4f} acc {:6.2f}% lr {:.5f}", p.phase, p.epoch, p.epochs,
               std::string(static_cast<std::size_t>(filled), '#'), std::string(static_cast<std::size_t>(width - filled), ' '),
               p.loss, 100.0 * p.accuracy, p.lr);
    if (p.epoch_done) fmt::print(" {:.1f} s\n", p.seconds);
    std::fflush(stdout);
  } else if (p.epoch_done) {
    fmt::print("{} epoch {}/{}: loss {:.4f}, train accuracy {:.2f}%, lr {:.5f}, {:.1f} s\n", p.phase, p.epoch,
               p.epochs, p.loss, 100.0 * p.accuracy, p.lr, p.seconds);
    std::fflush(stdout);
  }
}

// The trained dense network `--from` names, checked before any training: it must be the `--model`
// architecture and dense (a compressed layer would start pruning from someone else's masks and codebooks).
train::Network starting_network(const TrainArgs& args, train::Architecture architecture) {
  if (args.method == "dense") throw Error("--from: --method dense has nothing to train after the starting model");
  if (args.epochs > 0 || args.lr > 0.0) {
    throw Error("--from replaces the dense phase: --epochs and --lr do not apply");
  }
  const EieFile file = load_eie(args.from);
  if (!file.model.compressed.empty()) {
    throw Error(fmt::format("{}: layer '{}' is compressed; --from takes a dense model (eie train --method dense)",
                            args.from, file.model.compressed.begin()->first));
  }
  train::Network net = [&] {
    try {
      return train::network_from_model(file.model);
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", args.from, e.what()));
    }
  }();
  if (net.architecture() != architecture) {
    throw Error(fmt::format("{}: the model is a {}, --model is {}", args.from, train::to_string(net.architecture()),
                            args.model));
  }
  return net;
}

void run(const TrainArgs& args) {
  train::TrainOptions options =
      train::default_options(train::parse_architecture(args.model), train::parse_method(args.method));
  options.seed = args.seed;
  options.threads = args.threads;
  if (args.epochs > 0) options.dense.epochs = args.epochs;
  if (args.lr > 0.0) options.dense.lr = args.lr;
  if (args.retrain_lr > 0.0) options.retrain.lr = args.retrain_lr;
  if (args.retrain_epochs > 0) options.retrain.epochs = args.retrain_epochs;
  if (args.finetune_epochs > 0) options.finetune.epochs = args.finetune_epochs;
  if (args.prune_iterations > 0) options.prune_iterations = args.prune_iterations;
  if (args.prune_schedule == "cubic") options.prune_schedule = train::PruneSchedule::cubic;
  if (args.prune_schedule == "linear") options.prune_schedule = train::PruneSchedule::linear;
  // User rules go after the defaults: the last matching rule wins.
  std::vector<std::string> names;
  for (const auto& l : train::layer_specs(options.architecture)) names.push_back(l.name);
  if (!args.quality.empty()) {
    const LayerRules user = LayerRules::parse_quality(args.quality);
    user.check_all_match(names, "--quality");
    auto rules = options.quality.rules();
    rules.insert(rules.end(), user.rules().begin(), user.rules().end());
    options.quality = LayerRules(rules);
  }
  if (!args.bits.empty()) {
    const LayerRules user = LayerRules::parse_bits(args.bits);
    user.check_all_match(names, "--bits");
    auto rules = options.bits.rules();
    rules.insert(rules.end(), user.rules().begin(), user.rules().end());
    options.bits = LayerRules(rules);
  }
  if (args.index_bits < 1 || args.index_bits > 8) {
    throw Error(fmt::format("--index-bits {}: expected 1..8", args.index_bits));
  }
  options.train_limit = args.train_limit;
  options.test_limit = args.test_limit;
  const bool terminal = stdout_is_terminal() && !args.json;
  if (!args.json) options.progress = [terminal](const train::Progress& p) { show_progress(p, terminal); };

  if (!args.from.empty()) options.start = starting_network(args, options.architecture);

  const MnistDataset data = load_mnist_dataset(args.data);
  if (!args.json) {
    fmt::print("eie train: {} {} on {} ({} training, {} test images), seed {}, {} threads\n", args.model,
               args.method, args.data, args.train_limit > 0 ? std::min(args.train_limit, data.train.count) : data.train.count,
               args.test_limit > 0 ? std::min(args.test_limit, data.test.count) : data.test.count, args.seed, options.threads);
  }
  const train::TrainResult result = train::run_training(data, options);
  const EieFile file = train::to_eie_file(result, args.index_bits);
  const train::SizeSummary size = train::size_summary(file);
  save_eie(args.output, file);

  if (args.json) {
    nlohmann::json phases = nlohmann::json::array();
    for (const auto& p : result.phases) {
      phases.push_back({{"phase", p.name}, {"test_error_percent", p.test_error}, {"density", p.density},
                        {"seconds", p.seconds}});
    }
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : size.report.layers) {
      layers.push_back({{"name", l.name}, {"weights", l.weights}, {"density", l.density},
                        {"weight_bits", l.weight_bits}, {"weight_bits_huffman", l.weight_bits_huffman},
                        {"index_bits", l.index_bits}, {"index_bits_huffman", l.index_bits_huffman},
                        {"ratio_pq", l.ratio_pq}, {"ratio_pqh", l.ratio_pqh}});
    }
    const nlohmann::json out = {{"model", args.model}, {"method", args.method}, {"seed", args.seed},
                                {"threads", at::get_num_threads()}, {"output", args.output},
                                {"baseline_error_percent", result.baseline_error},
                                {"final_error_percent", result.final_error}, {"seconds", result.seconds},
                                {"cpu_seconds", static_cast<double>(std::clock()) / CLOCKS_PER_SEC},
                                {"dense_bits", size.dense_bits}, {"bits_pq", size.bits_pq},
                                {"bits_pqh", size.bits_pqh}, {"ratio_pq", size.ratio_pq()},
                                {"ratio_pqh", size.ratio_pqh()}, {"phases", phases}, {"layers", layers}};
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("\n{}", train::format_phases(result));
  if (!size.report.layers.empty()) fmt::print("\n{}", train::format_layer_table(size));
  fmt::print("\n{} {}: error {:.2f}% -> {:.2f}%, size {:.1f} KB -> {:.2f} KB ({:.1f}x, P+Q+H), {:.1f} s; wrote {}\n",
             args.model, args.method, result.baseline_error, result.final_error,
             static_cast<double>(size.dense_bits) / 8000.0, static_cast<double>(size.bits_pqh) / 8000.0,
             size.ratio_pqh(), result.seconds, args.output);
}

const CommandRegistration registration(60, [](CLI::App& root) {
  auto* cmd = root.add_subcommand("train", "Train LeNet-300-100 / LeNet-5 on an MNIST-format data set and compress it "
                                           "(libtorch)");
  auto args = std::make_shared<TrainArgs>();
  cmd->add_option("--model", args->model, "lenet-300-100 or lenet-5")->required();
  cmd->add_option("--method", args->method, "dense, deep-compression, ttq or dsd")->capture_default_str();
  cmd->add_option("--data", args->data, "Directory with the four MNIST-format IDX files (raw or .gz)")
      ->capture_default_str();
  cmd->add_option("-o,--output", args->output, "The .eie file to write")->required();
  cmd->add_option("--seed", args->seed, "Seed for initialisation and shuffling")->capture_default_str();
  cmd->add_option("--epochs", args->epochs,
                  "Epochs of the dense baseline (default: 30; the learning rate is cosine-annealed over them)");
  const CLI::Validator learning_rate(
      [](std::string& text) {
        double v = 0.0;
        return CLI::detail::lexical_cast(text, v) && std::isfinite(v) && v > 0.0 && v <= 10.0
                   ? std::string()
                   : "'" + text + "' is not a learning rate in (0, 10]";
      },
      "RATE");
  cmd->add_option("--lr", args->lr,
                  "Peak learning rate of the dense baseline (default 0.1; LeNet-5 warms up to it over its first epoch)")
      ->check(learning_rate);
  cmd->add_option("--from", args->from,
                  "Start from this dense model (an .eie of eie train --method dense) instead of training one");
  cmd->add_option("--retrain-lr", args->retrain_lr,
                  "deep-compression: peak learning rate of each retraining after pruning (default: 0.02 for "
                  "LeNet-300-100, 0.01 for LeNet-5; cosine-annealed to a hundredth)")
      ->check(learning_rate);
  cmd->add_option("--retrain-epochs", args->retrain_epochs,
                  "deep-compression: retraining epochs after each pruning iteration (default 5)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--prune-iterations", args->prune_iterations,
                  "deep-compression: pruning iterations; the threshold rises to quality x std over them "
                  "(default 6)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--prune-schedule", args->prune_schedule,
                  "deep-compression: linear (equal steps of the threshold) or cubic (the default: 1 - (1 - k/n)^3 of it "
                  "at step k, most pruning early, more retraining near the final density)")
      ->check(CLI::IsMember({"linear", "cubic"}));
  cmd->add_option("--finetune-epochs", args->finetune_epochs,
                  "deep-compression: centroid fine-tuning epochs (default: 3 for LeNet-300-100, 2 for LeNet-5)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--quality", args->quality,
                  "deep-compression: pruning quality per layer, threshold = quality x std (e.g. 'ip1=1.8')");
  cmd->add_option("--bits", args->bits, "deep-compression: codebook bits per layer (e.g. 'conv*=8,ip*=5')");
  cmd->add_option("--index-bits", args->index_bits, "Relative-index bits of the stored sparse layers")
      ->capture_default_str();
  cmd->add_option("--train-limit", args->train_limit, "Use only the first N training images");
  cmd->add_option("--test-limit", args->test_limit, "Use only the first N test images");
  // One thread where other work shares the cores: libtorch's threads wait for each other at every operation,
  // so on a loaded machine a second thread costs CPU time without saving wall time.
  cmd->add_option("--threads", args->threads, "libtorch's intra-op threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--json", args->json, "Print the results as JSON (no progress output)");
  cmd->callback([args] { run(*args); });
});

}  // namespace
}  // namespace eie::cli
#endif  // EIE_HAVE_TRAIN

// Demo section: Deep Compression with retraining on real data. Train LeNet-300-100 on Fashion-MNIST briefly,
// prune, share and fine-tune it, print the paper's table and the accuracy before and after, write the .eie and
// evaluate it with the scalar reference path. --quick trains on a slice of the data.
#ifdef EIE_HAVE_TRAIN
#include <filesystem>

#include <fmt/core.h>

#include "command.h"
#include "eie/train.h"

namespace eie::cli {
namespace {

const DemoSection section(30, "Deep Compression with retraining: LeNet-300-100 on Fashion-MNIST (libtorch)",
                          [](DemoContext& ctx) {
  if (!std::filesystem::exists(default_dataset_dir)) {
    fmt::print("Skipped: {} is not installed (scripts/install-deps installs dataset-fashion-mnist).\n",
               default_dataset_dir);
    return;
  }
  train::TrainOptions options = train::default_options(train::Architecture::lenet_300_100,
                                                       train::Method::deep_compression);
  options.seed = ctx.seed;
  options.dense.epochs = ctx.quick ? 2 : 4;
  options.train_limit = ctx.quick ? 3000 : 20000;
  options.test_limit = ctx.quick ? 1000 : 10000;
  options.prune_iterations = ctx.quick ? 2 : 3;
  options.retrain.epochs = 1;  // the demo's short story; `eie train` defaults to 6 iterations x 5 epochs
  options.finetune.epochs = 1;
  // Two epochs on 3,000 images leave the weights near their uniform initialisation, where the full-training
  // qualities (1.6-1.8 x std) would prune nearly everything: the quick demo prunes milder.
  if (ctx.quick) options.quality = LayerRules::parse_quality("1.0");
  fmt::print("Training on {} images for {} epochs, then {} pruning iterations ({} schedule) with retraining at "
             "learning rate {}, k-means weight sharing and centroid fine-tuning; one log line per epoch.\n",
             options.train_limit, options.dense.epochs, options.prune_iterations,
             options.prune_schedule == train::PruneSchedule::cubic ? "cubic" : "linear", options.retrain.lr);
  options.progress = [](const train::Progress& p) {
    if (p.epoch_done) fmt::print("  {} epoch {}/{}: loss {:.4f}, train accuracy {:.2f}%\n", p.phase, p.epoch, p.epochs, p.loss, 100.0 * p.accuracy);
  };
  const MnistDataset data = load_mnist_dataset(default_dataset_dir);
  const train::TrainResult result = train::run_training(data, options);
  const EieFile file = train::to_eie_file(result, 5);
  const train::SizeSummary size = train::size_summary(file);
  fmt::print("\n{}\n{}", train::format_phases(result), train::format_layer_table(size));
  const std::string path = (std::filesystem::temp_directory_path() / fmt::format("eie-demo-lenet-{}.eie", ctx.seed)).string();
  save_eie(path, file);
  const EieFile loaded = load_eie(path);
  const ImageSet test = data.test.head(options.test_limit);
  const std::vector<int> engine = train::reference_predict(loaded.model, test);
  const std::vector<int> torch_predicted = train::torch_predict(loaded.model, test);
  std::int64_t correct = 0, same = 0;
  for (std::size_t i = 0; i < engine.size(); ++i) {
    correct += engine[i] == test.labels[i];
    same += engine[i] == torch_predicted[i];
  }
  const double n = static_cast<double>(test.count);
  fmt::print("\nTable 1 row: error {:.2f}% -> {:.2f}%, size {:.1f} KB -> {:.2f} KB, {:.1f}x (P+Q+H), {:.0f} s\n",
             result.baseline_error, result.final_error, static_cast<double>(size.dense_bits) / 8000.0,
             static_cast<double>(size.bits_pqh) / 8000.0, size.ratio_pqh(), result.seconds);
  fmt::print("{} ({} bytes) evaluated by the scalar reference path: top-1 accuracy {:.2f}%; same class as libtorch "
             "on {:.2f}% of {} images\n", path, std::filesystem::file_size(path), 100.0 * static_cast<double>(correct) / n,
             100.0 * static_cast<double>(same) / n, test.count);
  if (static_cast<double>(same) < 0.999 * n) throw std::runtime_error("engine and libtorch disagree on > 0.1% of images");
  std::filesystem::remove(path);
  ctx.put("lenet_trained_eie", loaded);
});

}  // namespace
}  // namespace eie::cli
#endif  // EIE_HAVE_TRAIN

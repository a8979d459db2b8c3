// One `eie train` run: the dense baseline, then the method's phases, each followed by a test-set evaluation,
// ending in an eie::Model whose compressed weights are CompressedLayers. The default schedules live here and
// are documented in docs/results.md; how they were chosen is in docs/notes/2026-12-07-training-schedules.md.
#include <chrono>
#include <cmath>

#include <ATen/Parallel.h>
#include <fmt/core.h>

#include "eie/train.h"

namespace eie::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<double> per_layer(const Network& net, const LayerRules& rules, const char* option) {
  std::vector<double> values;
  for (const LayerSpec& layer : net.layers()) {
    const std::optional<double> v = rules.lookup(layer.name);
    if (!v) throw Error(fmt::format("{}: no value for layer '{}'", option, layer.name));
    values.push_back(*v);
  }
  return values;
}

CompressedLayer layer_from_codes(const LayerSpec& spec, const torch::Tensor& codes, std::vector<float> codebook,
                                 int bits, const std::string& method) {
  const torch::Tensor flat = codes.flatten().to(torch::kUInt8).contiguous();
  const std::span<const std::uint8_t> c(flat.data_ptr<std::uint8_t>(), static_cast<std::size_t>(flat.numel()));
  CompressedLayer layer =
      CompressedLayer::from_codes(spec.rows(), spec.cols(), c, Codebook(std::move(codebook), bits, true));
  layer.name = spec.name;
  layer.provenance.method = method;
  layer.provenance.density = layer.density();
  layer.provenance.bits = bits;
  return layer;
}

}  // namespace

TrainOptions default_options(Architecture architecture, Method method) {
  TrainOptions o;
  o.architecture = architecture;
  o.method = method;
  const bool mlp = architecture == Architecture::lenet_300_100;
  // The dense baseline is the plain PyTorch recipe of scripts/pytorch-baseline (SGD, momentum 0.9, weight decay
  // 5e-4 on every parameter, lr 0.1 cosine-annealed to 0 once per epoch over 30 epochs, batch 128), so that
  // `eie train --method dense` gives what a PyTorch user gets (docs/results.md).
  o.dense = Schedule{.epochs = 30, .lr = 0.1, .momentum = 0.9, .weight_decay = 5e-4, .batch_size = 128,
                     .final_lr = 0.0, .anneal_per_epoch = true, .decay_all = true};
  // LeNet-5 (no normalisation, no non-linearity after its convolutions) diverges at 0.1 from the first steps with
  // some seeds (the loss overflows within 100 steps: seeds 2 and 3 end at 10% accuracy); a one-epoch linear
  // warm-up, the usual cure, keeps every seed stable (docs/results.md).
  if (!mlp) o.dense.warmup_epochs = 1.0;
  // TTQ and DSD retrain with the schedules their results were measured with: a tenth of the former baseline's
  // rate (0.05 for LeNet-300-100, 0.02 for LeNet-5).
  const double base_lr = mlp ? 0.05 : 0.02;
  const Schedule tenth{.epochs = 3, .lr = base_lr / 10, .momentum = 0.9, .weight_decay = 5e-4, .batch_size = 128};
  o.ttq = tenth;
  o.dsd_sparse = tenth;
  o.dsd_redense = tenth;
  // Six pruning iterations: on Fashion-MNIST (seed 1) LeNet-300-100's old 3 x 1 epoch lost 1.80 points at
  // 35.6x; 6 x 4 lost 0.54 at 40.4x, 8 x 2 lost 0.81, 6 x 5 lost 0.25 at 39.4x (the table is in
  // docs/notes/2026-12-07-training-schedules.md). LeNet-5's 3 x 1 lost 2.91 points at 52.6x, nearly all in the
  // last step (ip1 to 3.4%); its epochs cost ~6x more; 6 x 3 with ip1's quality at 1.8 lost 0.41, 0.75 and
  // 0.83 points at 43.0-43.6x over seeds 1-3 (at 1.6, 0.21 points at 32.4x, below the 39x target), again most
  // of it in the last step, hence 6 x 5.
  // Against the 30-epoch baseline those schedules (linear thresholds, retraining at a tenth of the former rates)
  // lost 0.5-0.7 points (LeNet-300-100) and 0.6-0.9 (LeNet-5, at only 32.6x), most of it in the last pruning
  // steps. A cubic schedule (most pruning in the first steps, three retrainings near the final density) and
  // retraining at a fifth of the baseline's peak rate (LeNet-300-100 0.02, LeNet-5 0.01) recover it; LeNet-5 then
  // also prunes conv2 and ip1 further and stores ip1 in 4 bits (its fine-tuned 4-bit centroids lose nothing
  // measurable). Seeds 1-3 (docs/results.md): LeNet-300-100 0.59 -> 0.15 points below its dense phase (at
  // 41.9x); LeNet-5 0.72 points at 32.6x -> 0.27 at 41.6x. Retraining at 0.05 (LeNet-300-100) kept more accuracy
  // but pruned fewer weights (39.7x).
  o.retrain = Schedule{.epochs = 5, .lr = mlp ? 0.02 : 0.01, .momentum = 0.9, .weight_decay = 5e-4, .batch_size = 128};
  o.prune_iterations = 6;
  o.prune_schedule = PruneSchedule::cubic;
  o.finetune = o.retrain;
  o.finetune.epochs = mlp ? 3 : 2;
  o.finetune.lr = base_lr / 3000;  // a centroid's gradient sums thousands of weights' gradients
  o.finetune.weight_decay = 0.0;
  o.quality = mlp ? LayerRules::parse_quality("ip1=2.1,ip2=1.6,ip3=1.3")
                  : LayerRules::parse_quality("conv1=0.4,conv2=1.8,ip1=2.1,ip2=1.3");
  o.bits = mlp ? LayerRules::parse_bits("6,ip1=5") : LayerRules::parse_bits("conv*=8,ip1=4,ip2=5");
  return o;
}

TrainResult run_training(const MnistDataset& data, const TrainOptions& options) {
  const auto start = Clock::now();
  at::set_num_threads(options.threads);
  const Data train = to_tensors(options.train_limit > 0 ? data.train.head(options.train_limit) : data.train);
  const Data test = to_tensors(options.test_limit > 0 ? data.test.head(options.test_limit) : data.test);
  TrainResult result;
  result.options = options;
  Network net(options.architecture, options.seed);
  std::uint64_t phase_seed = options.seed * 1000;

  auto record = [&](const std::string& name, double density, Clock::time_point t,
                    const std::vector<torch::Tensor>& weights) {
    result.phases.push_back({name, error_percent(net, test, weights), density, seconds_since(t)});
  };

  auto t = Clock::now();
  if (options.start) {
    if (options.start->architecture() != options.architecture) {
      throw Error(fmt::format("the starting network is a {}, not a {}", to_string(options.start->architecture()),
                              to_string(options.architecture)));
    }
    net = options.start->clone();
    ++phase_seed;
  } else {
    train_phase(net, train, options.dense, dense_hooks(net), ++phase_seed, "dense", options.progress);
  }
  record("dense", 1.0, t, net.weights());
  result.baseline_error = result.phases.back().test_error;

  std::vector<std::optional<CompressedLayer>> compressed(net.layers().size());
  const auto& layers = net.layers();
  switch (options.method) {
    case Method::dense:
      break;
    case Method::deep_compression: {
      const std::vector<double> quality = per_layer(net, options.quality, "--quality");
      std::vector<double> bits_d = per_layer(net, options.bits, "--bits");
      std::vector<int> bits(bits_d.begin(), bits_d.end());
      std::vector<double> stds;
      for (const auto& w : net.weights()) stds.push_back(w.detach().std(/*unbiased=*/false).item<double>());
      Masks masks = full_masks(net);
      const int iterations = std::max(1, options.prune_iterations);
      for (int k = 1; k <= iterations; ++k) {
        t = Clock::now();
        std::vector<double> q;
        const double fraction = threshold_fraction(options.prune_schedule, k, iterations);
        for (double v : quality) q.push_back(v * fraction);
        masks = quality_masks(net, q, stds, masks);
        apply_masks(net, masks);
        const std::string name = fmt::format("prune {}/{}", k, iterations);
        train_phase(net, train, options.retrain, masked_hooks(net, masks), ++phase_seed, name, options.progress);
        record(name, density(masks), t, net.weights());
      }
      t = Clock::now();
      SharedWeights shared = share_weights(net, masks, bits);
      record("quantize", density(masks), t, shared.weights());
      t = Clock::now();
      train_phase(net, train, options.finetune, centroid_hooks(shared), ++phase_seed, "fine-tune centroids",
                  options.progress);
      store_shared(net, shared);
      record("fine-tune centroids", density(masks), t, net.weights());
      for (std::size_t i = 0; i < layers.size(); ++i) {
        const torch::Tensor cb = shared.codebooks[i].detach().contiguous();
        std::vector<float> values(cb.data_ptr<float>(), cb.data_ptr<float>() + cb.numel());
        compressed[i] = layer_from_codes(layers[i], shared.codes[i], std::move(values), bits[i], "deep-compression");
      }
      break;
    }
    case Method::ttq: {
      t = Clock::now();
      TernaryLayers ternary = make_ternary(net, options.ttq_threshold);
      train_phase(net, train, options.ttq, ternary_hooks(net, ternary), ++phase_seed, "ttq", options.progress);
      store_ternary(net, ternary);
      for (std::size_t i = 0; i < layers.size(); ++i) {
        if (!ternary.ternary[i]) continue;
        torch::NoGradGuard no_grad;
        const double delta = ternary.threshold * ternary.latent[i].abs().max().item<double>();
        const torch::Tensor codes = ternary.latent[i].gt(delta).to(torch::kInt64) +
                                    ternary.latent[i].lt(-delta).to(torch::kInt64) * 2;
        const float wp = static_cast<float>(ternary.scale[i] * ternary.w_p[i].item<double>());
        const float wn = static_cast<float>(ternary.scale[i] * ternary.w_n[i].item<double>());
        compressed[i] = layer_from_codes(layers[i], codes, {0.0f, wp, -wn}, 2, "ttq");
      }
      double kept = 0.0, all = 0.0;
      for (const auto& c : compressed) {
        if (c) kept += static_cast<double>(c->nnz()), all += static_cast<double>(c->rows * c->cols);
      }
      record("ttq", all > 0 ? kept / all : 1.0, t, net.weights());
      break;
    }
    case Method::dsd: {
      t = Clock::now();
      const Masks masks = keep_fraction_masks(net, options.dsd_keep);
      apply_masks(net, masks);
      train_phase(net, train, options.dsd_sparse, masked_hooks(net, masks), ++phase_seed, "sparse", options.progress);
      record("sparse", density(masks), t, net.weights());
      t = Clock::now();
      train_phase(net, train, options.dsd_redense, dense_hooks(net), ++phase_seed, "re-dense", options.progress);
      record("re-dense", 1.0, t, net.weights());
      break;
    }
  }
  for (const auto& c : compressed) {
    if (c) result.compressed_layers.push_back(c->name);
  }
  result.model = to_model(net, compressed);
  // The final error is that of the model as stored (compressed weights decoded back), not of the tensors.
  const Network stored = network_from_model(result.model);
  result.final_error = error_percent(stored, test);
  result.network = stored;
  result.seconds = seconds_since(start);
  return result;
}

}  // namespace eie::train

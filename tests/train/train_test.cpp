// Training on a few thousand Fashion-MNIST images: the loss falls, masks hold, centroid fine-tuning moves only
// centroids, TTQ leaves three values per layer, and a trained .eie evaluates to libtorch's predictions.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "common/test_util.h"
#include "eie/train.h"

namespace eie::train {
namespace {

using test::expect_error;

const MnistDataset* dataset() {
  static const MnistDataset* data = [] () -> const MnistDataset* {
    if (!std::filesystem::exists(default_dataset_dir)) return nullptr;
    auto* d = new MnistDataset(load_mnist_dataset(default_dataset_dir));
    d->train = d->train.head(1000);
    d->test = d->test.head(500);
    return d;
  }();
  return data;
}

#define REQUIRE_DATA()                                                              \
  if (dataset() == nullptr) GTEST_SKIP() << default_dataset_dir << " not installed"

class Train : public ::testing::Test {
 protected:
  void SetUp() override { at::set_num_threads(2); }
};

TEST(TrainNames, unknown_model_and_method) {
  expect_error([] { parse_architecture("alexnet"); }, {"--model 'alexnet'", "lenet-300-100 or lenet-5"});
  expect_error([] { parse_method("magic"); }, {"--method 'magic'", "deep-compression"});
  EXPECT_EQ(parse_architecture("lenet-5"), Architecture::lenet_5);
  EXPECT_EQ(parse_method("ttq"), Method::ttq);
}

TEST_F(Train, lenet5_shapes) {
  const Network net(Architecture::lenet_5, 1);
  const torch::Tensor logits = net.forward(torch::zeros({3, 1, 28, 28}));
  EXPECT_EQ(logits.size(0), 3);
  EXPECT_EQ(logits.size(1), 10);
  EXPECT_EQ(net.layers()[2].cols(), 800);
}

TEST_F(Train, loss_decreases) {
  REQUIRE_DATA();
  SCOPED_TRACE(test::seed_trace());
  for (Architecture arch : {Architecture::lenet_300_100, Architecture::lenet_5}) {
    Network net(arch, test::seed());
    const Data train = to_tensors(dataset()->train.head(arch == Architecture::lenet_5 ? 600 : 1500));
    const Data test_data = to_tensors(dataset()->test);
    const double before = error_percent(net, test_data);
    Schedule s;
    s.epochs = 2;
    s.lr = arch == Architecture::lenet_5 ? 0.02 : 0.05;
    const auto stats = train_phase(net, train, s, dense_hooks(net), test::seed(), "dense");
    ASSERT_EQ(stats.size(), 2u);
    EXPECT_LT(stats[1].loss, stats[0].loss) << to_string(arch);
    EXPECT_LT(error_percent(net, test_data), before - 15.0) << to_string(arch);
  }
}

// The dense recipe anneals as torch.optim.lr_scheduler.CosineAnnealingLR stepped once per epoch: epoch e
// (0-based) of E runs at lr (1 + cos(pi e / E)) / 2, the same rate for every step of the epoch; and with
// decay_all the biases decay too, as torch.optim.SGD's weight_decay does.
TEST_F(Train, per_epoch_cosine_and_decay_on_every_parameter_follow_torch) {
  REQUIRE_DATA();
  Network net(Architecture::lenet_300_100, 1);
  const Data train = to_tensors(dataset()->train.head(300));
  Schedule s{.epochs = 3, .lr = 0.1, .momentum = 0.0, .weight_decay = 5e-4, .batch_size = 100, .final_lr = 0.0,
             .anneal_per_epoch = true, .decay_all = true};
  std::vector<std::vector<double>> rates(3);
  train_phase(net, train, s, dense_hooks(net), 1, "dense",
              [&](const Progress& p) { rates[p.epoch - 1].push_back(p.lr); });
  for (int e = 0; e < 3; ++e) {
    ASSERT_FALSE(rates[e].empty());
    for (double lr : rates[e]) EXPECT_NEAR(lr, 0.1 * (1.0 + std::cos(M_PI * e / 3.0)) / 2.0, 1e-12) << e;
  }
  // One step (one batch, no momentum) from the same start, with and without decay_all: the biases differ by
  // exactly the decay term lr x weight_decay x bias; the weights (decayed either way) do not differ.
  std::vector<Network> nets;
  for (const bool decay_all : {false, true}) {
    nets.emplace_back(Architecture::lenet_300_100, 1);
    s.epochs = 1;
    s.batch_size = 300;
    s.decay_all = decay_all;
    train_phase(nets.back(), train, s, dense_hooks(nets.back()), 1, "dense");
  }
  const Network start(Architecture::lenet_300_100, 1);
  const torch::Tensor expected = start.biases()[0].detach() * (-0.1 * 5e-4);
  const torch::Tensor got = nets[1].biases()[0].detach() - nets[0].biases()[0].detach();
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-8);
  EXPECT_TRUE(torch::equal(nets[1].weights()[0].detach(), nets[0].weights()[0].detach()));
}

// A warm-up scales the rate of step s by (s + 1) / warm-up steps on top of the cosine, then leaves the cosine.
TEST_F(Train, warmup_ramps_the_first_steps_linearly) {
  REQUIRE_DATA();
  Network net(Architecture::lenet_300_100, 1);
  const Data train = to_tensors(dataset()->train.head(300));
  const Schedule s{.epochs = 3, .lr = 0.1, .momentum = 0.9, .weight_decay = 5e-4, .batch_size = 100,
                   .final_lr = 0.0, .anneal_per_epoch = true, .decay_all = true, .warmup_epochs = 1.0};
  std::vector<std::pair<int, double>> rates;  // (step, lr) as reported: the first and last batch of each epoch
  train_phase(net, train, s, dense_hooks(net), 1, "dense",
              [&](const Progress& p) { rates.emplace_back((p.epoch - 1) * 3 + static_cast<int>(p.batch) - 1, p.lr); });
  ASSERT_EQ(rates.size(), 6u);
  for (const auto& [step, lr] : rates) {
    const double cosine = 0.1 * (1.0 + std::cos(M_PI * (step / 3) / 3.0)) / 2.0;
    EXPECT_NEAR(lr, step < 3 ? cosine * (step + 1) / 3.0 : cosine, 1e-12) << step;
  }
}

TEST(TrainSchedule, threshold_fractions) {
  for (int k = 1; k <= 6; ++k) {
    EXPECT_DOUBLE_EQ(threshold_fraction(PruneSchedule::linear, k, 6), k / 6.0);
    const double left = 1.0 - k / 6.0;
    EXPECT_DOUBLE_EQ(threshold_fraction(PruneSchedule::cubic, k, 6), 1.0 - left * left * left);
  }
  EXPECT_DOUBLE_EQ(threshold_fraction(PruneSchedule::cubic, 1, 1), 1.0);
}

TEST_F(Train, masks_stay_applied_through_retraining) {
  REQUIRE_DATA();
  Network net(Architecture::lenet_300_100, test::seed());
  const Data train = to_tensors(dataset()->train);
  Schedule s;
  s.epochs = 1;
  train_phase(net, train, s, dense_hooks(net), 1, "dense");
  const Masks masks = keep_fraction_masks(net, 0.1);
  EXPECT_NEAR(density(masks), 0.1, 0.001);
  apply_masks(net, masks);
  s.lr = 0.005;
  train_phase(net, train, s, masked_hooks(net, masks), 2, "retrain");
  for (std::size_t i = 0; i < masks.size(); ++i) {
    const torch::Tensor w = net.weights()[i].detach();
    EXPECT_EQ(w.mul(1.0 - masks[i]).abs().sum().item<double>(), 0.0) << "layer " << i;
    EXPECT_GT(w.ne(0).sum().item<std::int64_t>(), 0.9 * masks[i].sum().item<double>());
  }
}

TEST_F(Train, quality_masks_follow_threshold_and_only_shrink) {
  Network net(Architecture::lenet_300_100, test::seed());
  std::vector<double> stds;
  for (const auto& w : net.weights()) stds.push_back(w.detach().std(false).item<double>());
  const Masks first = quality_masks(net, {0.5, 0.5, 0.5}, stds, full_masks(net));
  const Masks second = quality_masks(net, {1.0, 1.0, 1.0}, stds, first);
  for (std::size_t i = 0; i < first.size(); ++i) {
    const torch::Tensor w = net.weights()[i].detach().abs();
    EXPECT_TRUE(torch::equal(first[i].gt(0.5), w.gt(0.5 * stds[i])));
    EXPECT_EQ(second[i].mul(1.0 - first[i]).sum().item<double>(), 0.0);
  }
  EXPECT_LT(density(second), density(first));
}

TEST_F(Train, centroid_finetuning_changes_only_centroids) {
  REQUIRE_DATA();
  Network net(Architecture::lenet_300_100, test::seed());
  const Data train = to_tensors(dataset()->train);
  Schedule s;
  s.epochs = 1;
  train_phase(net, train, s, dense_hooks(net), 1, "dense");
  const Masks masks = keep_fraction_masks(net, 0.2);
  apply_masks(net, masks);
  SharedWeights shared = share_weights(net, masks, {4, 4, 4});
  std::vector<torch::Tensor> codes_before, codebooks_before, biases_before;
  for (std::size_t i = 0; i < shared.codes.size(); ++i) {
    codes_before.push_back(shared.codes[i].clone());
    codebooks_before.push_back(shared.codebooks[i].detach().clone());
    biases_before.push_back(net.biases()[i].detach().clone());
    // Codes point at the codebook; pruned positions (and only those) at entry 0.
    EXPECT_TRUE(torch::equal(shared.codes[i].eq(0), masks[i].eq(0)));
  }
  s.lr = 1e-4;
  s.weight_decay = 0.0;
  train_phase(net, train, s, centroid_hooks(shared), 2, "fine-tune");
  for (std::size_t i = 0; i < shared.codes.size(); ++i) {
    EXPECT_TRUE(torch::equal(shared.codes[i], codes_before[i])) << "codes of layer " << i;
    EXPECT_TRUE(torch::equal(net.biases()[i].detach(), biases_before[i])) << "bias of layer " << i;
    EXPECT_FALSE(torch::equal(shared.codebooks[i].detach(), codebooks_before[i])) << "centroids of layer " << i;
    EXPECT_EQ(shared.codebooks[i][0].item<float>(), 0.0f);
  }
  store_shared(net, shared);
  for (std::size_t i = 0; i < shared.codes.size(); ++i) {
    const auto values = std::get<0>(at::_unique(net.weights()[i].detach().flatten()));
    EXPECT_LE(values.numel(), 16);
    EXPECT_EQ(net.weights()[i].detach().mul(1.0 - masks[i]).abs().sum().item<double>(), 0.0);
  }
}

// The ternary layers start at the dense layer's scale: W_p (W_n) is the mean magnitude of the weights above
// (below) the threshold, so the first ternary weights are the least-squares fit of the dense ones.
TEST(TrainTtq, scales_start_at_the_mean_magnitude_of_their_weights) {
  const Network net(Architecture::lenet_5, test::seed());
  const TernaryLayers t = make_ternary(net, 0.05);
  ASSERT_TRUE(t.ternary[1]);
  const torch::Tensor w = net.weights()[1].detach();
  const double max = w.abs().max().item<double>();
  const torch::Tensor above = w.masked_select(w.gt(0.05 * max));
  const torch::Tensor below = w.masked_select(w.lt(-0.05 * max));
  EXPECT_NEAR(t.w_p[1].item<double>() * t.scale[1], above.mean().item<double>(), 1e-6);
  EXPECT_NEAR(t.w_n[1].item<double>() * t.scale[1], -below.mean().item<double>(), 1e-6);
  EXPECT_TRUE(t.w_p[1].requires_grad());
  EXPECT_EQ(t.w_p[1].dim(), 0);
}

TEST_F(Train, ttq_gives_exactly_three_values_per_ternary_layer) {
  REQUIRE_DATA();
  TrainOptions o = default_options(Architecture::lenet_5, Method::ttq);
  o.seed = test::seed();
  o.train_limit = 500;
  o.test_limit = 200;
  o.dense.epochs = 1;
  o.ttq.epochs = 1;
  const TrainResult r = run_training(*dataset(), o);
  EXPECT_EQ(r.compressed_layers, (std::vector<std::string>{"conv2", "ip1"}));  // first and last stay fp32
  for (const std::string& name : r.compressed_layers) {
    const CompressedLayer& layer = r.model.compressed.at(name).layer;
    EXPECT_EQ(layer.codebook.size(), 3u);
    EXPECT_EQ(layer.codebook[0], 0.0f);
    EXPECT_GT(layer.codebook[1], 0.0f);
    EXPECT_LT(layer.codebook[2], 0.0f);
    const std::vector<float> dense = layer.to_dense();
    const std::set<float> values(dense.begin(), dense.end());
    EXPECT_EQ(values.size(), 3u) << name;
  }
  for (std::size_t i = 1; i + 1 < r.network.weights().size(); ++i) {
    EXPECT_EQ(std::get<0>(at::_unique(r.network.weights()[i].detach().flatten())).numel(), 3);
  }
  EXPECT_TRUE(r.model.initializers.count("conv1"));
  EXPECT_TRUE(r.model.initializers.count("ip2"));
}

TEST_F(Train, deep_compression_eie_round_trips_and_matches_libtorch) {
  REQUIRE_DATA();
  SCOPED_TRACE(test::seed_trace());
  TrainOptions o = default_options(Architecture::lenet_300_100, Method::deep_compression);
  o.seed = test::seed();
  o.train_limit = 1000;
  o.test_limit = 500;
  o.dense.epochs = 2;
  o.prune_iterations = 2;
  // Two epochs on 2,000 images leave the weights near their uniform initialisation, where 1.8 x std would
  // prune almost everything; a milder quality keeps this a test of the pipeline, not of the schedule.
  o.quality = LayerRules::parse_quality("1.0");
  const TrainResult r = run_training(*dataset(), o);
  ASSERT_EQ(r.compressed_layers.size(), 3u);
  EXPECT_LT(r.final_error, 75.0);  // far better than chance (90%); the accuracy targets are docs/results.md's
  const EieFile file = to_eie_file(r, 5);
  const EieFile back = parse_eie(serialize_eie(file), "trained.eie");
  EXPECT_EQ(back.model.compressed, file.model.compressed);
  const std::vector<int> engine = reference_predict(back.model, dataset()->test);
  const std::vector<int> torch_predicted = torch_predict(back.model, dataset()->test);
  std::int64_t same = 0, correct = 0;
  for (std::size_t i = 0; i < engine.size(); ++i) {
    same += engine[i] == torch_predicted[i];
    correct += engine[i] == dataset()->test.labels[i];
  }
  EXPECT_GE(static_cast<double>(same), 0.999 * static_cast<double>(engine.size()));
  EXPECT_NEAR(100.0 - 100.0 * static_cast<double>(correct) / 500.0, r.final_error, 0.21);
  const SizeSummary size = size_summary(file);
  EXPECT_GT(size.ratio_pqh(), size.ratio_pq());
  EXPECT_GT(size.ratio_pq(), 5.0);
}

// `--from`: compressing a trained dense network gives what a whole run (dense phase included) gives.
TEST_F(Train, deep_compression_from_a_trained_network_equals_a_whole_run) {
  REQUIRE_DATA();
  SCOPED_TRACE(test::seed_trace());
  TrainOptions o = default_options(Architecture::lenet_300_100, Method::deep_compression);
  o.seed = test::seed();
  o.threads = 1;
  o.dense.epochs = 1;
  o.prune_iterations = 2;
  o.retrain.epochs = 1;
  o.finetune.epochs = 1;
  o.quality = LayerRules::parse_quality("1.0");
  const TrainResult whole = run_training(*dataset(), o);
  TrainOptions dense = o;
  dense.method = Method::dense;
  TrainOptions from = o;
  from.start = run_training(*dataset(), dense).network;
  const TrainResult started = run_training(*dataset(), from);
  EXPECT_EQ(started.baseline_error, whole.baseline_error);
  EXPECT_EQ(started.final_error, whole.final_error);
  ASSERT_EQ(started.phases.size(), whole.phases.size());
  for (std::size_t i = 0; i < whole.network.weights().size(); ++i) {
    EXPECT_TRUE(torch::equal(started.network.weights()[i], whole.network.weights()[i])) << "layer " << i;
  }
  from.start = Network(Architecture::lenet_5, 1);
  expect_error([&] { run_training(*dataset(), from); }, {"starting network is a lenet-5, not a lenet-300-100"});
}

TEST_F(Train, lenet5_model_reference_matches_libtorch) {
  REQUIRE_DATA();
  const Network net(Architecture::lenet_5, test::seed());
  std::vector<std::optional<CompressedLayer>> compressed(4);
  // conv2 and ip1 as 4-bit shared layers (no training needed to check the evaluation paths).
  for (std::size_t i : {1u, 2u}) {
    const LayerSpec& spec = net.layers()[i];
    const torch::Tensor w = net.weights()[i].detach().contiguous();
    LayerSettings settings;
    settings.prune = {PruneMode::density, 0.0, 0.3};
    settings.bits = 4;
    compressed[i] = compress_layer(spec.name, spec.rows(), spec.cols(),
                                   std::span<const float>(w.data_ptr<float>(), static_cast<std::size_t>(w.numel())),
                                   {}, settings);
  }
  const Model model = to_model(net, compressed);
  const ImageSet images = dataset()->test.head(100);
  const std::vector<int> engine = reference_predict(model, images);
  EXPECT_EQ(engine, torch_predict(model, images));
}

TEST(TrainModel, model_of_another_network_is_rejected) {
  Model model;
  model.name = "other";
  expect_error([&] { network_from_model(model); }, {"model 'other'", "no tensor 'ip1'"});
  const Network net(Architecture::lenet_300_100, 1);
  Model m = to_model(net, {});
  m.nodes[1].op_type = "Softmax";
  expect_error([&] { reference_predict(m, ImageSet{}); }, {"operator Softmax is not supported"});
}

}  // namespace
}  // namespace eie::train

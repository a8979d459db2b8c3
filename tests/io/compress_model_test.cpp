#include <cmath>
#include <limits>

#include "common/random_tensor.h"
#include "common/test_util.h"
#include "io/io_test_util.h"

namespace eie {
namespace {

using test::random_tensor;

Node make_node(std::string op, std::string name, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.op_type = std::move(op);
  n.name = std::move(name);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

// Conv -> Flatten -> MatMul, and an LSTM on a second input.
Model conv_lstm_model(std::uint64_t seed) {
  Rng rng(seed);
  Model m;
  m.name = "mixed";
  m.inputs = {{"img", {1, 2, 6, 6}}, {"seq", {5, 1, 3}}};
  m.outputs = {{"logits", {1, 4}}, {"Y", {5, 1, 1, 8}}};
  m.initializers["conv.w"] = random_tensor({4, 2, 3, 3}, rng);
  m.initializers["conv.b"] = random_tensor({4}, rng);
  m.initializers["fc.w"] = random_tensor({64, 4}, rng);
  m.initializers["lstm.W"] = random_tensor({1, 32, 3}, rng);
  m.initializers["lstm.R"] = random_tensor({1, 32, 8}, rng);
  m.nodes = {make_node("Conv", "conv", {"img", "conv.w", "conv.b"}, {"c"}),
             make_node("Flatten", "flat", {"c"}, {"f"}),
             make_node("MatMul", "fc", {"f", "fc.w"}, {"logits"}),
             make_node("LSTM", "lstm", {"seq", "lstm.W", "lstm.R"}, {"Y"})};
  return m;
}

TEST(CompressModel, compresses_every_weight_slot_and_keeps_the_rest_dense) {
  SCOPED_TRACE(test::seed_trace());
  const Model original = conv_lstm_model(test::seed());
  ModelCompressionOptions options;
  options.density = LayerRules::parse_density("0.5,lstm.*=0.25");
  options.bits = LayerRules::parse_bits("fc.w=2");
  const EieFile file = compress_model(original, options);
  const Model& m = file.model;
  EXPECT_EQ(m.nodes, original.nodes);
  EXPECT_EQ(m.initializers.size(), 1u);  // conv.b
  ASSERT_EQ(m.compressed.size(), 4u);
  const CompressedWeight& conv = m.compressed.at("conv.w");
  EXPECT_EQ(conv.layer.rows, 4);
  EXPECT_EQ(conv.layer.cols, 18);
  EXPECT_EQ(conv.layer.codebook.bits(), 8);  // convolution default
  EXPECT_EQ(file.index_bits.at("conv.w"), 5);
  EXPECT_EQ(m.compressed.at("fc.w").layer.codebook.bits(), 2);
  EXPECT_EQ(m.compressed.at("fc.w").layout, WeightLayout::transposed);
  EXPECT_EQ(file.index_bits.at("fc.w"), 4);
  EXPECT_EQ(m.compressed.at("lstm.W").layer.rows, 32);
  EXPECT_EQ(m.compressed.at("lstm.R").layer.nnz(), 64);  // 25% of 32 x 8
  EXPECT_EQ(m.compressed.at("conv.w").layer.nnz(), 36);  // 50% of 72
  // Kept weights are the largest in magnitude, each replaced by its nearest centroid.
  const Tensor dense = *m.constant("fc.w");
  const Tensor& before = original.initializers.at("fc.w");
  for (std::size_t i = 0; i < dense.data.size(); ++i) {
    if (dense.data[i] != 0.0f) {
      EXPECT_EQ(std::signbit(dense.data[i]), std::signbit(before.data[i]));
    }
  }
  EXPECT_EQ(file.report.layers.size(), 4u);
  EXPECT_EQ(file.report.layers[0].name, "conv.w");
  EXPECT_EQ(file.settings["layers"]["lstm.R"]["prune"], "density");
  // And the result stores and loads exactly.
  EXPECT_EQ(parse_eie(serialize_eie(file), "mixed.eie").model, m);
}

TEST(CompressModel, quality_rules_take_precedence) {
  Model m = conv_lstm_model(1);
  ModelCompressionOptions options;
  options.density = LayerRules::parse_density("0.5");
  options.quality = LayerRules::parse_quality("fc.w=1.0");
  const EieFile file = compress_model(m, options);
  const Tensor& w = m.initializers.at("fc.w");
  double mean = 0, sq = 0;
  for (float v : w.data) mean += v;
  mean /= static_cast<double>(w.data.size());
  for (float v : w.data) sq += (v - mean) * (v - mean);
  const double threshold = std::sqrt(sq / static_cast<double>(w.data.size()));
  std::int64_t expected = 0;
  for (float v : w.data) expected += std::fabs(v) > threshold;
  EXPECT_EQ(file.model.compressed.at("fc.w").layer.nnz(), expected);
  EXPECT_EQ(file.settings["layers"]["fc.w"]["prune"], "quality");
}

TEST(CompressModel, nan_weight_names_the_layer) {
  Model m = conv_lstm_model(1);
  m.initializers["lstm.R"].data[7] = std::numeric_limits<float>::quiet_NaN();
  test::expect_error([&] { compress_model(m, {}); }, {"lstm.R"});
}

TEST(CompressModel, no_compressible_layer_is_an_error) {
  Model m;
  m.name = "biases";
  m.initializers["b"] = Tensor{{3}, {1, 2, 3}};
  test::expect_error([&] { compress_model(m, {}); }, {"model 'biases'", "no compressible layer"});
}

TEST(CompressModel, unmatched_pattern_is_an_error) {
  ModelCompressionOptions options;
  options.bits = LayerRules::parse_bits("dense*=4");
  test::expect_error([&] { compress_model(conv_lstm_model(1), options); }, {"--bits", "'dense*'", "matches no layer"});
  ModelCompressionOptions index;
  index.index_bits = LayerRules::parse("conv.w=9", "--index-bits");
  test::expect_error([&] { compress_model(conv_lstm_model(1), index); }, {"--index-bits", "conv.w", "9"});
}

// A weight clustered elsewhere (6 distinct non-zero values and zeros) is taken as it is, bit for bit; the
// others go through pruning and k-means. `recluster` sends every weight through them.
TEST(CompressModel, clustered_weight_is_imported_unless_reclustering) {
  SCOPED_TRACE(test::seed_trace());
  Model m = conv_lstm_model(test::seed());
  Tensor& fc = m.initializers.at("fc.w");
  const std::vector<float> values = {-0.75f, -0.5f, -0.125f, 0.25f, 0.5f, 1.25f};
  for (std::size_t i = 0; i < fc.data.size(); ++i) fc.data[i] = i % 3 == 0 ? 0.0f : values[i % values.size()];
  ModelCompressionOptions options;
  options.density = LayerRules::parse_density("0.5");
  const EieFile file = compress_model(m, options);
  const CompressedWeight& imported = file.model.compressed.at("fc.w");
  EXPECT_EQ(imported.to_tensor(), fc);  // Tensor equality is exact float equality
  EXPECT_EQ(imported.layer.provenance.method, "imported");
  EXPECT_EQ(imported.layer.codebook.bits(), 3);  // no --bits rule: the fewest bits that hold 0 and 6 values
  EXPECT_EQ(file.settings["layers"]["fc.w"]["imported"], true);
  EXPECT_EQ(imported_weights(file), std::vector<std::string>{"fc.w"});
  EXPECT_EQ(file.model.compressed.at("conv.w").layer.provenance.method, "prune+quantize");
  // A --bits rule sets the codebook's width, and a rule too narrow for the values re-clusters the weight.
  options.bits = LayerRules::parse_bits("fc.w=5");
  EXPECT_EQ(compress_model(m, options).model.compressed.at("fc.w").layer.codebook.bits(), 5);
  options.bits = LayerRules::parse_bits("fc.w=2");
  EXPECT_TRUE(imported_weights(compress_model(m, options)).empty());
  options.bits = {};
  options.recluster = true;
  const EieFile reclustered = compress_model(m, options);
  EXPECT_TRUE(imported_weights(reclustered).empty());
  EXPECT_EQ(reclustered.model.compressed.at("fc.w").layer.provenance.method, "prune+quantize");
  EXPECT_EQ(reclustered.settings["layers"]["fc.w"]["prune"], "density");
}

TEST(CompressModel, progress_reports_each_layer_then_the_end) {
  std::vector<std::string> seen;
  compress_model(conv_lstm_model(1), {}, [&](std::size_t done, std::size_t total, const std::string& layer) {
    EXPECT_EQ(total, 4u);
    EXPECT_EQ(done, seen.size());
    seen.push_back(layer);
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"conv.w", "fc.w", "lstm.W", "lstm.R", ""}));
}

}  // namespace
}  // namespace eie

// The simulator's fixed-point output equals the golden fixed-point M x V bit for bit, and the float reference
// within the quantisation bound, over random layers, PE counts 1..256 and queue depths 1..64.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "sim_test_util.h"

namespace eie::sim {
namespace {

using test::config_with;

void expect_matches_reference(const CompressedLayer& layer, const std::vector<float>& x, const Config& c) {
  const RunResult run = simulate(layer, x, c);
  const FixedFormat f = fixed_format(c);
  EXPECT_EQ(run.output, fixed_reference(layer, quantize(x, f), f))
      << layer.rows << "x" << layer.cols << " on " << c.num_pes << " PEs, fifo " << c.fifo_depth;
}

TEST(SimFunctional, random_layers_pes_and_fifo_depths_bit_exact) {
  SCOPED_TRACE(eie::test::seed_trace());
  Rng rng(eie::test::seed());
  const int pes[] = {1, 2, 3, 4, 7, 16, 64, 256};
  const int fifos[] = {1, 2, 3, 8, 64};
  const double densities[] = {0.0, 0.02, 0.1, 0.4, 1.0};
  for (int trial = 0; trial < 60; ++trial) {
    const auto rows = static_cast<std::int64_t>(1 + rng.below(300));
    const auto cols = static_cast<std::int64_t>(1 + rng.below(300));
    const CompressedLayer layer = eie::test::LayerTester()
                                      .rows(rows)
                                      .cols(cols)
                                      .density(densities[rng.below(5)])
                                      .bias(rng.below(2) == 1)
                                      .build(rng.next());
    const std::vector<float> x = synthetic_activations(cols, rng.uniform(), rng.next());
    expect_matches_reference(layer, x, config_with(pes[rng.below(8)], fifos[rng.below(5)]));
  }
}

TEST(SimFunctional, edge_cases) {
  SCOPED_TRACE(eie::test::seed_trace());
  const std::uint64_t s = eie::test::seed();
  // single row, single column, shapes not divisible by the PE count, runs longer than 15 (padding)
  expect_matches_reference(eie::test::LayerTester().rows(1).cols(50).density(0.5).build(s),
                           synthetic_activations(50, 0.5, s), config_with(4));
  expect_matches_reference(eie::test::LayerTester().rows(50).cols(1).density(0.5).build(s),
                           synthetic_activations(1, 1.0, s), config_with(4));
  expect_matches_reference(eie::test::LayerTester().rows(1000).cols(37).density(0.01).build(s),
                           synthetic_activations(37, 1.0, s), config_with(3));
  // all-zero activations: the output is the bias
  const CompressedLayer layer = eie::test::LayerTester().rows(40).cols(40).density(0.3).bias(true).build(s);
  const RunResult run = simulate(layer, std::vector<float>(40, 0.0f), config_with(8));
  const FixedFormat f = fixed_format(config_with(8));
  for (std::size_t i = 0; i < run.output.size(); ++i) EXPECT_EQ(run.output[i], f.quantize(layer.bias[i]));
  // empty rows and columns
  expect_matches_reference(test::layer_from_columns(10, {{}, {3}, {}, {}, {9, 0}}),
                           std::vector<float>{1, 1, 1, 0.5f, 0.25f}, config_with(4));
  // negative inputs and saturation (large activations)
  std::vector<float> big(40);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = (i % 3 == 0 ? -1.0f : 1.0f) * 100.0f;
  expect_matches_reference(layer, big, config_with(5));
}

TEST(SimFunctional, other_word_sizes_and_index_bits) {
  SCOPED_TRACE(eie::test::seed_trace());
  const std::uint64_t s = eie::test::seed();
  const CompressedLayer layer = eie::test::LayerTester().rows(120).cols(90).density(0.1).bias(true).build(s);
  const std::vector<float> x = synthetic_activations(90, 0.5, s + 1);
  Config c = config_with(8);
  c.arith_bits = 32;
  c.frac_bits = 20;
  expect_matches_reference(layer, x, c);
  c = config_with(8);
  c.arith_bits = 8;
  c.frac_bits = 4;
  expect_matches_reference(layer, x, c);
  c = config_with(8);
  c.index_bits = 2;
  c.sram_width_bits = 48;
  expect_matches_reference(layer, x, c);
}

TEST(SimFunctional, float_reference_within_quantisation_bound) {
  // Per term: |w a - wq aq| <= e(|w| + |a| + e) with e = 2^-(F+1) (round to nearest), plus the product's
  // rounding (<= 2^-F / 2), plus the bias's rounding. Without saturation the errors only add.
  SCOPED_TRACE(eie::test::seed_trace());
  Rng rng(eie::test::seed() + 3);
  for (int trial = 0; trial < 10; ++trial) {
    const auto rows = static_cast<std::int64_t>(1 + rng.below(200));
    const auto cols = static_cast<std::int64_t>(1 + rng.below(200));
    const CompressedLayer layer = eie::test::LayerTester().rows(rows).cols(cols).density(0.1).bias(true).build(rng.next());
    const std::vector<float> x = synthetic_activations(cols, 0.5, rng.next());
    const Config c = config_with(1 + static_cast<int>(rng.below(64)));
    const FixedFormat f = fixed_format(c);
    const RunResult run = simulate(layer, x, c);
    const std::vector<double> exact = reference_spmv(layer, x);
    const double e = std::ldexp(1.0, -(f.frac + 1));
    std::vector<double> bound(static_cast<std::size_t>(rows), e);
    for (std::int64_t j = 0; j < cols; ++j) {
      const double a = x[static_cast<std::size_t>(j)];
      if (a == 0.0) continue;
      for (std::uint32_t k = layer.col_ptr[static_cast<std::size_t>(j)]; k < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++k) {
        const double w = layer.codebook[layer.codes[k]];
        bound[layer.row_idx[k]] += e * (std::fabs(w) + std::fabs(a) + e) + e;
      }
    }
    for (std::size_t i = 0; i < exact.size(); ++i) {
      EXPECT_LE(std::fabs(f.to_double(run.output[i]) - exact[i]), bound[i]) << "row " << i;
    }
  }
}

TEST(SimFunctional, suite_layer_matches_reference_and_is_deterministic) {
  const Config c;
  const std::vector<LayerReport> a = run_suite(c, {"NT-LSTM"}, 1, 2);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(a[0].output_matches_reference);
  EXPECT_EQ(a[0].rows, 2400);
  EXPECT_EQ(a[0].cols, 1201);
  const std::vector<LayerReport> b = run_suite(c, {"nt-lstm"}, 1, 1);
  EXPECT_EQ(a[0].stats.cycles, b[0].stats.cycles);
  EXPECT_GT(a[0].stats.load_efficiency(), 0.5);
  EXPECT_LE(a[0].stats.load_efficiency(), 1.0);
}

}  // namespace
}  // namespace eie::sim

namespace eie::sim {
namespace {

TEST(SimSuite, sweep_writes_csv_json_and_gives_figure_scripts) {
  const std::vector<SweepPoint> points = run_sweep(Config{}, "fifo", {1, 8}, {"NT-LSTM"}, 1, 2);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].config.fifo_depth, 1);
  EXPECT_GE(points[1].layers[0].stats.load_efficiency(), points[0].layers[0].stats.load_efficiency());
  const std::string prefix = std::string(EIE_BINARY_DIR) + "/sim_sweep_test";
  const std::vector<std::string> files = write_sweep(points, "fifo", prefix);
  EXPECT_EQ(files, (std::vector<std::string>{prefix + ".csv", prefix + ".json"}));
  const std::vector<SweepFigure> figures = sweep_figures(points, "fifo", prefix);
  ASSERT_EQ(figures.size(), 1u);
  EXPECT_EQ(figures[0].base, prefix + "_fig8");
  EXPECT_NE(figures[0].gnuplot_script.find("set output '" + prefix + "_fig8.png" + kFigureTempSuffix + "'"),
            std::string::npos) << figures[0].gnuplot_script;
  EXPECT_NE(figures[0].gnuplot_script.find("title 'NT-LSTM'"), std::string::npos);
  EXPECT_EQ(sweep_figures(points, "pes", prefix).size(), 3u);
  std::ifstream csv(prefix + ".csv");
  std::string header, row1, row2, extra;
  std::getline(csv, header);
  std::getline(csv, row1);
  std::getline(csv, row2);
  EXPECT_EQ(header.rfind("fifo,layer,cycles,latency_us", 0), 0u);
  EXPECT_EQ(row1.rfind("1,NT-LSTM,", 0), 0u);
  EXPECT_EQ(row2.rfind("8,NT-LSTM,", 0), 0u);
  EXPECT_FALSE(std::getline(csv, extra));
  for (const std::string& f : files) {
    EXPECT_TRUE(std::filesystem::exists(f)) << f;
    EXPECT_GT(std::filesystem::file_size(f), 100u) << f;
    std::filesystem::remove(f);
  }
}

TEST(SimSuite, json_has_the_documented_fields) {
  const std::vector<LayerReport> reports = run_suite(Config{}, {"NT-LSTM"}, 1, 1);
  const nlohmann::json j = to_json(reports[0]);
  for (const char* key : {"name", "rows", "cols", "cycles", "latency_us", "load_efficiency", "useful_multiply_share",
                          "padding_fraction", "energy_uj", "power_mw"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["cycles"].get<std::int64_t>(), reports[0].stats.cycles);
  EXPECT_EQ(j["per_pe"].size(), 64u);
  EXPECT_DOUBLE_EQ(j["useful_multiply_share"].get<double>(), reports[0].stats.useful_multiply_share());
}

// Load efficiency counts padding entries as busy (the paper's figures); the useful multiply share does not (the
// authors' simulator). Their difference is the padding entries' share of PE-cycles.
TEST(SimSuite, useful_multiply_share_leaves_out_padding) {
  const std::vector<LayerReport> reports = run_suite(Config{}, {"NT-LSTM"}, 1, 1);
  const Stats& s = reports[0].stats;
  const PeCounters t = s.total();
  ASSERT_GT(t.padding_entries, 0);
  EXPECT_EQ(t.busy, t.real_entries + t.padding_entries);
  const double pe_cycles = static_cast<double>(s.cycles) * static_cast<double>(s.pes.size());
  EXPECT_DOUBLE_EQ(s.useful_multiply_share(), static_cast<double>(t.real_entries) / pe_cycles);
  EXPECT_NEAR(s.load_efficiency() - s.useful_multiply_share(), static_cast<double>(t.padding_entries) / pe_cycles,
              1e-12);
  EXPECT_LT(s.useful_multiply_share(), s.load_efficiency());
}

TEST(SimSuite, alexnet_chain_flows_activations) {
  Config c;
  c.num_pes = 256;  // fewer cycles to simulate; the chain's shape is what is checked
  const ChainReport chain = run_alexnet_chain(c, 1, 2);
  ASSERT_EQ(chain.layers.size(), 3u);
  EXPECT_EQ(chain.layers[0].name, "Alex-6");
  EXPECT_EQ(chain.layers[2].name, "Alex-8");
  EXPECT_EQ(chain.cycles, chain.layers[0].stats.cycles + chain.layers[1].stats.cycles + chain.layers[2].stats.cycles);
  EXPECT_NEAR(chain.frames_per_s, 800e6 / static_cast<double>(chain.cycles), 1e-6);
  for (const LayerReport& r : chain.layers) EXPECT_TRUE(r.output_matches_reference);
}

}  // namespace
}  // namespace eie::sim

namespace eie::sim {
namespace {

TEST(SimSuite, network_of_random_layers_flows_through_relu) {
  SCOPED_TRACE(eie::test::seed_trace());
  const std::uint64_t s = eie::test::seed();
  const CompressedLayer l1 = eie::test::LayerTester().rows(100).cols(64).density(0.2).bias(true).build(s);
  const CompressedLayer l2 = eie::test::LayerTester().rows(30).cols(100).density(0.3).bias(true).build(s + 1);
  const CompressedLayer l3 = eie::test::LayerTester().rows(10).cols(30).density(0.5).bias(true).build(s + 2);
  const std::vector<float> x = synthetic_activations(64, 0.5, s + 3);
  const Config c = test::config_with(8, 4);
  const NetworkRun run = simulate_network({&l1, &l2, &l3}, x, c);
  const FixedFormat f = fixed_format(c);
  std::vector<std::int32_t> expected = quantize(x, f);
  for (const CompressedLayer* layer : {&l1, &l2, &l3}) {
    if (layer != &l1) {
      for (std::int32_t& v : expected) v = std::max(v, 0);
    }
    expected = fixed_reference(*layer, expected, f);
  }
  EXPECT_EQ(run.output, expected);
  ASSERT_EQ(run.report.layers.size(), 3u);
  EXPECT_EQ(run.report.cycles, run.report.layers[0].stats.cycles + run.report.layers[1].stats.cycles +
                                   run.report.layers[2].stats.cycles);
  eie::test::expect_error([&] { simulate_network({&l1, &l3}, x, c); },
                          {"layer '", "takes 30 inputs", "gives 100"});
  eie::test::expect_error([&] { simulate_network({&l1}, std::vector<float>(5, 1.0f), c); },
                          {"takes 64 inputs", "the input has 5"});
}

}  // namespace
}  // namespace eie::sim

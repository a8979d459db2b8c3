#include <gtest/gtest.h>

#include <bit>
#include <vector>

#include "common/test_util.h"
#include "eie/compress.h"

namespace eie {
namespace {

const std::vector<float> kSlide = {2.09f, -0.98f, 1.48f, 0.09f, 0.05f, -0.14f, -1.08f, 2.12f,
                                   -0.91f, 1.92f, 0.0f,  -1.03f, 1.87f, 0.0f,  1.53f, 1.49f};

// The paper's slide: sharing alone compresses the 4 x 4 fp32 matrix 16 * 32 / (16 * 2 + 4 * 32) = 3.2x.
TEST(Report, paper_slide_sharing_alone_is_3_2x) {
  const CompressedLayer layer = compress_layer("slide", 4, 4, kSlide, {}, {.prune = {}, .bits = 2, .reserve_zero = false});
  const LayerReport r = report_layer(layer);
  EXPECT_EQ(r.weights, 16);
  EXPECT_EQ(r.stored, 16);
  EXPECT_EQ(r.density, 1.0);
  EXPECT_EQ(r.weight_bits, 2);
  EXPECT_EQ(r.index_bits, 0);
  EXPECT_EQ(r.pointer_bits, 0);
  EXPECT_EQ(r.codebook_bits, 4 * 32);
  EXPECT_EQ(r.dense_bits, 16 * 32);
  EXPECT_EQ(r.bits_pq, 16 * 2 + 4 * 32);
  EXPECT_DOUBLE_EQ(r.ratio_pq, 3.2);
  EXPECT_DOUBLE_EQ(r.ratio_pq, sharing_ratio(16, 4));
}

TEST(Report, sparse_layer_counts_entries_fillers_pointers_codebook_bias) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  const std::int64_t rows = 300, cols = 200;
  std::vector<float> w(static_cast<std::size_t>(rows * cols));
  for (auto& x : w) x = static_cast<float>(rng.normal());
  const std::vector<float> bias(static_cast<std::size_t>(rows), 0.1f);
  const CompressedLayer layer = compress_layer(
      "ip1", rows, cols, w, bias, {.prune = {.mode = PruneMode::density, .density = 0.08}, .bits = 6});
  for (int index_bits : {3, 4, 5}) {
    const LayerReport r = report_layer(layer, index_bits);
    const RelativeCsc csc = encode_relative_csc(layer, index_bits);
    EXPECT_EQ(r.stored, 4800);
    EXPECT_EQ(r.filler_entries, csc.filler_entries);
    EXPECT_EQ(r.entries, csc.entries());
    EXPECT_EQ(r.weight_bits, 6);
    EXPECT_EQ(r.index_bits, index_bits);
    const std::int64_t pointer_bits = (cols + 1) * std::bit_width(static_cast<std::uint64_t>(csc.entries()));
    const std::int64_t overhead = pointer_bits + 64 * 32 + rows * 32;
    EXPECT_EQ(r.pointer_bits, pointer_bits);
    EXPECT_EQ(r.bits_pq, csc.entries() * (6 + index_bits) + overhead);
    const HuffmanStream hc = huffman_compress(csc.codes), hi = huffman_compress(csc.index);
    EXPECT_EQ(r.bits_pqh, hc.bit_count + hc.table.serialized_bits() + hi.bit_count + hi.table.serialized_bits() +
                              overhead);
    EXPECT_LT(r.weight_bits_huffman, 6.0);  // Gaussian weights: the middle clusters are the busy ones
    EXPECT_LT(r.index_bits_huffman, index_bits);
    EXPECT_EQ(r.dense_bits, rows * cols * 32 + rows * 32);
    EXPECT_DOUBLE_EQ(r.ratio_pq, static_cast<double>(r.dense_bits) / static_cast<double>(r.bits_pq));
    EXPECT_GT(r.ratio_pqh, r.ratio_pq);
  }
  // Fewer index bits: more fillers.
  EXPECT_GT(report_layer(layer, 3).filler_entries, report_layer(layer, 5).filler_entries);
}

TEST(Report, options_leave_out_bias_pointers_codebook) {
  const CompressedLayer layer = test::LayerTester().rows(64).cols(32).density(0.2).bits(4).bias(true).build(3);
  const LayerReport r = report_layer(layer, 4, {.count_bias = false, .count_pointers = false,
                                                .count_codebook = false});
  EXPECT_EQ(r.bias_bits, 0);
  EXPECT_EQ(r.pointer_bits, 0);
  EXPECT_EQ(r.codebook_bits, 0);
  EXPECT_EQ(r.dense_bits, 64 * 32 * 32);
  EXPECT_EQ(r.bits_pq, r.entries * 8);
}

TEST(Report, summarize_sums_layers) {
  const CompressedLayer a = test::LayerTester().rows(100).cols(50).density(0.1).bits(5).build(1);
  const CompressedLayer b = test::LayerTester().rows(20).cols(100).density(0.3).bits(4).build(2);
  const LayerReport ra = report_layer(a), rb = report_layer(b, kConvIndexBits);
  const CompressionReport report = summarize({ra, rb});
  ASSERT_EQ(report.layers.size(), 2u);
  const LayerReport& t = report.total;
  EXPECT_EQ(t.name, "total");
  EXPECT_EQ(t.weights, 7000);
  EXPECT_EQ(t.stored, a.nnz() + b.nnz());
  EXPECT_EQ(t.bits_pq, ra.bits_pq + rb.bits_pq);
  EXPECT_EQ(t.bits_pqh, ra.bits_pqh + rb.bits_pqh);
  EXPECT_EQ(t.dense_bits, ra.dense_bits + rb.dense_bits);
  EXPECT_DOUBLE_EQ(t.density, static_cast<double>(a.nnz() + b.nnz()) / 7000.0);
  EXPECT_EQ(t.weight_bits, 5);
  EXPECT_EQ(t.index_bits, 5);
  EXPECT_NEAR(t.weight_bits_huffman * static_cast<double>(t.entries),
              ra.weight_bits_huffman * static_cast<double>(ra.entries) +
                  rb.weight_bits_huffman * static_cast<double>(rb.entries), 1e-6);
  EXPECT_DOUBLE_EQ(t.ratio_pq, static_cast<double>(t.dense_bits) / static_cast<double>(t.bits_pq));
  EXPECT_EQ(summarize({}).total.bits_pq, 0);
}

TEST(Report, empty_layer) {
  const CompressedLayer zero = test::LayerTester().rows(10).cols(10).density(0.0).build(1);
  const LayerReport r = report_layer(zero);
  EXPECT_EQ(r.entries, 0);
  EXPECT_EQ(r.weight_bits_huffman, 0.0);
  EXPECT_GT(r.ratio_pq, 1.0);
}

}  // namespace
}  // namespace eie

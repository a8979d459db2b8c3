#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "common/test_util.h"
#include "eie/compress.h"

namespace eie {
namespace {

std::vector<std::uint8_t> round_trip(const std::vector<std::uint8_t>& s, int max_length = kHuffmanDefaultLength) {
  HuffmanStream h = huffman_compress(s, max_length);
  EXPECT_LE(h.table.max_length(), max_length);
  // Through the serialised table, as a file reader would.
  const std::vector<std::uint8_t> table_bytes = h.table.serialize();
  std::size_t consumed = 0;
  HuffmanTable table = HuffmanTable::deserialize(table_bytes, &consumed);
  EXPECT_EQ(consumed, table_bytes.size());
  EXPECT_EQ(table, h.table);
  EXPECT_EQ(static_cast<std::int64_t>(table_bytes.size()) * 8, h.table.serialized_bits());
  h.table = std::move(table);
  std::vector<std::uint8_t> out(s.size());
  huffman_decode(h, out);
  return out;
}

// Codes of Gaussian weights quantized by k-means, as compress_layer makes them.
std::vector<std::uint8_t> kmeans_codes(std::size_t n, int clusters, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> w(n);
  for (auto& x : w) x = static_cast<float>(rng.normal());
  return assign_clusters(w, kmeans_1d(w, {.clusters = clusters}).centroids);
}

TEST(Huffman, round_trip_random_streams) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  for (int trial = 0; trial < 40; ++trial) {
    const auto n = static_cast<std::size_t>(rng.below(5000));
    const auto alphabet = 1 + rng.below(256);
    std::vector<std::uint8_t> s(n);
    for (auto& x : s) {
      // Skewed: symbol = floor(alphabet * u^3), so lengths vary widely.
      const double u = rng.uniform();
      x = static_cast<std::uint8_t>(static_cast<double>(alphabet) * u * u * u);
    }
    const int limit = trial % 4 == 0 ? 9 : kHuffmanDefaultLength;
    EXPECT_EQ(round_trip(s, limit), s) << "trial " << trial << " n " << n << " alphabet " << alphabet;
  }
}

TEST(Huffman, empty_stream) {
  const HuffmanStream h = huffman_compress({});
  EXPECT_EQ(h.symbols, 0);
  EXPECT_EQ(h.bit_count, 0);
  EXPECT_TRUE(h.bytes.empty());
  EXPECT_TRUE(round_trip({}).empty());
  EXPECT_TRUE(huffman_decompress(h).empty());
}

TEST(Huffman, one_symbol_stream) {
  const std::vector<std::uint8_t> s(1000, 7);
  const HuffmanStream h = huffman_compress(s);
  EXPECT_GT(h.group, 1);  // a group of 7s per 1-bit code
  EXPECT_LE(h.bit_count, 1000 / h.group + 1);
  EXPECT_EQ(round_trip(s), s);
  EXPECT_EQ(round_trip({200}), std::vector<std::uint8_t>{200});
}

TEST(Huffman, all_256_symbols) {
  std::vector<std::uint8_t> s;
  Rng rng(test::seed());
  for (int v = 0; v < 256; ++v) s.push_back(static_cast<std::uint8_t>(v));
  for (int i = 0; i < 6000; ++i) s.push_back(static_cast<std::uint8_t>(rng.below(256)));
  const HuffmanStream h = huffman_compress(s);
  EXPECT_EQ(h.alphabet, 256);
  EXPECT_EQ(h.group, 1);  // 65536 pairs would cost far more table than they save
  EXPECT_LE(h.bit_count, static_cast<std::int64_t>(s.size()) * 8);
  EXPECT_EQ(round_trip(s), s);
  EXPECT_EQ(round_trip(s, 8), s);
}

TEST(Huffman, length_limit_is_respected_and_optimal_when_loose) {
  // Fibonacci frequencies make the unlimited Huffman code as deep as possible (n - 1 for n symbols).
  std::array<std::uint64_t, 30> fib{};
  fib[0] = fib[1] = 1;
  for (std::size_t i = 2; i < fib.size(); ++i) fib[i] = fib[i - 1] + fib[i - 2];
  const HuffmanTable unlimited = HuffmanTable::from_frequencies(fib, kHuffmanMaxLength);
  EXPECT_EQ(unlimited.max_length(), 24);
  for (int limit : {5, 8, 12, 16}) {
    const HuffmanTable t = HuffmanTable::from_frequencies(fib, limit);
    EXPECT_EQ(t.max_length(), limit) << "limit " << limit;
    std::vector<std::uint8_t> s;
    for (std::size_t sym = 0; sym < 12; ++sym) {
      for (std::uint64_t r = 0; r < std::min<std::uint64_t>(fib[sym], 50); ++r) s.push_back(static_cast<std::uint8_t>(sym));
    }
    EXPECT_EQ(round_trip(s, limit), s);
  }
  test::expect_error([&] { HuffmanTable::from_frequencies(fib, 4); }, {"30 symbols", "4-bit"});
  test::expect_error([&] { HuffmanTable::from_frequencies(fib, 0); }, {"max code length", "0"});
}

TEST(Huffman, canonical_codes) {
  // Lengths {2, 1, 3, 3} -> codes: symbol 1 = 0, symbol 0 = 10, symbol 2 = 110, symbol 3 = 111.
  const HuffmanTable t = HuffmanTable::from_lengths({2, 1, 3, 3});
  EXPECT_EQ(t.code(1), 0b0u);
  EXPECT_EQ(t.code(0), 0b10u);
  EXPECT_EQ(t.code(2), 0b110u);
  EXPECT_EQ(t.code(3), 0b111u);
}

// Each coded stream is within 1% of its Shannon bound plus its table, on the streams compression produces:
// k-means codes of Gaussian weights (2 to 8 bits) and the relative indices and codes of a 1000 x 1000 layer at
// the paper's densities. (Streams of a few ten thousand symbols may stay ~1.3% over: there a grouped code's
// bigger table costs more than it saves, and huffman_compress keeps the smaller total.)
TEST(Huffman, within_one_percent_of_entropy_plus_table) {
  SCOPED_TRACE(test::seed_trace());
  std::vector<std::vector<std::uint8_t>> streams;
  for (int bits : {2, 3, 4, 5, 8}) streams.push_back(kmeans_codes(200000, 1 << bits, test::seed() + bits));
  for (double density : {0.04, 0.09, 0.25}) {
    std::vector<float> w(1000 * 1000);
    Rng rng(test::seed());
    for (auto& x : w) x = static_cast<float>(rng.normal());
    const CompressedLayer layer = compress_layer(
        "fc", 1000, 1000, w, {}, {.prune = {.mode = PruneMode::density, .density = density}, .bits = 5});
    for (int index_bits : {4, 5, 8}) streams.push_back(encode_relative_csc(layer, index_bits).index);
    streams.push_back(encode_relative_csc(layer, 4).codes);
  }
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const HuffmanStream h = huffman_compress(streams[i]);
    const double bound = entropy_bits(streams[i]);
    const double coded = static_cast<double>(h.bit_count);
    EXPECT_LE(coded, 1.01 * bound + static_cast<double>(h.table.serialized_bits()))
        << "stream " << i << ": " << coded / static_cast<double>(h.symbols) << " bits/symbol, entropy "
        << bound / static_cast<double>(h.symbols);
    EXPECT_GE(coded, bound - 1e-6) << "stream " << i;  // no code beats the entropy
  }
}

TEST(Huffman, entropy_of_known_streams) {
  EXPECT_DOUBLE_EQ(entropy_bits(std::vector<std::uint8_t>{0, 1, 2, 3}), 8.0);
  EXPECT_DOUBLE_EQ(entropy_bits(std::vector<std::uint8_t>(10, 4)), 0.0);
  EXPECT_DOUBLE_EQ(entropy_bits({}), 0.0);
}

TEST(Huffman, bit_writer_and_reader) {
  BitWriter w;
  w.put(0b101, 3);
  w.put(0xABCDE, 20);
  w.put(1, 1);
  w.put(0xFFFFFFFFu, 32);
  EXPECT_EQ(w.bit_count(), 56);
  const std::vector<std::uint8_t> bytes = w.finish();
  EXPECT_EQ(bytes.size(), 7u);
  BitReader r(bytes);
  EXPECT_EQ(r.get(3), 0b101u);
  EXPECT_EQ(r.get(20), 0xABCDEu);
  EXPECT_EQ(r.get(1), 1u);
  EXPECT_EQ(r.get(32), 0xFFFFFFFFu);
  EXPECT_EQ(r.position(), 56);
  test::expect_error([&] { r.get(1); }, {"bit reader", "bit 56"});
}

TEST(Huffman, truncated_stream_is_an_error) {
  const std::vector<std::uint8_t> s = kmeans_codes(1000, 16, 3);
  HuffmanStream h = huffman_compress(s);
  h.bytes.resize(h.bytes.size() / 2);
  h.bit_count = static_cast<std::int64_t>(h.bytes.size()) * 8;
  std::vector<std::uint8_t> out(s.size());
  test::expect_error([&] { huffman_decode(h, out, "layer fc1 codes"); }, {"layer fc1 codes", "ends after"});
  h.bit_count += 100;
  test::expect_error([&] { huffman_decode(h, out, "codes"); }, {"codes", "bits do not fit"});
}

TEST(Huffman, count_larger_than_the_output_is_an_error) {
  HuffmanStream h = huffman_compress(std::vector<std::uint8_t>{1, 2, 3, 200});
  std::vector<std::uint8_t> out(2);
  test::expect_error([&] { huffman_decode(h, out); }, {"do not fit the output"});
  h.symbols = 1000;
  std::vector<std::uint8_t> big(1000);
  test::expect_error([&] { huffman_decode(h, big); }, {"1000 symbols cannot fit"});
  test::expect_error([&] { huffman_decompress(h); }, {"1000 symbols cannot fit"});
  h.symbols = 4;
  h.group = 3;
  test::expect_error([&] { huffman_decode(h, big); }, {"group 3", "201-symbol alphabet"});
  h.alphabet = 0;
  test::expect_error([&] { huffman_decode(h, big); }, {"alphabet", "got 0"});
}

TEST(Huffman, invalid_code_is_an_error) {
  // A one-symbol table has only the code "0"; a 1 bit is no code.
  HuffmanStream h;
  h.table = HuffmanTable::from_lengths({0, 1});
  h.alphabet = 2;
  h.symbols = 8;
  h.bit_count = 8;
  h.bytes = {0x04};
  std::vector<std::uint8_t> out(8);
  test::expect_error([&] { huffman_decode(h, out, "index"); }, {"index", "no code at bit 2"});
}

TEST(Huffman, bad_tables_are_errors) {
  test::expect_error([] { HuffmanTable::from_lengths({1, 1, 1}); }, {"over-subscribed"});
  test::expect_error([] { HuffmanTable::from_lengths({1, 2}); }, {"incomplete"});
  test::expect_error([] { HuffmanTable::from_lengths({0, 3}); }, {"single symbol", "length 1"});
  test::expect_error([] { HuffmanTable::from_lengths({25, 1}); }, {"symbol 0", "25"});
  std::size_t consumed = 0;
  test::expect_error([&] { HuffmanTable::deserialize(std::vector<std::uint8_t>{1}, &consumed, "fc6 table"); },
                     {"fc6 table", "truncated"});
  test::expect_error([&] { HuffmanTable::deserialize(std::vector<std::uint8_t>{0x01, 0x00, 0x01, 0x00}, &consumed, "t"); },
                     {"t", "65537 symbols"});
  test::expect_error([&] { HuffmanTable::deserialize(std::vector<std::uint8_t>{0x10, 0, 0, 0, 0x21}, &consumed, "t"); },
                     {"t", "truncated"});
  // 31 = a run of absent symbols: 0x1F then run - 1 = 99 > the alphabet of 16.
  test::expect_error([&] { HuffmanTable::deserialize(std::vector<std::uint8_t>{0x10, 0, 0, 0, 0x7F, 0x0C, 0}, &consumed, "t"); },
                     {"t", "run of 100", "16"});
  test::expect_error([&] { HuffmanTable::deserialize(std::vector<std::uint8_t>{0x01, 0, 0, 0, 0x19}, &consumed, "t"); },
                     {"t", "code length 25"});
}

// Random bytes fed to the decoder and the table reader: errors, never crashes (ASan checks the reads).
TEST(Huffman, random_corruption_never_crashes) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  const std::vector<std::uint8_t> s = kmeans_codes(3000, 32, 11);
  const HuffmanStream h = huffman_compress(s);
  std::vector<std::uint8_t> table_bytes = h.table.serialize();
  std::vector<std::uint8_t> out(s.size());
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<std::uint8_t> bytes = h.bytes;
    std::vector<std::uint8_t> tb = table_bytes;
    for (int flips = 0; flips < 3; ++flips) {
      bytes[rng.below(bytes.size())] ^= static_cast<std::uint8_t>(1u << rng.below(8));
      if (trial % 2) tb[rng.below(tb.size())] ^= static_cast<std::uint8_t>(1u << rng.below(8));
    }
    if (trial % 3 == 0) bytes.resize(rng.below(bytes.size()));
    try {
      std::size_t consumed = 0;
      HuffmanStream corrupt = h;
      corrupt.table = HuffmanTable::deserialize(tb, &consumed);
      corrupt.bytes = bytes;
      corrupt.bit_count = std::min<std::int64_t>(corrupt.bit_count, static_cast<std::int64_t>(bytes.size()) * 8);
      if (trial % 5 == 0) corrupt.group = 1 + static_cast<int>(rng.below(8));
      huffman_decode(corrupt, out);
    } catch (const Error&) {
    }
  }
}

}  // namespace
}  // namespace eie

#include <cmath>
#include <cstring>
#include <limits>

#include <zlib.h>

#include "common/test_util.h"
#include "io/io_test_util.h"

namespace eie {
namespace {

using nlohmann::json;

void add_layer(EieFile& file, CompressedLayer layer, int index_bits) {
  CompressedWeight w;
  w.shape = {layer.rows, layer.cols};
  w.layout = WeightLayout::rows_first;
  w.layer = std::move(layer);
  file.index_bits[w.layer.name] = index_bits;
  file.model.compressed[w.layer.name] = std::move(w);
}

// A small graph: Gemm (compressed, transposed), Relu, MatMul (compressed), with a dense bias.
EieFile graph_file() {
  EieFile file;
  Model& m = file.model;
  m.name = "net";
  m.inputs = {{"x", {-1, 40}}};
  m.outputs = {{"y", {-1, 10}}};
  Node gemm;
  gemm.op_type = "Gemm";
  gemm.name = "fc1";
  gemm.inputs = {"x", "w1", "b1"};
  gemm.outputs = {"h"};
  gemm.attributes = {{"alpha", 1.0f}, {"transB", std::int64_t{0}}, {"note", std::string("x")},
                     {"ints", std::vector<std::int64_t>{1, -2}}, {"floats", std::vector<float>{0.5f}},
                     {"strs", std::vector<std::string>{"a", "b"}}};
  Node relu;
  relu.op_type = "Relu";
  relu.name = "relu";
  relu.inputs = {"h"};
  relu.outputs = {"hr"};
  Node matmul;
  matmul.op_type = "MatMul";
  matmul.name = "fc2";
  matmul.inputs = {"hr", "w2"};
  matmul.outputs = {"y"};
  m.nodes = {gemm, relu, matmul};
  m.initializers["b1"] = Tensor{{30}, std::vector<float>(30, 0.125f)};
  CompressedLayer l1 = test::LayerTester().rows(30).cols(40).density(0.2).bits(4).bias(false).build(3);
  l1.name = "w1";
  CompressedLayer l2 = test::LayerTester().rows(10).cols(30).density(0.5).bits(3).bias(true).build(4);
  l2.name = "w2";
  add_layer(file, l1, 4);
  add_layer(file, l2, 2);
  for (auto& [name, w] : file.model.compressed) {
    w.layout = WeightLayout::transposed;
    w.shape = {w.layer.cols, w.layer.rows};
  }
  file.settings = {{"density", "0.2"}, {"seed", 7}};
  return file;
}

std::vector<std::uint8_t> saved(const EieFile& file) { return serialize_eie(file); }

// Rewrites the JSON header of a serialised file (and its length and checksum) so a test can break one field.
std::vector<std::uint8_t> with_header(const std::vector<std::uint8_t>& bytes, const std::function<void(json&)>& edit) {
  std::uint32_t len;
  std::memcpy(&len, &bytes[12], 4);
  json header = json::parse(bytes.begin() + 24, bytes.begin() + 24 + len);
  edit(header);
  const std::string text = header.dump();
  std::vector<std::uint8_t> out(bytes.begin(), bytes.begin() + 24);
  const auto new_len = static_cast<std::uint32_t>(text.size());
  std::memcpy(&out[12], &new_len, 4);
  const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(text.data()), new_len));
  std::memcpy(&out[16], &crc, 4);
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), bytes.begin() + 24 + len, bytes.end());
  return out;
}

TEST(Container, round_trip_is_bit_identical_over_random_layers) {
  SCOPED_TRACE(test::seed_trace());
  Rng rng(test::seed());
  const std::int64_t shapes[][2] = {{1, 1}, {1, 37}, {37, 1}, {17, 13}, {300, 20}, {64, 64}};
  const double densities[] = {0.0, 0.01, 0.1, 0.5, 1.0};
  const int bits[] = {1, 2, 4, 8};
  const int index_bits[] = {1, 2, 4, 5, 8};
  int n = 0;
  EieFile file;
  file.model.name = "sweep";
  for (const auto& shape : shapes) {
    for (const double density : densities) {
      const int b = bits[rng.below(4)];
      const int ib = index_bits[rng.below(5)];
      CompressedLayer layer = test::LayerTester()
                                  .rows(shape[0]).cols(shape[1]).density(density).bits(b).bias(rng.below(2) == 1)
                                  .build(rng.next());
      layer.name = "layer" + std::to_string(n++);
      layer.provenance = {"prune+quantize", layer.density(), b};
      add_layer(file, std::move(layer), ib);
    }
  }
  // A codebook without a reserved zero: every weight stored (no filler zeros needed).
  std::vector<std::uint8_t> codes(12 * 9);
  for (auto& c : codes) c = static_cast<std::uint8_t>(rng.below(4));
  CompressedLayer dense = CompressedLayer::from_codes(12, 9, codes, Codebook({-1.0f, 0.0f, 0.5f, 2.0f}, 2, false));
  dense.name = "dense_codebook";
  add_layer(file, dense, 8);

  const std::vector<std::uint8_t> bytes = serialize_eie(file);
  const EieFile back = parse_eie(bytes, "sweep.eie");
  ASSERT_EQ(back.model.compressed.size(), file.model.compressed.size());
  for (const auto& [name, w] : file.model.compressed) {
    SCOPED_TRACE(name);
    EXPECT_EQ(back.model.compressed.at(name), w);  // CompressedLayer::operator==: every field, floats bitwise equal
    EXPECT_EQ(back.index_bits.at(name), file.index_bits.at(name));
  }
  EXPECT_EQ(back.model, file.model);
  EXPECT_EQ(back.file_bytes, static_cast<std::int64_t>(bytes.size()));
  EXPECT_EQ(serialize_eie(back), bytes);  // and writing it again gives the same bytes
}

TEST(Container, graph_settings_and_dense_tensors_survive) {
  test::ScratchDir dir;
  const EieFile file = graph_file();
  save_eie(dir.file("net.eie"), file);
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"net.eie"}));
  const EieFile back = load_eie(dir.file("net.eie"));
  EXPECT_EQ(back.model, file.model);
  EXPECT_EQ(back.settings, file.settings);
  EXPECT_EQ(back.index_bits, file.index_bits);
  EXPECT_EQ(*back.model.constant("w1"), *file.model.constant("w1"));
}

// JSON has no infinities or NaN: they are stored as strings (a causal mask fills with -inf).
TEST(Container, non_finite_float_attributes_survive) {
  EieFile file = graph_file();
  auto& attributes = file.model.nodes[0].attributes;
  attributes["alpha"] = -std::numeric_limits<float>::infinity();
  attributes["floats"] = std::vector<float>{std::numeric_limits<float>::infinity(), 0.5f,
                                            std::numeric_limits<float>::quiet_NaN()};
  const EieFile back = parse_eie(saved(file), "n.eie");
  const Node& node = back.model.nodes[0];
  EXPECT_EQ(node.attr_float("alpha", 0.0f), -std::numeric_limits<float>::infinity());
  const auto floats = std::get<std::vector<float>>(node.attributes.at("floats"));
  ASSERT_EQ(floats.size(), 3u);
  EXPECT_EQ(floats[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(floats[1], 0.5f);
  EXPECT_TRUE(std::isnan(floats[2]));
  test::expect_error(
      [&] { parse_eie(with_header(saved(file), [](json& h) { h["model"]["nodes"][0]["attributes"]["alpha"] =
                                                                {{"float", "-infinity"}}; }), "n.eie"); },
      {"n.eie", "node 'fc1' attribute 'alpha'", "-infinity"});
}

TEST(Container, report_comes_from_the_stored_streams) {
  const EieFile file = graph_file();
  const EieFile back = parse_eie(serialize_eie(file), "net.eie");
  ASSERT_EQ(back.report.layers.size(), 2u);
  EXPECT_EQ(back.report.layers[0].name, "w1");  // graph order
  EXPECT_EQ(back.report.layers[1].name, "w2");
  const CompressionReport expected = make_report(file);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.report.layers[i].bits_pqh, expected.layers[i].bits_pqh);
    EXPECT_EQ(back.report.layers[i].bits_pq, expected.layers[i].bits_pq);
    EXPECT_EQ(back.report.layers[i].stored, file.model.compressed.at(back.report.layers[i].name).layer.nnz());
  }
  const LayerReport direct = report_layer(file.model.compressed.at("w2").layer, 2);
  EXPECT_EQ(back.report.layers[1].bits_pqh, direct.bits_pqh);
  EXPECT_EQ(back.report.layers[1].filler_entries, direct.filler_entries);
  EXPECT_EQ(back.report.total.bits_pqh, expected.total.bits_pqh);
}

TEST(Container, wrong_magic_is_an_error) {
  auto bytes = saved(graph_file());
  bytes[1] = 'X';
  test::expect_error([&] { parse_eie(bytes, "net.eie"); }, {"net.eie", "not an .eie file (wrong magic)"});
  test::expect_error([&] { parse_eie(std::vector<std::uint8_t>(4, 0), "net.eie"); }, {"net.eie", "wrong magic"});
}

TEST(Container, newer_version_is_an_error) {
  auto bytes = saved(graph_file());
  bytes[8] = static_cast<std::uint8_t>(kEieFormatVersion + 1);
  test::expect_error([&] { parse_eie(bytes, "net.eie"); },
                     {"net.eie", "preamble", "format version 2 is newer than this eie reads (1)"});
}

TEST(Container, bad_header_checksum_is_an_error) {
  auto bytes = saved(graph_file());
  bytes[30] ^= 0x01;
  test::expect_error([&] { parse_eie(bytes, "net.eie"); }, {"net.eie", "header", "bad checksum"});
}

TEST(Container, bad_section_checksum_names_the_section) {
  auto bytes = saved(graph_file());
  // The last section is w2's bias (the last layer's last section); flip one of its bytes.
  bytes[bytes.size() - 3] ^= 0x40;
  test::expect_error([&] { parse_eie(bytes, "net.eie"); }, {"net.eie", "section 'w2/bias'", "bad checksum"});
}

TEST(Container, section_past_the_end_names_the_section) {
  auto bytes = saved(graph_file());
  bytes.erase(bytes.end() - 5, bytes.end());  // truncated: the last section runs past the end
  test::expect_error([&] { parse_eie(bytes, "net.eie"); },
                     {"net.eie", "section 'w2/bias'", "runs past the end of the file"});
  const auto longer = with_header(saved(graph_file()), [](json& h) { h["sections"][0]["length"] = 1u << 30; });
  test::expect_error([&] { parse_eie(longer, "net.eie"); }, {"net.eie", "section 'b1'", "runs past the end"});
  const auto huge = with_header(saved(graph_file()), [](json& h) {
    h["sections"][0]["offset"] = std::numeric_limits<std::int64_t>::max();
  });
  test::expect_error([&] { parse_eie(huge, "net.eie"); }, {"net.eie", "section 'b1'", "runs past the end"});
}

TEST(Container, header_past_the_end_is_an_error) {
  auto bytes = saved(graph_file());
  bytes.resize(40);
  test::expect_error([&] { parse_eie(bytes, "net.eie"); }, {"net.eie", "header", "runs past the end"});
}

TEST(Container, overlapping_sections_are_an_error) {
  const auto bytes = with_header(saved(graph_file()), [](json& h) {
    h["sections"][1]["offset"] = h["sections"][0]["offset"];
    h["sections"][1]["length"] = h["sections"][0]["length"];
    h["sections"][1]["crc32"] = h["sections"][0]["crc32"];
  });
  test::expect_error([&] { parse_eie(bytes, "net.eie"); }, {"net.eie", "overlap"});
}

TEST(Container, missing_or_mistyped_fields_are_named) {
  const auto base = saved(graph_file());
  test::expect_error([&] { parse_eie(with_header(base, [](json& h) { h["layers"][0].erase("rows"); }), "n.eie"); },
                     {"n.eie", "layer 'w1'", "field 'rows' is missing"});
  test::expect_error([&] { parse_eie(with_header(base, [](json& h) { h["layers"][0]["cols"] = "x"; }), "n.eie"); },
                     {"n.eie", "layer 'w1'", "field 'cols' is not an integer"});
  test::expect_error(
      [&] { parse_eie(with_header(base, [](json& h) { h["layers"][1]["index_bits"] = 9; }), "n.eie"); },
      {"n.eie", "layer 'w2'", "'index_bits' = 9 is out of range"});
  test::expect_error(
      [&] { parse_eie(with_header(base, [](json& h) { h["layers"][0]["codebook"]["bits"] = 2; }), "n.eie"); },
      {"n.eie", "layer 'w1' codebook"});
  test::expect_error(
      [&] { parse_eie(with_header(base, [](json& h) { h["layers"][0]["codes"]["section"] = 99; }), "n.eie"); },
      {"n.eie", "layer 'w1' codes", "out of range"});
  test::expect_error([&] { parse_eie(with_header(base, [](json& h) { h["format"] = "zip"; }), "n.eie"); },
                     {"n.eie", "format"});
  test::expect_error(
      [&] { parse_eie(with_header(base, [](json& h) { h["model"]["nodes"][0]["attributes"]["alpha"] = {{"float", "x"}}; }),
                      "n.eie"); },
      {"n.eie", "node 'fc1' attribute 'alpha'"});
}

TEST(Container, inconsistent_layer_data_is_an_error) {
  const auto base = saved(graph_file());
  // More entries than the streams hold.
  test::expect_error(
      [&] { parse_eie(with_header(base, [](json& h) { h["layers"][0]["entries"] = 100000; }), "n.eie"); },
      {"n.eie", "w1"});
  // A shape that does not hold the layer.
  test::expect_error(
      [&] { parse_eie(with_header(base, [](json& h) { h["layers"][0]["shape"] = {40, 31}; }), "n.eie"); },
      {"n.eie", "model", "'w1'", "does not fit shape"});
  test::expect_error(
      [&] { parse_eie(with_header(base, [](json& h) { h["tensors"][0]["shape"] = {31}; }), "n.eie"); },
      {"n.eie", "tensor 'b1'", "expected 31 fp32 values"});
}

TEST(Container, corrupt_header_json_is_an_error) {
  auto bytes = saved(graph_file());
  std::uint32_t len;
  std::memcpy(&len, &bytes[12], 4);
  bytes[24 + len - 1] = ',';  // the closing brace
  const auto crc = static_cast<std::uint32_t>(crc32(0, &bytes[24], len));
  std::memcpy(&bytes[16], &crc, 4);
  test::expect_error([&] { parse_eie(bytes, "net.eie"); }, {"net.eie", "header", "corrupt JSON"});
}

TEST(Container, failed_save_leaves_no_file) {
  test::ScratchDir dir;
  EieFile file = graph_file();
  file.model.nodes[1].inputs = {"undefined"};
  test::expect_error([&] { save_eie(dir.file("bad.eie"), file); }, {"bad.eie", "input 'undefined'"});
  EXPECT_TRUE(dir.listing().empty());
}

}  // namespace
}  // namespace eie

namespace eie {
namespace {

TEST(Container, deeply_nested_header_json_is_an_error) {
  const auto bytes = with_header(saved(graph_file()), [](json& h) {
    json deep = json::array();
    for (int i = 0; i < 100; ++i) deep = json::array({deep});
    h["settings"] = deep;
  });
  test::expect_error([&] { parse_eie(bytes, "net.eie"); }, {"net.eie: header", "nested deeper than 64"});
}

}  // namespace
}  // namespace eie

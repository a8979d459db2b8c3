// Writes seed corpora for the fuzz targets: valid .eie, safetensors, ONNX, .npy, TensorProto .pb, IDX and simulator config files.
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/core.h>

#include "eie/io.h"
#include "eie/sim.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_corpus DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  for (const char* sub : {"eie", "safetensors", "onnx", "npy", "idx", "sim_config", "pb"}) std::filesystem::create_directories(dir / sub);
  int n = 0;
  for (const auto& [rows, cols, density] : {std::tuple{8, 6, 0.3}, {40, 3, 0.1}, {1, 20, 1.0}, {33, 17, 0.05}}) {
    eie::Model m;
    m.name = fmt::format("m{}", n);
    m.inputs = {{"x", {-1, cols}}};
    m.outputs = {{"y", {-1, rows}}};
    eie::Rng rng(static_cast<std::uint64_t>(n) + 1);
    eie::Tensor w{{rows, cols}, {}};
    for (int i = 0; i < rows * cols; ++i) w.data.push_back(static_cast<float>(rng.normal()));
    m.initializers["w"] = w;
    m.initializers["b"] = eie::Tensor{{rows}, std::vector<float>(static_cast<std::size_t>(rows), 0.5f)};
    eie::Node gemm;
    gemm.op_type = "Gemm";
    gemm.name = "fc";
    gemm.inputs = {"x", "w", "b"};
    gemm.outputs = {"y"};
    gemm.attributes = {{"transB", std::int64_t{1}}, {"alpha", 1.0f}};
    m.nodes = {gemm};
    eie::write_file_atomic((dir / "onnx" / fmt::format("{}.onnx", n)).string(), eie::serialize_onnx(m));
    eie::write_file_atomic((dir / "safetensors" / fmt::format("{}.safetensors", n)).string(),
                           eie::serialize_safetensors(m.initializers));
    eie::ModelCompressionOptions options;
    options.density = eie::LayerRules::parse_density(fmt::format("{}", density));
    options.bits = eie::LayerRules::parse_bits(fmt::format("{}", 1 + n * 2));
    options.index_bits = eie::LayerRules::parse_bits(fmt::format("{}", 2 + n));
    eie::save_eie((dir / "eie" / fmt::format("{}.eie", n)).string(), eie::compress_model(m, options));
    eie::write_npy((dir / "npy" / fmt::format("{}.npy", n)).string(), w);
    eie::write_tensor_proto((dir / "pb" / fmt::format("{}.pb", n)).string(), w);
    // IDX: unsigned bytes, rows x cols (magic 0 0 8 2, big-endian dimensions).
    std::vector<std::uint8_t> idx = {0, 0, 8, 2};
    for (const int d : {rows, cols}) {
      for (int shift = 24; shift >= 0; shift -= 8) idx.push_back(static_cast<std::uint8_t>(d >> shift));
    }
    for (int i = 0; i < rows * cols; ++i) idx.push_back(static_cast<std::uint8_t>(i * 37));
    eie::write_file_atomic((dir / "idx" / fmt::format("{}.idx", n)).string(), idx);
    eie::sim::Config config;
    config.num_pes = rows;
    config.fifo_depth = cols;
    const std::string json = eie::sim::to_json(config).dump();
    eie::write_file_atomic((dir / "sim_config" / fmt::format("{}.json", n)).string(),
                           std::vector<std::uint8_t>(json.begin(), json.end()));
    ++n;
  }
  // Shape computations (fold_shapes): Reshape to [batch, seq, 2, 4] and a mask from the sequence length.
  eie::Model dyn;
  dyn.name = "dynamic";
  dyn.inputs = {{"x", {-1, -1, 8}}};
  dyn.outputs = {{"y", {-1, -1, 2, 4}}, {"mask", {-1, -1}}};
  dyn.initializers = {{"idx", eie::Tensor{{2}, {0, 1}}}, {"tail", eie::Tensor{{2}, {2, 4}}},
                      {"start", eie::Tensor{{1}, {1}}}, {"end", eie::Tensor{{1}, {9.3e18f}}},
                      {"zero", eie::Tensor{{}, {0}}}, {"one", eie::Tensor{{}, {1}}}};
  const auto node = [](std::string op, std::vector<std::string> in, std::string out,
                       std::map<std::string, eie::Attribute> attributes = {}) {
    return eie::Node{op, out + "_node", std::move(in), {out}, std::move(attributes)};
  };
  dyn.nodes = {node("Shape", {"x"}, "s"),
               node("Gather", {"s", "idx"}, "bs"),
               node("Concat", {"bs", "tail"}, "target", {{"axis", std::int64_t{0}}}),
               node("Reshape", {"x", "target"}, "y"),
               node("Slice", {"s", "start", "end"}, "seq2"),
               node("Gather", {"s", "one"}, "n"),
               node("Range", {"zero", "n", "one"}, "r"),
               node("Unsqueeze", {"r"}, "rc", {{"axes", std::vector<std::int64_t>{1}}}),
               node("Sub", {"r", "rc"}, "d"),
               node("Cast", {"d"}, "db", {{"to", std::int64_t{9}}}),
               node("Div", {"seq2", "n"}, "ratio"),
               node("ConstantOfShape", {"ratio"}, "ones", {{"value", std::int64_t{1}}}),
               node("Equal", {"db", "one"}, "eq"),
               node("Where", {"eq", "zero", "one"}, "w"),
               node("Shape", {"w"}, "wshape"),
               node("Expand", {"w", "wshape"}, "mask")};
  eie::write_file_atomic((dir / "onnx" / "dynamic.onnx").string(), eie::serialize_onnx(dyn));
  return 0;
}

// Demo section: Deep Compression without retraining of a LeNet-300-100-shaped network. The model is built in
// process, written to ONNX and imported back (the path a user's model takes), compressed with the paper's
// per-layer densities, stored as .eie, loaded again and checked bit for bit.
#include <chrono>
#include <cmath>
#include <filesystem>

#include <fmt/core.h>
#include <unistd.h>

#include "command.h"
#include "eie/io.h"
#include "report_table.h"

namespace eie::cli {
namespace {

Node node(std::string op, std::string name, std::vector<std::string> in, std::vector<std::string> out,
          std::map<std::string, Attribute> attributes = {}) {
  Node n;
  n.op_type = std::move(op);
  n.name = std::move(name);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attributes);
  return n;
}

// 784 -> 300 -> 100 -> 10 with Gemm (transB=1, PyTorch's export) and ReLU; weights N(0, 1/fan_in), seeded.
Model lenet_300_100(std::uint64_t seed) {
  Model m;
  m.name = "lenet-300-100";
  m.inputs = {{"image", {-1, 784}}};
  m.outputs = {{"logits", {-1, 10}}};
  Rng rng(seed);
  const std::int64_t widths[] = {784, 300, 100, 10};
  std::string x = "image";
  for (int l = 0; l < 3; ++l) {
    const std::string ip = fmt::format("ip{}", l + 1);
    Tensor w{{widths[l + 1], widths[l]}, {}};
    const double scale = 1.0 / std::sqrt(static_cast<double>(widths[l]));
    for (std::int64_t i = 0; i < w.shape[0] * w.shape[1]; ++i) w.data.push_back(static_cast<float>(scale * rng.normal()));
    Tensor b{{widths[l + 1]}, std::vector<float>(static_cast<std::size_t>(widths[l + 1]), 0.01f)};
    m.initializers[ip + ".weight"] = std::move(w);
    m.initializers[ip + ".bias"] = std::move(b);
    const std::string y = l == 2 ? "logits" : ip;
    m.nodes.push_back(node("Gemm", ip, {x, ip + ".weight", ip + ".bias"}, {y}, {{"transB", std::int64_t{1}}}));
    if (l < 2) {
      m.nodes.push_back(node("Relu", ip + "_relu", {y}, {y + "_relu"}));
      x = y + "_relu";
    }
  }
  return m;
}

const DemoSection section(20, "Deep Compression: prune, share weights, Huffman-code (LeNet-300-100's shape)",
                          [](DemoContext& ctx) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("eie-demo-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string onnx_path = (dir / "lenet-300-100.onnx").string();
  const std::string eie_path = (dir / "lenet-300-100.eie").string();

  const Model built = lenet_300_100(ctx.seed);
  const std::vector<std::uint8_t> onnx_bytes = serialize_onnx(built);
  write_file_atomic(onnx_path, onnx_bytes);
  const Model imported = load_onnx(onnx_path);
  if (!(imported == built)) throw std::runtime_error("ONNX export and import disagree");
  fmt::print("Built a 784-300-100-10 MLP (seeded N(0, 1/fan_in) weights, untrained), wrote it as ONNX ({} bytes) "
             "and imported it back: {} nodes, weights {}\n", onnx_bytes.size(), imported.nodes.size(),
             fmt::format("{}x{}, {}x{}, {}x{}", 300, 784, 100, 300, 10, 100));

  // The paper's LeNet-300-100 densities (Table 2: 8%, 9%, 26%) and EIE's 4-bit codes and indices.
  ModelCompressionOptions options;
  options.density = LayerRules::parse_density("ip1*=0.08,ip2*=0.09,ip3*=0.26");
  options.bits = LayerRules::parse_bits("4");
  options.seed = ctx.seed;
  const auto t0 = std::chrono::steady_clock::now();
  EieFile file = compress_model(imported, options);
  const auto t1 = std::chrono::steady_clock::now();
  save_eie(eie_path, file);
  const EieFile loaded = load_eie(eie_path);
  if (!(loaded.model == file.model)) throw std::runtime_error(".eie round trip is not bit-identical");
  fmt::print("Compressed in {:.1f} ms (--density 'ip1*=0.08,ip2*=0.09,ip3*=0.26' --bits 4), saved as .eie and "
             "loaded back bit-identical:\n", std::chrono::duration<double, std::milli>(t1 - t0).count());
  fmt::print("{}", report_table(loaded.report, loaded.file_bytes));
  fmt::print("The paper's trained LeNet-300-100 (6-bit weights, retrained): 8% kept, 32x after P+Q, 40x after "
             "P+Q+H. These weights are untrained and not retrained; biases stay dense in the file.\n");
  std::filesystem::remove_all(dir);
  ctx.put("lenet_300_100_eie", loaded);
});

}  // namespace
}  // namespace eie::cli

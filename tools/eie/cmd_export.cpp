// `eie export MODEL -o OUT.onnx`: a model (typically a compressed .eie) as ONNX with every compressed weight
// decompressed to its codebook values: the network eie runs, for other runtimes (PyTorch, onnxruntime) to
// check against (scripts/pytorch-check).
#include <fmt/core.h>

#include "command.h"
#include "eie/io.h"

namespace eie::cli {
namespace {

struct ExportArgs {
  std::string model;
  std::string output;
};

const CommandRegistration registration(22, [](CLI::App& root) {
  auto* cmd = root.add_subcommand("export", "Write a model (.eie, .onnx) as ONNX with compressed weights decompressed");
  auto args = std::make_shared<ExportArgs>();
  cmd->add_option("MODEL", args->model, "The model: .eie or .onnx")->required();
  cmd->add_option("-o,--output", args->output, "The .onnx file to write")->required();
  cmd->callback([args] {
    const Model model = load_model(args->model);
    if (model.nodes.empty()) throw Error(fmt::format("{}: has no graph to export", args->model));
    write_file_atomic(args->output, serialize_onnx(model));
    fmt::print("{} -> {} ({} nodes, {} compressed weights decompressed)\n", args->model, args->output,
               model.nodes.size(), model.compressed.size());
  });
});

}  // namespace
}  // namespace eie::cli

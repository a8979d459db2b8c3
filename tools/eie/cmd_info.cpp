// `eie info FILE [--json]`: for an .eie file, the paper-style per-layer compression table of the stored model;
// for a model not yet compressed (.onnx, .safetensors, .npy), what its weights hold (shape, density, distinct
// values: a weight pruned or clustered by another tool shows it) and the command that compresses it.
#include <filesystem>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "command.h"
#include "eie/io.h"
#include "imported_line.h"
#include "report_table.h"

namespace eie::cli {
namespace {

struct InfoOptions {
  std::string file;
  bool json = false;
};

bool is_dense_model_file(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  return ext == ".onnx" || ext == ".safetensors" || ext == ".npy";
}

void describe_dense_model(const InfoOptions& o) {
  const Model model = load_model(o.file);
  const std::vector<WeightSummary> weights = summarize_weights(model);
  if (o.json) {
    fmt::print("{}\n", dense_info_json(model, o.file).dump(2));
    return;
  }
  fmt::print("{}: model '{}' (not compressed), {} nodes, {} weights eie can compress\n", o.file, model.name,
             model.nodes.size(), weights.size());
  if (!weights.empty()) {
    fmt::print("{:<28} {:<8} {:>18} {:>13} {:>10} {:>9} {:>10}\n", "weight", "op", "shape", "outputs x in",
               "params", "density", "distinct");
    std::int64_t params = 0;
    for (const WeightSummary& w : weights) {
      const std::int64_t n = w.slot.rows * w.slot.cols;
      params += n;
      fmt::print("{:<28} {:<8} {:>18} {:>13} {:>10} {:>8.1f}% {:>10}\n", w.slot.name,
                 w.slot.op_type.empty() ? "-" : w.slot.op_type, fmt::format("[{}]", fmt::join(w.shape, ", ")),
                 fmt::format("{}x{}", w.slot.rows, w.slot.cols), n, 100.0 * w.density(), w.distinct_values);
    }
    fmt::print("{} parameters, {:.2f} MB as fp32\n", params, static_cast<double>(params) * 4.0 / 1e6);
  }
  fmt::print("Compress it with: {}\n", compress_command(o.file));
}

const CommandRegistration registration(21, [](CLI::App& root) {
  auto* cmd = root.add_subcommand("info", "The per-layer compression table of an .eie file (Deep Compression's "
                                          "columns: P, P+Q, P+Q+H), or the weights of a model to compress "
                                          "(.onnx, .safetensors, .npy)");
  auto opts = std::make_shared<InfoOptions>();
  cmd->add_option("FILE", opts->file, "The .eie file, or a model file (.onnx, .safetensors, .npy)")->required();
  cmd->add_flag("--json", opts->json, "Print JSON: {layers: [...], total: {...}, file_bytes} for an .eie file; "
                                      "{weights: [...], compress_with} for a model file");
  cmd->callback([opts] {
    if (is_dense_model_file(opts->file)) return describe_dense_model(*opts);
    const EieFile file = load_eie(opts->file);
    if (opts->json) {
      fmt::print("{}\n", info_json(file, opts->file).dump(2));
      return;
    }
    fmt::print("{}: model '{}', {} nodes, {} compressed weights, {} dense tensors\n", opts->file, file.model.name,
               file.model.nodes.size(), file.model.compressed.size(), file.model.initializers.size());
    fmt::print("{}", report_table(file.report, file.file_bytes));
    fmt::print("{}", imported_line(file));
  });
});

}  // namespace
}  // namespace eie::cli

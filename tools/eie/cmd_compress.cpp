// `eie compress MODEL -o OUT.eie`: Deep Compression without retraining (prune, k-means weight sharing, Huffman
// coding in the container) of an ONNX, safetensors or .npy model, then the per-layer table.
#include <filesystem>

#include <fmt/core.h>

#include "command.h"
#include "eie/io.h"
#include "imported_line.h"
#include "report_table.h"

namespace eie::cli {
namespace {

struct CompressOptions {
  std::string input;
  std::string output;
  std::string density;
  std::string quality;
  std::string bits;
  std::string index_bits;
  std::string init = "linear";
  std::uint64_t seed = 1;
  int max_iterations = 300;
  bool recluster = false;
  bool json = false;
};

void run(const CompressOptions& o) {
  ModelCompressionOptions options;
  if (!o.density.empty()) options.density = LayerRules::parse_density(o.density, "--density");
  if (!o.quality.empty()) options.quality = LayerRules::parse_quality(o.quality, "--quality");
  if (!o.bits.empty()) options.bits = LayerRules::parse_bits(o.bits, "--bits");
  if (!o.index_bits.empty()) options.index_bits = LayerRules::parse_bits(o.index_bits, "--index-bits");
  options.init = parse_kmeans_init(o.init, "--init");
  options.seed = o.seed;
  if (o.max_iterations < 1) throw Error(fmt::format("--max-iterations must be >= 1, got {}", o.max_iterations));
  options.max_iterations = o.max_iterations;
  options.recluster = o.recluster;
  if (std::filesystem::path(o.output).extension() != ".eie") {
    throw Error(fmt::format("-o {}: the output file must end in .eie", o.output));
  }
  Model model = load_model(o.input);
  const bool bar = stdout_is_terminal() && !o.json;
  EieFile file;
  try {
    file = compress_model(std::move(model), options, [bar](std::size_t done, std::size_t total, const std::string& layer) {
      if (!bar) return;
      const int filled = static_cast<int>(30 * done / std::max<std::size_t>(total, 1));
      fmt::print("\r[{:<30}] {}/{} {:<40}", std::string(static_cast<std::size_t>(filled), '#'), done, total,
                 layer.substr(0, 40));
      if (done == total) fmt::print("\r{:<80}\r", "");
      std::fflush(stdout);
    });
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", o.input, e.what()));
  }
  file.settings["source"] = std::filesystem::path(o.input).filename().string();
  save_eie(o.output, file);
  const std::int64_t bytes = static_cast<std::int64_t>(std::filesystem::file_size(o.output));
  if (o.json) {
    nlohmann::json out = report_json(file.report, bytes);
    out["file"] = o.output;
    out["model"] = file.model.name;
    out["imported"] = imported_weights(file);
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{} -> {}: {} of {} weights compressed\n", o.input, o.output, file.model.compressed.size(),
             file.model.compressed.size() + file.model.initializers.size());
  fmt::print("{}", report_table(file.report, bytes));
  fmt::print("{}", imported_line(file));
}

const CommandRegistration registration(20, [](CLI::App& root) {
  auto* cmd = root.add_subcommand("compress", "Prune, quantize (k-means weight sharing) and Huffman-code a model "
                                              "(.onnx, .safetensors or .npy) into an .eie file");
  auto o = std::make_shared<CompressOptions>();
  cmd->add_option("MODEL", o->input, "The model: .onnx, .safetensors or .npy")->required();
  cmd->add_option("-o,--output", o->output, "The .eie file to write")->required();
  cmd->add_option("--density", o->density,
                  "Target density per layer: 'fc*=0.09,conv*=0.35' (globs over weight names; the last match wins; "
                  "a bare value applies to all). Layers without a rule: 0.1");
  cmd->add_option("--quality", o->quality,
                  "Prune |w| <= quality x std(w) instead (the paper's rule), per layer: 'fc*=1.5'. Takes "
                  "precedence over --density for the layers it matches");
  cmd->add_option("--bits", o->bits, "Codebook bits per layer, 1..8: 'fc*=4,conv*=8'. Default 4 (8 for Conv)");
  cmd->add_option("--index-bits", o->index_bits,
                  "Relative-index bits per layer, 1..8. Default 4 (5 for Conv)");
  cmd->add_option("--init", o->init, "k-means initialisation")
      ->check(CLI::IsMember({"linear", "density", "random"}))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed for --init random")->capture_default_str();
  cmd->add_option("--max-iterations", o->max_iterations, "k-means iteration limit")->capture_default_str();
  cmd->add_flag("--recluster", o->recluster,
               "Prune and cluster every weight, also those already pruned and clustered elsewhere (by default a "
               "weight whose non-zero values fit in its bits, 8 without a --bits rule, and repeat is taken exactly "
               "as it is: its values as the codebook, its zeros as the mask)");
  cmd->add_flag("--json", o->json, "Print the table as JSON (as eie info --json)");
  cmd->callback([o] { run(*o); });
});

}  // namespace
}  // namespace eie::cli

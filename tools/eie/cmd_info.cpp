// `eie info FILE.eie [--json]`: the paper-style per-layer compression table of a stored model.
#include <fmt/core.h>

#include "command.h"
#include "eie/io.h"
#include "report_table.h"

namespace eie::cli {
namespace {

struct InfoOptions {
  std::string file;
  bool json = false;
};

const CommandRegistration registration(21, [](CLI::App& root) {
  auto* cmd = root.add_subcommand("info", "The per-layer compression table of an .eie file (Deep Compression's "
                                          "columns: P, P+Q, P+Q+H)");
  auto opts = std::make_shared<InfoOptions>();
  cmd->add_option("FILE", opts->file, "The .eie file")->required();
  cmd->add_flag("--json", opts->json, "Print JSON: {layers: [...], total: {...}, file_bytes}");
  cmd->callback([opts] {
    const EieFile file = load_eie(opts->file);
    if (opts->json) {
      nlohmann::json out = report_json(file.report, file.file_bytes);
      out["file"] = opts->file;
      out["model"] = file.model.name;
      fmt::print("{}\n", out.dump(2));
      return;
    }
    fmt::print("{}: model '{}', {} nodes, {} compressed weights, {} dense tensors\n", opts->file, file.model.name,
               file.model.nodes.size(), file.model.compressed.size(), file.model.initializers.size());
    fmt::print("{}", report_table(file.report, file.file_bytes));
  });
});

}  // namespace
}  // namespace eie::cli

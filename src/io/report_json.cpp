// The compression report as JSON: `eie info --json`, `eie compress --json` and Python's Model.info() print
// this one document, so users learn one schema.
#include <filesystem>

#include <fmt/core.h>

#include "eie/io.h"

namespace eie {
namespace {

nlohmann::json layer_json(const LayerReport& r) {
  return {{"name", r.name}, {"rows", r.rows}, {"cols", r.cols}, {"weights", r.weights}, {"stored", r.stored},
          {"filler_entries", r.filler_entries}, {"density", r.density}, {"weight_bits", r.weight_bits},
          {"weight_bits_huffman", r.weight_bits_huffman}, {"index_bits", r.index_bits},
          {"index_bits_huffman", r.index_bits_huffman}, {"dense_bits", r.dense_bits}, {"bits_pq", r.bits_pq},
          {"bits_pqh", r.bits_pqh}, {"ratio_pq", r.ratio_pq}, {"ratio_pqh", r.ratio_pqh}};
}

}  // namespace

nlohmann::json report_json(const CompressionReport& report, std::int64_t file_bytes) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerReport& l : report.layers) layers.push_back(layer_json(l));
  nlohmann::json total = layer_json(report.total);
  total.erase("rows");
  total.erase("cols");
  total.erase("name");
  return {{"layers", layers}, {"total", total}, {"file_bytes", file_bytes}};
}

nlohmann::json info_json(const EieFile& file, const std::string& path) {
  const bool saved = !path.empty();
  nlohmann::json out =
      report_json(file.report, saved ? file.file_bytes : static_cast<std::int64_t>(serialize_eie(file).size()));
  out["file"] = saved ? nlohmann::json(path) : nlohmann::json(nullptr);
  out["model"] = file.model.name;
  out["imported"] = imported_weights(file);
  return out;
}

std::string compress_command(const std::string& path) {
  return fmt::format("eie compress {} -o {}.eie", path, std::filesystem::path(path).stem().string());
}

nlohmann::json dense_info_json(const Model& model, const std::string& path) {
  nlohmann::json out{{"file", path}, {"model", model.name}, {"compressed", false},
                     {"nodes", model.nodes.size()}, {"weights", nlohmann::json::array()},
                     {"compress_with", compress_command(path)}};
  for (const WeightSummary& w : summarize_weights(model)) {
    out["weights"].push_back({{"name", w.slot.name}, {"op_type", w.slot.op_type}, {"shape", w.shape},
                              {"rows", w.slot.rows}, {"cols", w.slot.cols}, {"nonzeros", w.nonzeros},
                              {"density", w.density()}, {"distinct_values", w.distinct_values}});
  }
  return out;
}

}  // namespace eie

#include "report_table.h"

#include <algorithm>

#include <fmt/core.h>

namespace eie::cli {
namespace {

std::string count(std::int64_t n) {
  if (n >= 10'000'000) return fmt::format("{:.0f}M", n / 1e6);
  if (n >= 1'000'000) return fmt::format("{:.1f}M", n / 1e6);
  if (n >= 10'000) return fmt::format("{:.0f}K", n / 1e3);
  if (n >= 1'000) return fmt::format("{:.1f}K", n / 1e3);
  return fmt::format("{}", n);
}

std::string rate(double ratio) {
  return ratio > 0 ? fmt::format("{:.2f}% ({:.1f}x)", 100.0 / ratio, ratio) : "-";
}

}  // namespace

std::string report_table(const CompressionReport& report, std::int64_t file_bytes) {
  std::size_t width = 5;
  for (const LayerReport& l : report.layers) width = std::max(width, l.name.size());
  std::string out = fmt::format("{:<{}} {:>11} {:>8} {:>9} {:>9} {:>9} {:>9} {:>16} {:>16}\n", "Layer", width,
                                "#Weights", "Weights%", "W bits", "W bits", "Idx bits", "Idx bits", "Compress rate",
                                "Compress rate");
  out += fmt::format("{:<{}} {:>11} {:>8} {:>9} {:>9} {:>9} {:>9} {:>16} {:>16}\n", "", width, "(rows x cols)",
                     "(P)", "(P+Q)", "(P+Q+H)", "(P+Q)", "(P+Q+H)", "(P+Q)", "(P+Q+H)");
  const auto row = [&](const LayerReport& l, const std::string& shape) {
    out += fmt::format("{:<{}} {:>11} {:>7.2f}% {:>9} {:>9.2f} {:>9} {:>9.2f} {:>16} {:>16}\n", l.name, width,
                       count(l.weights), 100.0 * l.density, l.weight_bits, l.weight_bits_huffman, l.index_bits,
                       l.index_bits_huffman, rate(l.ratio_pq), rate(l.ratio_pqh));
    if (!shape.empty()) out += fmt::format("{:<{}} {:>11}\n", "", width, shape);
  };
  for (const LayerReport& l : report.layers) row(l, fmt::format("{}x{}", l.rows, l.cols));
  row(report.total, "");
  out += fmt::format("Sizes: dense fp32 {} bytes; P+Q {} bytes; P+Q+H {} bytes (with column pointers and "
                     "codebooks); file {} bytes\n", report.total.dense_bits / 8, (report.total.bits_pq + 7) / 8,
                     (report.total.bits_pqh + 7) / 8, file_bytes);
  return out;
}

}  // namespace eie::cli

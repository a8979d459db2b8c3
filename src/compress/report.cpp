// The paper's per-layer compression table. What each size counts is written in eie/compress.h and explained,
// against the paper's own tables, in docs/compression.md.
#include <algorithm>
#include <bit>

#include "eie/compress.h"

namespace eie {

LayerReport report_layer(const CompressedLayer& layer, int index_bits, const ReportOptions& options) {
  const RelativeCsc csc = encode_relative_csc(layer, index_bits);
  const HuffmanStream codes = huffman_compress(csc.codes, options.huffman_max_length);
  const HuffmanStream index = huffman_compress(csc.index, options.huffman_max_length);
  return report_layer(csc, codes, index, options);
}

LayerReport report_layer(const RelativeCsc& csc, const HuffmanStream& codes, const HuffmanStream& index,
                         const ReportOptions& options) {
  LayerReport r;
  r.name = csc.name;
  r.rows = csc.rows;
  r.cols = csc.cols;
  r.weights = csc.rows * csc.cols;
  r.entries = csc.entries();
  r.filler_entries = csc.filler_entries;
  r.stored = r.entries - r.filler_entries;
  r.bias_values = static_cast<std::int64_t>(csc.bias.size());
  r.codebook_entries = static_cast<std::int64_t>(csc.codebook.size());
  r.density = r.weights ? static_cast<double>(r.stored) / static_cast<double>(r.weights) : 0.0;
  r.weight_bits = csc.codebook.bits();
  r.index_bits = csc.index_bits;
  const std::int64_t code_bits_h = codes.bit_count + (r.entries ? codes.table.serialized_bits() : 0);
  const std::int64_t index_bits_h = index.bit_count + (r.entries ? index.table.serialized_bits() : 0);
  if (r.entries > 0) {
    r.weight_bits_huffman = static_cast<double>(code_bits_h) / static_cast<double>(r.entries);
    r.index_bits_huffman = static_cast<double>(index_bits_h) / static_cast<double>(r.entries);
  }
  const auto per_pointer = std::max<std::int64_t>(1, std::bit_width(static_cast<std::uint64_t>(r.entries)));
  r.pointer_bits = options.count_pointers ? (r.cols + 1) * per_pointer : 0;
  r.codebook_bits = options.count_codebook ? r.codebook_entries * 32 : 0;
  r.bias_bits = options.count_bias ? r.bias_values * 32 : 0;
  r.dense_bits = r.weights * 32 + r.bias_bits;
  const std::int64_t overhead = r.pointer_bits + r.codebook_bits + r.bias_bits;
  r.bits_pq = r.entries * (r.weight_bits + r.index_bits) + overhead;
  r.bits_pqh = code_bits_h + index_bits_h + overhead;
  r.ratio_pq = r.bits_pq ? static_cast<double>(r.dense_bits) / static_cast<double>(r.bits_pq) : 0.0;
  r.ratio_pqh = r.bits_pqh ? static_cast<double>(r.dense_bits) / static_cast<double>(r.bits_pqh) : 0.0;
  return r;
}

CompressionReport summarize(std::vector<LayerReport> layers) {
  CompressionReport report;
  LayerReport& t = report.total;
  t.name = "total";
  double code_bits_h = 0.0, index_bits_h = 0.0;
  for (const LayerReport& l : layers) {
    t.weights += l.weights;
    t.stored += l.stored;
    t.filler_entries += l.filler_entries;
    t.entries += l.entries;
    t.bias_values += l.bias_values;
    t.codebook_entries += l.codebook_entries;
    t.weight_bits = std::max(t.weight_bits, l.weight_bits);
    t.index_bits = std::max(t.index_bits, l.index_bits);
    code_bits_h += l.weight_bits_huffman * static_cast<double>(l.entries);
    index_bits_h += l.index_bits_huffman * static_cast<double>(l.entries);
    t.pointer_bits += l.pointer_bits;
    t.codebook_bits += l.codebook_bits;
    t.bias_bits += l.bias_bits;
    t.dense_bits += l.dense_bits;
    t.bits_pq += l.bits_pq;
    t.bits_pqh += l.bits_pqh;
  }
  t.density = t.weights ? static_cast<double>(t.stored) / static_cast<double>(t.weights) : 0.0;
  if (t.entries > 0) {
    t.weight_bits_huffman = code_bits_h / static_cast<double>(t.entries);
    t.index_bits_huffman = index_bits_h / static_cast<double>(t.entries);
  }
  t.ratio_pq = t.bits_pq ? static_cast<double>(t.dense_bits) / static_cast<double>(t.bits_pq) : 0.0;
  t.ratio_pqh = t.bits_pqh ? static_cast<double>(t.dense_bits) / static_cast<double>(t.bits_pqh) : 0.0;
  report.layers = std::move(layers);
  return report;
}

}  // namespace eie

// The paper's N-PE interleaved CSC. Rows go to PEs round-robin (row i -> PE i mod N, local row i / N), which
// spreads every column's entries evenly over the PEs without looking at the data. Each PE's slice of a column
// is a run of (v, z) entries: z counts the PE's own zero rows before the entry; when it would exceed the
// index's range a padding entry (v = 0, z = max) stands in for max zeros plus its own slot.
#include <algorithm>
#include <string>

#include "eie/core.h"

namespace eie {

EieEncoding encode_eie(const CompressedLayer& layer, int num_pes, int index_bits) {
  if (num_pes < 1) throw Error("encode_eie: num_pes must be at least 1, got " + std::to_string(num_pes));
  if (index_bits < 2 || index_bits > 8) {
    throw Error("encode_eie: index_bits must be in 2..8, got " + std::to_string(index_bits));
  }
  layer.validate();
  if (!layer.codebook.zero_reserved()) {
    throw Error("encode_eie: layer '" + layer.name +
                "': codebook entry 0 must be reserved for the value 0 (padding entries use it)");
  }

  EieEncoding enc;
  enc.name = layer.name;
  enc.rows = layer.rows;
  enc.cols = layer.cols;
  enc.num_pes = num_pes;
  enc.index_bits = index_bits;
  enc.codebook = layer.codebook;
  enc.bias = layer.bias;
  enc.provenance = layer.provenance;
  enc.pes.resize(static_cast<std::size_t>(num_pes));
  for (int k = 0; k < num_pes; ++k) {
    PeSlice& pe = enc.pes[static_cast<std::size_t>(k)];
    pe.num_rows = layer.rows > k ? (layer.rows - k + num_pes - 1) / num_pes : 0;
    pe.col_ptr.assign(static_cast<std::size_t>(layer.cols) + 1, 0);
    pe.entries.reserve(static_cast<std::size_t>(layer.nnz() / num_pes + 16));
  }

  const std::int64_t max_gap = enc.max_gap();
  const auto padding = EieEntry{0, static_cast<std::uint8_t>(max_gap)};
  // next_local[k]: PE k's first local row not yet covered in the current column.
  std::vector<std::int64_t> next_local(static_cast<std::size_t>(num_pes), 0);
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    std::fill(next_local.begin(), next_local.end(), 0);
    for (std::uint32_t e = layer.col_ptr[static_cast<std::size_t>(j)];
         e < layer.col_ptr[static_cast<std::size_t>(j) + 1]; ++e) {
      const std::int64_t row = layer.row_idx[e];
      const auto k = static_cast<std::size_t>(row % num_pes);
      const std::int64_t local = row / num_pes;
      PeSlice& pe = enc.pes[k];
      std::int64_t gap = local - next_local[k];
      while (gap > max_gap) {
        pe.entries.push_back(padding);
        ++pe.padding_entries;
        gap -= max_gap + 1;
      }
      pe.entries.push_back(EieEntry{layer.codes[e], static_cast<std::uint8_t>(gap)});
      next_local[k] = local + 1;
    }
    for (PeSlice& pe : enc.pes) {
      pe.col_ptr[static_cast<std::size_t>(j) + 1] = static_cast<std::uint32_t>(pe.entries.size());
    }
  }
  return enc;
}

CompressedLayer decode_eie(const EieEncoding& enc) {
  if (enc.num_pes < 1 || enc.pes.size() != static_cast<std::size_t>(enc.num_pes)) {
    throw Error("decode_eie: encoding has " + std::to_string(enc.pes.size()) + " PE slices for num_pes = " +
                std::to_string(enc.num_pes));
  }
  CompressedLayer layer;
  layer.name = enc.name;
  layer.rows = enc.rows;
  layer.cols = enc.cols;
  layer.codebook = enc.codebook;
  layer.bias = enc.bias;
  layer.provenance = enc.provenance;
  layer.col_ptr.assign(static_cast<std::size_t>(enc.cols) + 1, 0);

  std::vector<std::pair<std::uint32_t, std::uint8_t>> column;  // (row, code) of one column, all PEs
  for (std::int64_t j = 0; j < enc.cols; ++j) {
    column.clear();
    for (int k = 0; k < enc.num_pes; ++k) {
      const PeSlice& pe = enc.pes[static_cast<std::size_t>(k)];
      if (pe.col_ptr.size() != static_cast<std::size_t>(enc.cols) + 1) {
        throw Error("decode_eie: PE " + std::to_string(k) + " has " + std::to_string(pe.col_ptr.size()) +
                    " column pointers, expected " + std::to_string(enc.cols + 1));
      }
      const std::uint32_t begin = pe.col_ptr[static_cast<std::size_t>(j)];
      const std::uint32_t end = pe.col_ptr[static_cast<std::size_t>(j) + 1];
      if (end < begin || end > pe.entries.size()) {
        throw Error("decode_eie: PE " + std::to_string(k) + " column " + std::to_string(j) +
                    " pointers are out of range");
      }
      std::int64_t local = 0;
      for (std::uint32_t e = begin; e < end; ++e) {
        const EieEntry entry = pe.entries[e];
        local += entry.z;
        if (entry.v != 0) {
          if (local >= pe.num_rows) {
            throw Error("decode_eie: PE " + std::to_string(k) + " column " + std::to_string(j) +
                        " addresses local row " + std::to_string(local) + " of " + std::to_string(pe.num_rows));
          }
          column.emplace_back(static_cast<std::uint32_t>(enc.global_row(k, local)), entry.v);
        }
        ++local;
      }
    }
    std::sort(column.begin(), column.end());
    for (const auto& [row, code] : column) {
      layer.row_idx.push_back(row);
      layer.codes.push_back(code);
    }
    layer.col_ptr[static_cast<std::size_t>(j) + 1] = static_cast<std::uint32_t>(layer.row_idx.size());
  }
  return layer;
}

double EncodingStats::padding_fraction() const {
  const std::int64_t total = real_entries + padding_entries;
  return total == 0 ? 0.0 : static_cast<double>(padding_entries) / static_cast<double>(total);
}

EncodingStats encoding_stats(const EieEncoding& enc) {
  EncodingStats stats;
  std::int64_t max_entries = 0;
  for (const PeSlice& pe : enc.pes) max_entries = std::max<std::int64_t>(max_entries, pe.entries.size());
  stats.pointer_bits = max_entries <= 0xFFFF ? 16 : 32;
  const std::int64_t entry_bits = enc.codebook.bits() + enc.index_bits;
  for (const PeSlice& pe : enc.pes) {
    PeStats s;
    s.padding_entries = pe.padding_entries;
    s.real_entries = static_cast<std::int64_t>(pe.entries.size()) - pe.padding_entries;
    s.pointers = static_cast<std::int64_t>(pe.col_ptr.size());
    s.bytes = (static_cast<std::int64_t>(pe.entries.size()) * entry_bits + 7) / 8 +
              (s.pointers * stats.pointer_bits + 7) / 8;
    stats.real_entries += s.real_entries;
    stats.padding_entries += s.padding_entries;
    stats.bytes += s.bytes;
    stats.pes.push_back(s);
  }
  const double mean = static_cast<double>(stats.real_entries + stats.padding_entries) / enc.num_pes;
  stats.imbalance = mean > 0 ? static_cast<double>(max_entries) / mean : 1.0;
  stats.dense_fp32_bytes = enc.rows * enc.cols * 4;
  return stats;
}

}  // namespace eie

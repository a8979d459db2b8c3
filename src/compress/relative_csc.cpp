// Deep Compression's sparse storage: CSC with relative row indices and filler zeros. It is the EIE encoding
// with one PE, kept separate because it is a storage form (its streams are Huffman-coded in files) while the
// EIE encoding is the accelerator's memory image; the decoder is strict (a filler zero must bridge a full gap
// and be followed by an entry of its column) so every stored stream has exactly one meaning.
#include <string>

#include "eie/compress.h"

namespace eie {

RelativeCsc encode_relative_csc(const CompressedLayer& layer, int index_bits) {
  const std::string where = "layer '" + layer.name + "'";
  if (index_bits < 1 || index_bits > 8) {
    throw Error(where + ": index bits must be in 1..8, got " + std::to_string(index_bits));
  }
  layer.validate();
  RelativeCsc csc;
  csc.name = layer.name;
  csc.rows = layer.rows;
  csc.cols = layer.cols;
  csc.index_bits = index_bits;
  csc.codebook = layer.codebook;
  csc.bias = layer.bias;
  csc.provenance = layer.provenance;
  csc.col_ptr.assign(static_cast<std::size_t>(layer.cols) + 1, 0);
  csc.codes.reserve(layer.codes.size());
  csc.index.reserve(layer.codes.size());
  const std::int64_t max_gap = csc.max_gap();
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    std::int64_t next_row = 0;  // the first row not yet covered in this column
    for (std::uint32_t e = layer.col_ptr[static_cast<std::size_t>(j)]; e < layer.col_ptr[static_cast<std::size_t>(j) + 1];
         ++e) {
      std::int64_t gap = static_cast<std::int64_t>(layer.row_idx[e]) - next_row;
      while (gap > max_gap) {
        if (!layer.codebook.zero_reserved()) {
          throw Error(where + ": column " + std::to_string(j) + " needs a filler zero (a gap of " +
                      std::to_string(gap) + " rows > " + std::to_string(max_gap) +
                      ") but codebook entry 0 is not reserved for zero");
        }
        csc.codes.push_back(0);
        csc.index.push_back(static_cast<std::uint8_t>(max_gap));
        ++csc.filler_entries;
        gap -= max_gap + 1;
      }
      csc.codes.push_back(layer.codes[e]);
      csc.index.push_back(static_cast<std::uint8_t>(gap));
      next_row = static_cast<std::int64_t>(layer.row_idx[e]) + 1;
    }
    csc.col_ptr[static_cast<std::size_t>(j) + 1] = static_cast<std::uint32_t>(csc.codes.size());
  }
  return csc;
}

CompressedLayer decode_relative_csc(const RelativeCsc& csc) {
  const std::string where = "layer '" + csc.name + "'";
  if (csc.index_bits < 1 || csc.index_bits > 8) {
    throw Error(where + ": index bits must be in 1..8, got " + std::to_string(csc.index_bits));
  }
  if (csc.rows < 1 || csc.cols < 1) {
    throw Error(where + ": shape must be at least 1 x 1, got " + std::to_string(csc.rows) + " x " +
                std::to_string(csc.cols));
  }
  if (csc.col_ptr.size() != static_cast<std::size_t>(csc.cols) + 1) {
    throw Error(where + ": " + std::to_string(csc.col_ptr.size()) + " column pointers, expected " +
                std::to_string(csc.cols + 1));
  }
  if (csc.codes.size() != csc.index.size()) {
    throw Error(where + ": " + std::to_string(csc.codes.size()) + " codes but " + std::to_string(csc.index.size()) +
                " relative indices");
  }
  if (csc.col_ptr.front() != 0 || csc.col_ptr.back() != csc.codes.size()) {
    throw Error(where + ": column pointers must run from 0 to " + std::to_string(csc.codes.size()));
  }
  const bool fillers = csc.codebook.zero_reserved();
  const std::int64_t max_gap = csc.max_gap();
  CompressedLayer layer;
  layer.name = csc.name;
  layer.rows = csc.rows;
  layer.cols = csc.cols;
  layer.codebook = csc.codebook;
  layer.bias = csc.bias;
  layer.provenance = csc.provenance;
  layer.col_ptr.assign(static_cast<std::size_t>(csc.cols) + 1, 0);
  layer.row_idx.reserve(csc.codes.size());
  layer.codes.reserve(csc.codes.size());
  for (std::int64_t j = 0; j < csc.cols; ++j) {
    const std::uint32_t begin = csc.col_ptr[static_cast<std::size_t>(j)];
    const std::uint32_t end = csc.col_ptr[static_cast<std::size_t>(j) + 1];
    if (end < begin) throw Error(where + ": column pointers decrease at column " + std::to_string(j));
    if (end > csc.codes.size()) {  // checked here, before the entries are read: a later decrease is too late
      throw Error(where + ": column pointer " + std::to_string(end) + " at column " + std::to_string(j + 1) +
                  " is past the " + std::to_string(csc.codes.size()) + " entries");
    }
    std::int64_t row = 0;
    for (std::uint32_t e = begin; e < end; ++e) {
      const auto at = [&] { return where + ": column " + std::to_string(j) + " entry " + std::to_string(e - begin); };
      if (csc.index[e] > max_gap) {
        throw Error(at() + ": relative index " + std::to_string(csc.index[e]) + " exceeds " + std::to_string(max_gap));
      }
      if (csc.codes[e] >= csc.codebook.size()) {
        throw Error(at() + ": code " + std::to_string(csc.codes[e]) + " is outside the " +
                    std::to_string(csc.codebook.size()) + "-entry codebook");
      }
      row += csc.index[e];
      if (row >= csc.rows) throw Error(at() + ": row " + std::to_string(row) + " is past the last row");
      if (fillers && csc.codes[e] == 0) {
        if (csc.index[e] != max_gap || e + 1 == end) {
          throw Error(at() + ": a filler zero must bridge a gap of " + std::to_string(max_gap) +
                      " rows and precede an entry of its column");
        }
      } else {
        layer.row_idx.push_back(static_cast<std::uint32_t>(row));
        layer.codes.push_back(csc.codes[e]);
      }
      ++row;
    }
    layer.col_ptr[static_cast<std::size_t>(j) + 1] = static_cast<std::uint32_t>(layer.row_idx.size());
  }
  return layer;
}

}  // namespace eie

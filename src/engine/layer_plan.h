// A layer as the kernels want it. Planning cuts the rows into one block per thread so that every block holds
// about the same number of stored entries (EIE's lesson: imbalance, not arithmetic, bounds the parallel
// speedup), and stores each block row-major in column panels of at most 65,536 columns so that a column fits
// in 16 bits: per entry 2 bytes of column and 1 byte of code. The codebook becomes a 64-byte-aligned table
// padded with zeros to 16, 32 or 256 entries, the sizes the kernels decode with one permute, two, or a gather.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eie/engine.h"
#include "engine/kernels/kernel.h"

namespace eie {

namespace engine {

struct AlignedFree {
  void operator()(float* p) const;
};
using AlignedFloats = std::unique_ptr<float[], AlignedFree>;
AlignedFloats aligned_floats(std::size_t count);

struct Panel {
  std::int64_t col_begin = 0;
  std::vector<std::uint32_t> row_ptr;  // block rows + 1
  std::vector<std::uint16_t> cols;     // relative to col_begin
  std::vector<std::uint8_t> codes;
};

struct RowBlock {
  std::int64_t row_begin = 0;
  std::int64_t row_end = 0;
  std::int64_t entries = 0;
  std::vector<Panel> panels;
};

}  // namespace engine

class LayerPlan {
 public:
  static constexpr std::int64_t panel_cols = 65536;

  LayerPlan(const CompressedLayer& layer, int blocks, KernelIsa isa);

  const std::string& name() const { return name_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  std::int64_t entries() const { return entries_; }
  int table_size() const { return table_size_; }
  const float* table() const { return table_.get(); }
  const std::vector<float>& bias() const { return bias_; }
  const std::vector<engine::RowBlock>& blocks() const { return blocks_; }
  engine::SpmvKernel kernel() const { return kernel_; }
  LayerPlanInfo info() const;

 private:
  std::string name_;
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
  std::int64_t entries_ = 0;
  int table_size_ = 16;
  engine::AlignedFloats table_;
  std::vector<float> bias_;
  std::vector<engine::RowBlock> blocks_;
  KernelIsa isa_ = KernelIsa::scalar;
  engine::SpmvKernel kernel_ = nullptr;
};

}  // namespace eie

// The layout table: one row per stored layout (layer_plan.h describes each), giving what planning builds for a row
// block, the bytes it keeps, how a run hands a block to its kernel, the scratch its kernel needs, and the cost of
// one batch-1 pass. The kernels per ISA are the list in kernels/dispatch.cpp; LayerPlan picks a row and a kernel,
// the engine runs that row's `run` with that kernel, and plan_info names the same pair, so a plan names the
// function actually dispatched. A new layout is one row here, its kernels in the list and the planner's rule for
// choosing it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/kernels/kernel.h"
#include "engine/layer_plan.h"

namespace eie::engine {

// Row-major copy of the layer: per row, its (column, code) entries in increasing column order.
struct Csr {
  std::vector<std::uint32_t> row_ptr;
  std::vector<std::uint32_t> cols;
  std::vector<std::uint8_t> codes;
};
Csr to_csr(const CompressedLayer& layer);

// What building one row block reads besides the block's rows.
struct LayoutInput {
  const Csr& csr;
  const CompressedLayer& layer;
  int code_planes = 0;                     // sell layouts: 0, 1 or 2 (codebooks of 16, 32 or 64 entries)
  bool store_masks = true;                 // sell16: else code 0 marks the padding
  int pad_code = 0;                        // sell16x2 and tcsrx2
  const std::int8_t* int8_table = nullptr;  // sell16i8 and sell16x4: the codebook in 8 bits
};

// One layer's run over one row block, as the engine hands it to a layout's `run`.
using TransposeFn = void (*)(const float*, std::int64_t, float*, std::int64_t, std::int64_t, std::int64_t);
struct LayoutTraits;
struct LayerTask {
  const LayerPlan* plan;
  const LayoutTraits* layout;  // the layout this run reads and the function it dispatches (LayerPlan::layout_for)
  const KernelEntry* kernel;
  const float* in;
  float* out;
  std::int64_t batch;
  Activation activation;
  std::int64_t in_stride = 0;  // the batch-major layouts: floats between batch elements
  std::int64_t out_stride = 0;
  // tcsr: each block also transposes its finished rows into this batch-major output (the caller's y), so the
  // last transpose runs on all threads, on rows still in cache.
  float* batch_major_out = nullptr;
  std::int64_t batch_major_stride = 0;
  TransposeFn transpose = nullptr;
  // The layouts with reduced inputs (LayoutTraits::input_bytes): that many bytes per block.
  std::uint8_t* reduced_inputs = nullptr;
  std::int64_t reduced_input_bytes = 0;
  std::uint8_t* reduced_inputs_of(std::size_t block) const {
    return reduced_inputs + static_cast<std::int64_t>(block) * reduced_input_bytes;
  }
};

// Which size of table a kernel's name gives: none (csc), the plan's table (csr16 and tcsr: 16, 32 or 256
// floats) or the codebook the code planes decode (the sell layouts and tcsrx2: 16, 32 or 64 entries).
enum class TableInName { none, table, code_planes };

struct LayoutTraits {
  LayoutId id;
  const char* stem;      // of its kernels' names: stem + "_cb16__" + the kernel's file ("spmv_sell16_cb16__avx2")
  TableInName table_in_name;
  // Batches of inputs on 64-byte aligned rows (the engine copies an unaligned batch): the fp32 sell16 kernels load
  // aligned panels.
  bool aligned_batches;
  void (*build)(const LayoutInput& input, RowBlock& block, std::int64_t cols);
  std::int64_t (*bytes)(const RowBlock& block);
  void (*run)(const LayerTask& task, const RowBlock& block, std::size_t block_index);
  // Per thread, the bytes of reduced (bf16 or 8-bit) inputs its kernel keeps for a layer of `cols` inputs at
  // max_batch (a whole number of cache lines); nullptr where it keeps none.
  std::int64_t (*input_bytes)(std::int64_t cols, std::int64_t max_batch);
  // One batch-1 pass over a block costs about cycles_per_tier per sell tier plus cycles_per_entry per stored entry
  // (cost_model.h): what csc's break-even compares with.
  double cycles_per_tier;
  double cycles_per_entry;
};

const LayoutTraits& layout_traits(LayoutId id);

}  // namespace eie::engine

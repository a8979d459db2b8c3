// A layer as the kernels want it: which layouts (layouts.h, one row of the layout table each) and which kernels
// (kernel.h's list) run it, by the rules of the constructor and the costs of cost_model.h. Planning cuts the rows
// into one block per thread so that every block holds about the same number of stored entries (EIE's lesson:
// imbalance, not arithmetic, bounds the parallel speedup), and stores each block in one layout for batch 1 and,
// for engines that take batches, tcsr.
// The layouts' names: csr16 = CSR (compressed sparse row) with 16-bit column indices; sell16 = sliced ELLPACK
// with slices of 16 rows (SELL-16), x2 and x4 = two or four entries of a row per lane; tcsr = tiled CSR (CSR in
// column panels, for batches); csc = compressed sparse column. A "tier" is one step of a sell16 slice: one
// entry (or two, or four) per lane, with its own window of columns; the code calls the tier pointers layer_ptr.
// The layouts:
// - csr16 (every ISA; where sell16 does not apply): row-major in column panels of at most 65,536 columns so that a column fits
//   in 16 bits: per entry 2 bytes of column and 1 byte of code.
// - sell16 (AVX-512 and NEON, every batch size, codebooks of at most 64 entries; AVX2 with at most 16;
//   where EngineOptions::layout forces it, the portable kernel on the other ISAs and codebooks):
//   SELL-16 over sliding windows of 16 columns. Sixteen rows (a slice) are the sixteen lanes of a vector (two on
//   AVX2); their entries are dealt into "tiers" of one entry per lane, each tier with its own window of 16 columns
//   that starts at the lowest column the slice has left (one byte per lane: column within the window << 4 | code),
//   a 16-bit mask of the lanes that hold an entry, the window's first column, and for 32- or 64-entry codebooks one
//   or two 16-bit planes with the code bits above the nibble. The kernel loads the window's 16 activations and
//   picks each lane's
//   activation and weight with two vpermps: no gather, no scatter, no horizontal sum (docs/engine.md has the
//   measurements that chose it).
// - sell16x2 (AVX-512 BF16, EngineOptions::precision bf16, codebooks of at most 64 entries with a zero or unused
//   code): sell16 with 32 slots per tier, lanes 2l and 2l + 1 holding two entries of the slice's row l within
//   the tier's window, padded with that code, no masks, and 32-bit code planes for 32- and 64-entry codebooks.
//   vdpbf16ps adds both lanes' products into row l's fp32 lane, so the two permutes of a tier serve twice the
//   slots.
// - sell16x4 (AVX-512 VNNI and VBMI, precision int8, codebooks of at most 64 entries, inputs of at most 65,536
//   columns): 64 byte slots per tier, bytes 4l..4l+3 holding four entries of the slice's row l, each tier with
//   a window of 63 columns that starts at the lowest column the slice has left. Per slot one byte of column
//   within the window (63: padding) and one nibble of code, the codes of two consecutive tiers sharing a byte
//   (low nibble: the even tier); a byte of code for codebooks of 17-64 entries. The kernel loads the window's 64
//   quantized activations, zeroes the last (which the padding picks) and picks each slot's activation and weight
//   with two vpermb; one vpdpbusd adds a row's four products into its 32-bit lane. Every batch size runs on it
//   (no tcsr). Compact codes (sell16x4c; codebooks of at most 16 entries, EngineOptions::compact_codes or where
//   the nibbles would take over 1.5x the layer's EIE encoding or over 6 MB): bits 0-1 of the code in the slot's
//   bits 6-7, bits 2-3 in a byte per slot shared by four tiers (a slice's last group may hold fewer), 1.25 bytes
//   per slot.
// - sell16 in int8 (AVX2, precision int8, codebooks of at most 16 entries, inputs of at most 65,536 columns): the
//   sell16 layout as the fp32 AVX2 kernel reads it, with sell16x4's 8-bit codebook and row weight sums; vpshufb
//   picks each slot's weight and quantized activation, vpmaddubsw and vpmaddwd multiply and widen exactly.
// - tcsr (every ISA, batches; planned when EngineOptions::max_batch reaches tcsr_min_batch): row-major in
//   panels of 256 columns, one 16-bit word per entry (code << 8 | column within the panel), a 32-bit row
//   pointer per row and panel. The kernel keeps a panel's activations for a chunk of the batch in L1/L2 and
//   multiplies each entry's broadcast weight into 16 batch elements per FMA.
// - tcsrx2 (AVX-512 BF16, precision bf16, where the layer takes sell16x2): tcsr with each row's entries in pairs,
//   one 32-bit word per pair (both columns and the pair of codes), an odd last entry paired with the padding code;
//   one vdpbf16ps adds both entries' products for 16 batch elements.
// - csc (every ISA, batch 1; planned with EngineOptions::skip_zero_activations): column-major, one 16-bit word
//   per entry (row within the block << 4 | code) where the block has at most 4096 rows and the codebook at most
//   16 entries, else 32 bits (row << 8 | code); a 32-bit pointer per column. Its kernel visits only the
//   non-zero activations, and a run takes it when its input is sparse enough (uses_csc()).
// The codebook becomes a 64-byte-aligned table padded with zeros to 16, 32 or 256 entries, the sizes the kernels
// decode with one permute, two, or a gather.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
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

// Storage that starts on a cache line: the sell kernels load a tier's slots as whole vectors, and a 64-byte load
// split across two lines cost sell16x4 ~20% (a one-thread scratch loop at 9% weights: 1.34 -> 1.10 ns per tier).
template <class T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n);
  void deallocate(T* p, std::size_t) { std::free(p); }
  friend bool operator==(const CacheLineAllocator&, const CacheLineAllocator&) { return true; }
};
template <class T>
T* CacheLineAllocator<T>::allocate(std::size_t n) {
  void* p = std::aligned_alloc(64, n == 0 ? 64 : (n * sizeof(T) + 63) / 64 * 64);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<T*>(p);
}
using CacheLineBytes = std::vector<std::uint8_t, CacheLineAllocator<std::uint8_t>>;

struct Panel {
  std::int64_t col_begin = 0;
  std::vector<std::uint32_t> row_ptr;  // block rows + 1
  std::vector<std::uint16_t> cols;     // relative to col_begin
  std::vector<std::uint8_t> codes;
};

// One row block in the sell16 layout. Slice s's tiers are [layer_ptr[2s], layer_ptr[2s+2]); those from
// layer_ptr[2s+1] on have windows that end past the input (inputs of fewer than 16 columns; the last, partial
// panel where windows are whole panels), whose activations are loaded masked so that no kernel reads past it.
struct SellBlock {
  int row_entries = 1;                   // entries of a row per tier: 1 (sell16), 2 (sell16x2) or 4 (sell16x4)
  std::vector<std::uint32_t> layer_ptr;  // 2 * slices + 1
  // 16 * row_entries per tier: column in the window << 4 | code (the padding code where no entry: 0 for
  // sell16; lane 2l + e is entry e of row l for sell16x2).
  CacheLineBytes slots;
  // Per tier: the lanes that hold an entry. Empty for a 16-entry codebook with a reserved zero, where a slot
  // holds an entry exactly when its code (low nibble) is not 0.
  std::vector<std::uint16_t> masks;
  // Per tier: the window's first column >> window_shift. Shift 0 where every start fits 16 bits (inputs of at
  // most 65,551 columns, whose windows start at most 16 columns before the end); else 4, and the windows are
  // the aligned panels of 16 columns.
  std::vector<std::uint16_t> windows;
  int window_shift = 0;
  // Codebooks of 17-64 entries: per tier, code_planes 16-bit words holding bit 4 (then bit 5) of each lane's
  // code; the slot keeps the low nibble.
  std::vector<std::uint16_t> code_planes;
  // sell16x4 (row_entries 4): slots hold the column within the window alone (kSell16x4Pad: padding), and
  // slot_codes the codes: for codebooks of at most 16 entries 32 bytes per tier, the codes of tiers 2m (low
  // nibble) and 2m + 1 (high) of each slice, which has an even number of tiers (a last one of padding alone
  // where needed); for 17-64 entries one byte per slot. Compact codes (sell16x4c): the slot's bits 6-7 hold bits
  // 0-1 of its code, and slot_codes per group of four tiers of a slice (the last may hold fewer) 64 bytes with
  // bits 2-3 of tier m's code at bits 2m..2m+1. row_weight_sums: per row of the block, the sum of its entries'
  // 8-bit weights (the kernel subtracts 128 times it for inputs offset by 128; sell16 in int8 stores it too).
  CacheLineBytes slot_codes;
  std::vector<std::int32_t> row_weight_sums;
  std::int64_t bytes() const;
};

// One row block in one panel of the tcsr layout.
struct TcsrPanel {
  std::int64_t col_begin = 0;
  std::vector<std::uint32_t> row_ptr;  // block rows + 1 (counting pairs for tcsrx2)
  std::vector<std::uint16_t> entries;  // code << 8 | (column - col_begin)
  // tcsrx2 (precision bf16), instead of entries: a row's entries two at a time (kernel.h, TcsrArgs::pairs).
  std::vector<std::uint32_t> pairs;
};

// One row block in the csc layout: entries16 or entries32 holds the entries, column after column.
struct CscBlock {
  std::vector<std::uint32_t> col_ptr;  // cols + 1; empty when not planned
  std::vector<std::uint16_t> entries16;
  std::vector<std::uint32_t> entries32;
  std::int64_t bytes() const;
};

struct LayoutTraits;

// A layout a plan holds and the kernel that runs it (layouts.h, kernel.h's list).
struct PlannedLayout {
  const LayoutTraits* traits = nullptr;
  const KernelEntry* kernel = nullptr;
  explicit operator bool() const { return traits != nullptr; }
};

struct RowBlock {
  std::int64_t row_begin = 0;
  std::int64_t row_end = 0;
  std::int64_t entries = 0;
  std::vector<Panel> panels;  // csr16; empty when only sell16 is planned
  SellBlock sell;             // sell16; empty layer_ptr when not planned
  std::vector<TcsrPanel> tcsr;  // empty when not planned
  CscBlock csc;
};

}  // namespace engine

class LayerPlan {
 public:
  static constexpr std::int64_t panel_cols = 65536;
  static constexpr std::int64_t tcsr_panel_cols = 256;

  // For batch 1: sell16 where the ISA and codebook allow (and its padding pays), csr16 otherwise. For batches
  // from tcsr_min_batch(): tcsr as well, when max_batch reaches it.
  // tcsr_min_batch: EngineOptions::tcsr_min_batch (0: automatic). csc: EngineOptions::skip_zero_activations.
  // compact_codes: EngineOptions::compact_codes. layout: EngineOptions::layout (a forced layout plans that one,
  // or throws Error naming the layer and what it lacks; the Engine has checked its precision and instructions).
  LayerPlan(const CompressedLayer& layer, int blocks, KernelIsa isa, std::int64_t max_batch,
            std::int64_t tcsr_min_batch, bool csc, Precision precision = Precision::fp32,
            bool compact_codes = false, Layout layout = Layout::automatic);

  const std::string& name() const { return name_; }
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  std::int64_t entries() const { return entries_; }
  int table_size() const { return table_size_; }
  const float* table() const { return table_.get(); }
  const std::vector<float>& bias() const { return bias_; }
  const std::vector<engine::RowBlock>& blocks() const { return blocks_; }
  // The layouts planned (layouts.h) with the kernel each runs: for batch 1 (empty where a forced tcsr or csc runs
  // it), for batches from tcsr_min_batch() (tcsr or tcsrx2; empty when max_batch is below it) and for sparse
  // batch-1 inputs (csc; empty when not planned).
  const engine::PlannedLayout& batch_one() const { return batch_one_; }
  const engine::PlannedLayout& batches() const { return batches_; }
  const engine::PlannedLayout& sparse() const { return sparse_; }
  // The one a run of `batch` takes (csc: uses_csc said so).
  const engine::PlannedLayout& layout_for(std::int64_t batch, bool csc) const {
    return uses_tcsr(batch) ? batches_ : csc ? sparse_ : batch_one_;
  }
  // The sell layouts' parameters.
  int sell_code_planes() const { return code_planes_; }  // 0, 1 or 2: codebooks of 16, 32 or 64 entries
  bool sell_stores_masks() const { return sell_stores_masks_; }  // else slot code 0 marks the padding
  int sell_pad_code() const { return sell_pad_code_; }  // sell16x2 and tcsrx2: the code of the padding
  // sell16x4 and sell16 in int8: the codebook in 8 bits (weight_scale() per unit), 64 bytes (a 16-entry one four
  // times over, so that vpermb decodes a nibble whatever the two bits above it hold).
  const std::int8_t* int8_table() const { return int8_table_; }
  float weight_scale() const { return weight_scale_; }
  // The smallest batch that runs on batches(): the batch-1 layout is faster below it (sell16's permutes serve a
  // whole tier of 16 rows), csr16 is not (2: csr16 runs batch 1 only).
  std::int64_t tcsr_min_batch() const { return tcsr_min_batch_; }
  bool uses_tcsr(std::int64_t batch) const { return batches_ && batch >= tcsr_min_batch_; }
  // tcsrx2's table of code pairs in bf16.
  const std::uint32_t* pair_table() const { return pair_table_.data(); }
  int pair_table_entries() const { return 16 << code_planes_; }
  // csc: a batch-1 input with at most this share of non-zero activations runs on it (0 when not planned).
  bool has_csc() const { return csc_max_density_ > 0.0; }
  // Whether a run of `batch` on input x (cols() floats per element) takes csc; counts x's non-zeros only when
  // csc could run.
  bool uses_csc(std::int64_t batch, const float* x) const;
  LayerPlanInfo info() const;

 private:
  // The name of a planned layout's kernel, e.g. "spmv_sell16_cb16__avx2".
  std::string kernel_name(const engine::PlannedLayout& planned) const;

  std::string name_;
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
  std::int64_t entries_ = 0;
  int table_size_ = 16;
  engine::AlignedFloats table_;
  std::vector<float> bias_;
  std::vector<engine::RowBlock> blocks_;
  engine::PlannedLayout batch_one_, batches_, sparse_;
  int code_planes_ = 0;
  bool sell_stores_masks_ = true;
  int sell_pad_code_ = 0;
  std::vector<std::uint32_t> pair_table_;  // tcsrx2 only
  std::int8_t int8_table_[64] = {};
  float weight_scale_ = 1.0f;
  double csc_max_density_ = 0.0;
  std::int64_t tcsr_min_batch_ = 2;
};

}  // namespace eie

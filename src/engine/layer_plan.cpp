#include "engine/layer_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <tuple>
#include <utility>

#include "engine/cost_model.h"
#include "engine/layouts.h"

namespace eie {
namespace engine {

void AlignedFree::operator()(float* p) const { std::free(p); }

AlignedFloats aligned_floats(std::size_t count) {
  const std::size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
  if (p == nullptr) throw std::bad_alloc();
  return AlignedFloats(static_cast<float*>(p));
}

std::int64_t SellBlock::bytes() const {
  return static_cast<std::int64_t>(layer_ptr.size() * 4 + slots.size() + masks.size() * 2 + windows.size() * 2 +
                                   code_planes.size() * 2 + slot_codes.size() + row_weight_sums.size() * 4);
}

std::int64_t CscBlock::bytes() const {
  return static_cast<std::int64_t>(col_ptr.size() * 4 + entries16.size() * 2 + entries32.size() * 4);
}

}  // namespace engine

namespace {

// Row boundaries of `blocks` contiguous blocks holding about nnz / blocks entries each.
std::vector<std::int64_t> balanced_row_splits(const engine::Csr& csr, std::int64_t rows, int blocks) {
  std::vector<std::int64_t> splits{0};
  const double nnz = static_cast<double>(csr.row_ptr.back());
  std::int64_t r = 0;
  for (int b = 1; b < blocks; ++b) {
    const double target = nnz * b / blocks;
    // Leave at least one row for each remaining block when there are enough rows.
    const std::int64_t limit = std::max<std::int64_t>(r, rows - (blocks - b));
    while (r < limit && static_cast<double>(csr.row_ptr[static_cast<std::size_t>(r) + 1]) <= target) ++r;
    splits.push_back(r);
  }
  splits.push_back(rows);
  return splits;
}

// fp32 to bf16, rounded to nearest even as vcvtneps2bf16 does (NaN stays NaN).
std::uint32_t bf16_bits(float value) {
  std::uint32_t u;
  std::memcpy(&u, &value, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;  // quiet NaN
  return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

// The layer's size in the paper's 64-PE EIE encoding (4-bit relative indices, filler zeros, 16- or 32-bit
// pointers).
std::int64_t eie_encoding_bytes(const CompressedLayer& layer) { return encoding_stats(encode_eie(layer, 64)).bytes; }

// The padding code of sell16x2: a code whose table value is 0 and that no entry holds (the reserved zero, or the
// first code past a codebook smaller than its table of 16, 32 or 64), or -1 when the codebook leaves none.
int padding_code_for(const Codebook& codebook, int code_planes) {
  if (codebook.zero_reserved()) return 0;
  return codebook.size() < (std::size_t{16} << code_planes) ? static_cast<int>(codebook.size()) : -1;
}

}  // namespace

LayerPlan::LayerPlan(const CompressedLayer& layer, int blocks, KernelIsa isa, std::int64_t max_batch,
                     std::int64_t tcsr_min_batch, bool csc, Precision precision, bool compact_codes,
                     Layout layout)
    : name_(layer.name), rows_(layer.rows), cols_(layer.cols), entries_(layer.nnz()), bias_(layer.bias) {
  using engine::LayoutId;
  const std::size_t codebook_size = layer.codebook.size();
  const bool forced = layout != Layout::automatic;
  const bool forced_sell = layout == Layout::sell16 || layout == Layout::sell16x2 || layout == Layout::sell16x4;
  const auto refuse = [&](const std::string& what) {
    throw Error("engine: layer '" + name_ + "': layout " + layout_name(layout) + " needs " + what);
  };
  table_size_ = codebook_size <= 16 ? 16 : codebook_size <= 32 ? 32 : 256;  // sell16 reads the first 64 of 256
  table_ = engine::aligned_floats(static_cast<std::size_t>(table_size_));
  std::fill(table_.get(), table_.get() + table_size_, 0.0f);
  std::copy(layer.codebook.values().begin(), layer.codebook.values().end(), table_.get());

  const engine::Csr csr = engine::to_csr(layer);
  const std::vector<std::int64_t> splits = balanced_row_splits(csr, rows_, blocks);
  blocks_.resize(static_cast<std::size_t>(blocks));
  for (int b = 0; b < blocks; ++b) {
    engine::RowBlock& block = blocks_[static_cast<std::size_t>(b)];
    block.row_begin = splits[static_cast<std::size_t>(b)];
    block.row_end = splits[static_cast<std::size_t>(b) + 1];
    block.entries = csr.row_ptr[static_cast<std::size_t>(block.row_end)] -
                    csr.row_ptr[static_cast<std::size_t>(block.row_begin)];
  }
  // Planning one layout: its row and kernel, and every block built; returns the sell tiers built.
  engine::LayoutInput input{csr, layer};
  const auto plan = [&](LayoutId id, const engine::KernelEntry* kernel) {
    const engine::LayoutTraits& traits = engine::layout_traits(id);
    input.code_planes = code_planes_;
    input.store_masks = sell_stores_masks_;
    input.pad_code = sell_pad_code_;
    input.int8_table = int8_table_;
    double tiers = 0;
    for (engine::RowBlock& block : blocks_) {
      traits.build(input, block, cols_);
      tiers += static_cast<double>(block.sell.windows.size());
    }
    return std::pair{engine::PlannedLayout{&traits, kernel}, tiers};
  };
  const auto drop_sell = [&] {  // back to csr16's defaults
    code_planes_ = 0;
    sell_stores_masks_ = true;
    for (engine::RowBlock& block : blocks_) block.sell = {};
  };

  // A sell layout where the ISA has a kernel of its own for the codebook (a forced one runs the portable kernel
  // where it has none), and on the portable kernels for a reduced precision: sell16x2 for bf16, sell16 in int8.
  if (forced_sell) {
    if (codebook_size > 64) refuse("a codebook of at most 64 entries; it has " + std::to_string(codebook_size));
    const std::int64_t most_cols = layout == Layout::sell16x4 ? 65536 : 65536 * 16;
    if (cols_ > most_cols) refuse("at most " + std::to_string(most_cols) + " inputs; it has " + std::to_string(cols_));
  }
  const bool portable = isa == KernelIsa::scalar && precision != Precision::fp32;
  const LayoutId portable_layout = precision == Precision::int8 ? LayoutId::sell16i8 : LayoutId::sell16x2;
  const bool sell = forced ? forced_sell
                           : ((isa != KernelIsa::scalar && engine::own_kernel(LayoutId::sell16, isa, codebook_size)) ||
                              (portable && engine::own_kernel(portable_layout, isa, codebook_size))) &&
                                 (cols_ + 15) / 16 <= 65536;
  double layers = 0;  // of sell16 or sell16x2, over all blocks
  if (sell) code_planes_ = codebook_size <= 16 ? 0 : codebook_size <= 32 ? 1 : 2;
  // The codebook in 8 bits for the int8 kernels: one scale per layer, the largest magnitude at 127; 64 bytes, the
  // table (16 << code_planes_ entries) repeated.
  const auto quantize_codebook = [&] {
    float largest = 0.0f;
    for (float w : layer.codebook.values()) largest = std::max(largest, std::fabs(w));
    weight_scale_ = largest > 0.0f ? largest / 127.0f : 1.0f;
    for (int i = 0; i < 64; ++i) {
      const float w = table_[static_cast<std::size_t>(i % (16 << code_planes_))] / weight_scale_;
      int8_table_[i] = static_cast<std::int8_t>(std::clamp(std::lround(w), -127L, 127L));
    }
  };
  const engine::KernelEntry* quads =
      precision == Precision::int8 && cols_ <= 65536 ? engine::own_kernel(LayoutId::sell16x4, isa, codebook_size)
                                                     : nullptr;
  if (sell && quads != nullptr) {
    // code_planes_ chooses nibbles or bytes of code. Compact codes where asked, where the nibbles would take more
    // than kCompactFromBytes, or more than kMaxBytesOverEncoding times the layer's EIE encoding (which needs a
    // reserved zero for its filler entries).
    quantize_codebook();
    sell_stores_masks_ = false;
    const bool nibbles = code_planes_ == 0;
    LayoutId id = nibbles && compact_codes ? LayoutId::sell16x4c : LayoutId::sell16x4;
    auto [planned, tiers] = plan(id, quads);
    if (nibbles && !compact_codes) {
      auto bytes = static_cast<std::int64_t>(table_size_ + bias_.size()) * 4;  // as info().resident_bytes counts
      for (const engine::RowBlock& block : blocks_) bytes += block.sell.bytes();
      const auto over_encoding = [&] {
        return static_cast<double>(bytes) >
               engine::kMaxBytesOverEncoding * static_cast<double>(eie_encoding_bytes(layer));
      };
      if (bytes > engine::kCompactFromBytes || (layer.codebook.zero_reserved() && over_encoding())) {
        id = LayoutId::sell16x4c;
        std::tie(planned, tiers) = plan(id, engine::own_kernel(id, isa, codebook_size));
      }
    }
    if (forced || 64 * tiers <= engine::kMaxSell16x4SlotsPerEntry * static_cast<double>(entries_)) {
      batch_one_ = planned;
      tcsr_min_batch_ = std::numeric_limits<std::int64_t>::max();  // every batch on sell16x4
    } else {
      drop_sell();  // as sparse as that, the gather kernel, in fp32
    }
  } else if (sell) {
    // A reserved zero (code 0 = 0.0, never stored) makes a padding slot's byte 0 the only one with code 0: its
    // FMA adds 0 * x, exact for finite x, and its lane is told apart from the slot alone when x is not finite.
    // With code planes the low nibble 0 also belongs to codes 16, 32 and 48, so the masks stay.
    sell_stores_masks_ = !(code_planes_ == 0 && layer.codebook.zero_reserved());
    sell_pad_code_ = padding_code_for(layer.codebook, code_planes_);
    const bool pairs = precision == Precision::bf16 && sell_pad_code_ >= 0;
    if (layout == Layout::sell16x2 && !pairs) {
      refuse("a codebook with a zero or unused code for its padding; it has " + std::to_string(codebook_size) +
             " entries, none zero");
    }
    if (pairs) sell_stores_masks_ = false;
    // sell16 in 8-bit arithmetic (precision int8 on AVX2 and the portable kernels): the same layout, the same
    // 65,536 inputs as sell16x4.
    // (A forced sell16 may hold a 32- or 64-entry codebook, which the int8 kernel cannot decode: fp32 there.)
    const engine::KernelEntry* int8 =
        precision == Precision::int8 && cols_ <= 65536 ? engine::own_kernel(LayoutId::sell16i8, isa, codebook_size)
                                                       : nullptr;
    if (int8 != nullptr) quantize_codebook();
    const LayoutId id = pairs ? LayoutId::sell16x2 : int8 != nullptr ? LayoutId::sell16i8 : LayoutId::sell16;
    auto [planned, tiers] = plan(id, int8 != nullptr ? int8 : engine::kernel_or_portable(id, isa, codebook_size));
    layers = tiers;
    // A sell16x2 tier costs about what a sell16 tier does, so both are held to the same tiers per entry.
    const double max_slots = isa != KernelIsa::avx2 ? engine::kMaxSellSlotsPerEntry
                             : int8 != nullptr      ? engine::kMaxSellAvx2Int8SlotsPerEntry
                                                    : engine::kMaxSellAvx2SlotsPerEntry;
    if (!forced && 16 * layers > max_slots * static_cast<double>(entries_)) {
      drop_sell();
    } else {
      batch_one_ = planned;
    }
  }
  // A forced tcsr or csc runs every batch-1 input itself: no batch-1 layout besides it.
  if (!batch_one_ && layout != Layout::tcsr && layout != Layout::csc) {
    batch_one_ = plan(LayoutId::csr16, engine::kernel_or_portable(LayoutId::csr16, isa, codebook_size)).first;
  }
  // csr16 runs batch 1 only, so without a sell layout every batch runs on tcsr.
  const LayoutId one = batch_one_ ? batch_one_.traits->id : LayoutId::csr16;
  const bool sell_planned = one != LayoutId::csr16;
  if (one == LayoutId::sell16x4 || one == LayoutId::sell16x4c) {
    // tcsr_min_batch_ stays past every batch: sell16x4 runs them all, its tiers decoded once per chunk.
  } else if (forced_sell) {
    tcsr_min_batch_ = std::numeric_limits<std::int64_t>::max();  // the forced sell16 or sell16x2 runs every batch
  } else if (layout == Layout::tcsr) {
    tcsr_min_batch_ = 1;
  } else if (!sell_planned) {
    tcsr_min_batch_ = 2;
  } else if (tcsr_min_batch > 0) {
    tcsr_min_batch_ = std::max<std::int64_t>(2, tcsr_min_batch);
  } else if (one == LayoutId::sell16x2) {
    tcsr_min_batch_ = engine::kSell16x2BeatsTcsrx2Below;
  } else if (entries_ == 0) {
    tcsr_min_batch_ = engine::kSellBeatsTcsrBelowAtMost;
  } else {
    const auto even =
        static_cast<std::int64_t>(engine::kSellTcsrSlots * static_cast<double>(entries_) / (16 * layers) + 0.5);
    tcsr_min_batch_ = std::clamp<std::int64_t>(even, 2, engine::kSellBeatsTcsrBelowAtMost);
  }
  if (max_batch >= tcsr_min_batch_) {
    const bool pairs = one == LayoutId::sell16x2;
    if (pairs) {  // precision bf16: tcsrx2, with a table of every pair of codes
      const int entries = 16 << code_planes_;
      for (int c1 = 0; c1 < entries; ++c1) {
        for (int c2 = 0; c2 < entries; ++c2) pair_table_.push_back(bf16_bits(table_[c1]) | bf16_bits(table_[c2]) << 16);
      }
    }
    const LayoutId id = pairs ? LayoutId::tcsrx2 : LayoutId::tcsr;
    batches_ = plan(id, engine::kernel_or_portable(id, isa, codebook_size)).first;
  }
  // 32-bit csc entries hold rows below 2^24 per block.
  const bool csc_fits = std::all_of(blocks_.begin(), blocks_.end(), [](const engine::RowBlock& block) {
    return block.row_end - block.row_begin < (std::int64_t{1} << 24);
  });
  if (layout == Layout::csc && !csc_fits) {
    refuse("row blocks of fewer than 2^24 rows (one per thread); it has " + std::to_string(rows_) + " rows");
  }
  if (layout == Layout::csc || (csc && entries_ > 0 && csc_fits)) {
    sparse_ = plan(LayoutId::csc, engine::kernel_or_portable(LayoutId::csc, isa, codebook_size)).first;
  }
  if (layout == Layout::csc) {
    csc_max_density_ = 1.0;  // every batch-1 input, whatever its density
  } else if (sparse_) {
    // The input density below which visiting only the non-zero activations costs less than the batch-1
    // layout's whole pass (both per stored entry; the pass over x and the outputs is the same for both).
    const engine::LayoutTraits& pass = batch_one_ ? *batch_one_.traits : engine::layout_traits(LayoutId::tcsr);
    double cycles = 0;
    for (const engine::RowBlock& block : blocks_) {
      cycles += pass.cycles_per_tier * static_cast<double>(block.sell.windows.size()) +
                pass.cycles_per_entry * static_cast<double>(block.entries);
    }
    csc_max_density_ = std::min(1.0, cycles / (engine::kCscCyclesPerVisit * static_cast<double>(entries_)));
  }
}

bool LayerPlan::uses_csc(std::int64_t batch, const float* x) const {
  if (batch != 1 || !has_csc()) return false;
  std::int64_t nonzero = 0;  // a NaN counts as non-zero
  for (std::int64_t i = 0; i < cols_; ++i) nonzero += x[i] != 0.0f;
  // The same share LayerPlanInfo::sparse_kernel_runs compares (cols_ >= 1: validate() refuses empty shapes).
  return static_cast<double>(nonzero) / static_cast<double>(cols_) <= csc_max_density_;
}

std::string LayerPlan::kernel_name(const engine::PlannedLayout& planned) const {
  const engine::LayoutTraits& traits = *planned.traits;
  const int table = traits.table_in_name == engine::TableInName::table         ? table_size_
                    : traits.table_in_name == engine::TableInName::code_planes ? 16 << code_planes_
                                                                               : 0;
  return std::string(traits.stem) + (table > 0 ? "_cb" + std::to_string(table) : std::string()) + "__" +
         planned.kernel->file;
}

LayerPlanInfo LayerPlan::info() const {
  LayerPlanInfo info;
  info.name = name_;
  info.rows = rows_;
  info.cols = cols_;
  info.entries = entries_;
  // What a dense batch-1 input runs on: the batch-1 layout, or a forced tcsr or csc.
  info.kernel = kernel_name(uses_tcsr(1) ? batches_ : batch_one_ ? batch_one_ : sparse_);
  if (batches_) {
    info.batch_kernel = kernel_name(batches_);
    info.batch_kernel_from = tcsr_min_batch();
  }
  if (has_csc()) {
    info.sparse_kernel = kernel_name(sparse_);
    info.sparse_kernel_below = csc_max_density_;
  }
  std::int64_t bytes = table_size_ * 4 + static_cast<std::int64_t>(bias_.size()) * 4;
  std::int64_t most = 0;
  for (const engine::RowBlock& block : blocks_) {
    most = std::max(most, block.entries);
    info.sell_slots += static_cast<std::int64_t>(block.sell.slots.size());
    if (batch_one_) bytes += batch_one_.traits->bytes(block);
    if (batches_) info.tcsr_bytes += batches_.traits->bytes(block);
    if (sparse_) info.csc_bytes += sparse_.traits->bytes(block);
  }
  info.resident_bytes = bytes + info.tcsr_bytes + info.csc_bytes;
  const double mean = static_cast<double>(entries_) / static_cast<double>(blocks_.size());
  info.imbalance = entries_ == 0 ? 1.0 : static_cast<double>(most) / mean;
  return info;
}

}  // namespace eie

#include "engine/layer_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

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

// Row-major copy of the layer: per row, its (column, code) entries in increasing column order.
struct Csr {
  std::vector<std::uint32_t> row_ptr;
  std::vector<std::uint32_t> cols;
  std::vector<std::uint8_t> codes;
};

Csr to_csr(const CompressedLayer& layer) {
  Csr csr;
  csr.row_ptr.assign(static_cast<std::size_t>(layer.rows) + 1, 0);
  for (std::uint32_t r : layer.row_idx) ++csr.row_ptr[r + 1];
  for (std::size_t r = 0; r < static_cast<std::size_t>(layer.rows); ++r) csr.row_ptr[r + 1] += csr.row_ptr[r];
  csr.cols.resize(layer.row_idx.size());
  csr.codes.resize(layer.row_idx.size());
  std::vector<std::uint32_t> next(csr.row_ptr.begin(), csr.row_ptr.end() - 1);
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    for (std::uint32_t k = layer.col_ptr[static_cast<std::size_t>(j)]; k < layer.col_ptr[static_cast<std::size_t>(j) + 1];
         ++k) {
      const std::uint32_t slot = next[layer.row_idx[k]]++;
      csr.cols[slot] = static_cast<std::uint32_t>(j);
      csr.codes[slot] = layer.codes[k];
    }
  }
  return csr;
}

// Row boundaries of `blocks` contiguous blocks holding about nnz / blocks entries each.
std::vector<std::int64_t> balanced_row_splits(const Csr& csr, std::int64_t rows, int blocks) {
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

// sell16's SellBlock::window_shift: 0 where every window start fits 16 bits (windows start at most 16 columns
// before the end of the input), else 4.
int sell_window_shift(std::int64_t cols) { return cols - 16 < 65536 ? 0 : 4; }

// The rows of one slice of 16 as the sell builders deal them out: each row's next entry and its end.
struct SliceRows {
  int lanes = 0;
  std::uint32_t cursor[16] = {}, end[16] = {};
  SliceRows(const Csr& csr, std::int64_t first_row, std::int64_t row_end)
      : lanes(static_cast<int>(std::min<std::int64_t>(16, row_end - first_row))) {
    for (int l = 0; l < lanes; ++l) {
      cursor[l] = csr.row_ptr[static_cast<std::size_t>(first_row + l)];
      end[l] = csr.row_ptr[static_cast<std::size_t>(first_row + l) + 1];
    }
  }
  // The lowest column any row still has an entry in; -1 when every entry is dealt.
  std::int64_t lowest(const Csr& csr) const {
    std::int64_t column = -1;
    for (int l = 0; l < lanes; ++l) {
      if (cursor[l] < end[l] && (column < 0 || csr.cols[cursor[l]] < column)) column = csr.cols[cursor[l]];
    }
    return column;
  }
  // Whether lane l holds a row whose next entry lies before column `limit`.
  bool next_before(const Csr& csr, int l, std::int64_t limit) const {
    return l < lanes && cursor[l] < end[l] && csr.cols[cursor[l]] < limit;
  }
};

// The sell16 layout of rows [row_begin, row_end) (see layer_plan.h), from the row-major copy. Each tier's window
// starts at the lowest column any lane of the slice has left, so it takes every lane whose next entry lies within
// 16 columns of it: at 9% weights a slice needs ~1.8 slots per entry, against ~2.6 with windows fixed to aligned
// panels of 16 (an entry just past a panel's edge no longer waits for a tier of its own panel).
// sell16x2 (row_entries 2) deals up to two of a lane's next entries into each tier, both within its window,
// and fills the slots left with pad_code; masks and code planes are sell16's alone.
engine::SellBlock build_sell(const Csr& csr, std::int64_t row_begin, std::int64_t row_end, std::int64_t cols,
                             int code_planes, bool store_masks, int row_entries = 1, int pad_code = 0) {
  engine::SellBlock sell;
  sell.row_entries = row_entries;
  sell.window_shift = sell_window_shift(cols);
  const std::int64_t unit = std::int64_t{1} << sell.window_shift;
  std::uint32_t layers = 0;
  sell.layer_ptr.push_back(0);
  for (std::int64_t s0 = row_begin; s0 < row_end; s0 += 16) {
    SliceRows rows(csr, s0, row_end);
    std::uint32_t full_end = 0;
    bool tail_started = false;
    for (;;) {  // one tier per round
      const std::int64_t lowest = rows.lowest(csr);
      if (lowest < 0) break;
      // Windows stay inside the input where it has 16 columns or more and they start at any column; the others
      // (narrower inputs, the last panel with windows of whole panels) come last in the slice and load only the
      // activations that exist.
      const std::int64_t start =
          unit == 1 ? std::min(lowest, std::max<std::int64_t>(0, cols - 16)) : lowest / unit * unit;
      if (start + 16 > cols && !tail_started) {
        full_end = layers;
        tail_started = true;
      }
      std::uint16_t mask = 0;
      std::uint32_t planes[2] = {0, 0};  // bits 4 and 5 of each lane's code
      for (int l = 0; l < 16; ++l) {
        for (int e = 0; e < row_entries; ++e) {
          const int lane = l * row_entries + e;
          unsigned code = static_cast<unsigned>(pad_code);
          std::uint32_t column = 0;
          if (rows.next_before(csr, l, start + 16)) {
            const std::uint32_t k = rows.cursor[l]++;
            code = csr.codes[k];
            column = static_cast<std::uint32_t>(csr.cols[k] - start);
            mask = static_cast<std::uint16_t>(mask | 1u << l);
          }
          for (int p = 0; p < 2; ++p) planes[p] |= ((code >> (4 + p)) & 1u) << lane;
          sell.slots.push_back(static_cast<std::uint8_t>(column << 4 | (code & 15u)));
        }
      }
      // sell16: 16 bits per plane; sell16x2: 32, stored as two 16-bit words (low first).
      for (int p = 0; p < code_planes; ++p) {
        for (int half = 0; half < row_entries; ++half) sell.code_planes.push_back(static_cast<std::uint16_t>(planes[p] >> (16 * half)));
      }
      if (store_masks) sell.masks.push_back(mask);
      sell.windows.push_back(static_cast<std::uint16_t>(start >> sell.window_shift));
      ++layers;
    }
    sell.layer_ptr.push_back(tail_started ? full_end : layers);
    sell.layer_ptr.push_back(layers);
  }
  sell.slots.shrink_to_fit();
  sell.masks.shrink_to_fit();
  sell.windows.shrink_to_fit();
  sell.code_planes.shrink_to_fit();
  return sell;
}

// Per row of [row_begin, row_end): the sum of its entries' 8-bit weights (SellBlock::row_weight_sums).
std::vector<std::int32_t> row_weight_sums(const Csr& csr, std::int64_t row_begin, std::int64_t row_end,
                                          const std::int8_t* weights) {
  std::vector<std::int32_t> sums;
  sums.reserve(static_cast<std::size_t>(row_end - row_begin));
  for (std::int64_t r = row_begin; r < row_end; ++r) {
    std::int32_t sum = 0;
    const auto row = static_cast<std::size_t>(r);
    for (std::uint32_t k = csr.row_ptr[row]; k < csr.row_ptr[row + 1]; ++k) sum += weights[csr.codes[k]];
    sums.push_back(sum);
  }
  return sums;
}

// The sell16x4 layout of rows [row_begin, row_end) (layer_plan.h): each tier's window of kSell16x4Window columns
// starts at the lowest column the slice has left, and each row gives it up to four of its next entries that lie
// in the window. At 9% weights a slice needs ~1.38 slots per entry, at 4% ~1.96 (a row then has ~2.5 entries in a
// window); with 8 rows of 8 entries per tier instead, 1.58 at 9%.
engine::SellBlock build_sell16x4(const Csr& csr, std::int64_t row_begin, std::int64_t row_end,
                                 const std::int8_t* weights, bool byte_codes, bool compact) {
  engine::SellBlock sell;
  sell.row_entries = 4;
  // Nibbles and bytes of code: an even number of tiers per slice (the kernel decodes a pair at once); compact
  // codes: any number.
  const std::size_t round_to = compact ? 64 : 128;
  sell.layer_ptr.push_back(0);
  std::vector<std::uint8_t> codes;  // one slice's, 64 per tier, packed in pairs of tiers at its end
  for (std::int64_t s0 = row_begin; s0 < row_end; s0 += 16) {
    SliceRows rows(csr, s0, row_end);
    const std::vector<std::int32_t> sums = row_weight_sums(csr, s0, s0 + rows.lanes, weights);
    sell.row_weight_sums.insert(sell.row_weight_sums.end(), sums.begin(), sums.end());
    codes.clear();
    for (;;) {  // one tier per round
      const std::int64_t lowest = rows.lowest(csr);
      if (lowest < 0 && codes.size() % round_to == 0) break;
      const std::int64_t start = std::max<std::int64_t>(lowest, 0);
      for (int l = 0; l < 16; ++l) {
        for (int e = 0; e < 4; ++e) {
          std::uint8_t column = engine::kSell16x4Pad, code = 0;
          if (rows.next_before(csr, l, start + engine::kSell16x4Window)) {
            const std::uint32_t k = rows.cursor[l]++;
            column = static_cast<std::uint8_t>(csr.cols[k] - start);
            code = csr.codes[k];
          }
          sell.slots.push_back(column);
          codes.push_back(code);
        }
      }
      sell.windows.push_back(static_cast<std::uint16_t>(start));
    }
    if (byte_codes) {
      sell.slot_codes.insert(sell.slot_codes.end(), codes.begin(), codes.end());
    } else if (compact) {
      // Bits 0-1 of each code in its slot's bits 6-7; bits 2-3 in the group's byte of the slot, at bits 2m..2m+1
      // for the group's tier m. A slice's last group may hold fewer than four tiers.
      const std::size_t first = sell.slots.size() - codes.size();
      for (std::size_t i = 0; i < codes.size(); ++i) sell.slots[first + i] |= static_cast<std::uint8_t>((codes[i] & 3u) << 6);
      for (std::size_t g = 0; g < codes.size(); g += 256) {
        for (std::size_t i = 0; i < 64; ++i) {
          unsigned byte = 0;
          for (std::size_t m = 0; m < 4 && g + 64 * m < codes.size(); ++m) byte |= ((codes[g + 64 * m + i] >> 2) & 3u) << (2 * m);
          sell.slot_codes.push_back(static_cast<std::uint8_t>(byte));
        }
      }
    } else {
      for (std::size_t m = 0; m < codes.size(); m += 128) {
        for (std::size_t i = 0; i < 64; ++i) {
          sell.slot_codes.push_back(static_cast<std::uint8_t>(codes[m + i] | codes[m + 64 + i] << 4));
        }
      }
    }
    const auto layers = static_cast<std::uint32_t>(sell.windows.size());
    sell.layer_ptr.push_back(layers);  // no tier reads past the input's buffer (sell16x4_input_bytes)
    sell.layer_ptr.push_back(layers);
  }
  sell.slots.shrink_to_fit();
  sell.windows.shrink_to_fit();
  sell.slot_codes.shrink_to_fit();
  sell.row_weight_sums.shrink_to_fit();
  return sell;
}

// Cuts one row block's rows into panels of `width` columns (at least one panel): for each panel, row pointers
// into the entries that add(panel, column within the panel, code) appends, row by row in column order.
template <class PanelT, class Add>
std::vector<PanelT> split_into_panels(const Csr& csr, const engine::RowBlock& block, std::int64_t cols,
                                      std::int64_t width, Add add) {
  std::vector<PanelT> panels;
  const std::int64_t num_panels = std::max<std::int64_t>(1, (cols + width - 1) / width);
  std::vector<std::uint32_t> cursor(csr.row_ptr.begin() + block.row_begin, csr.row_ptr.begin() + block.row_end);
  for (std::int64_t p = 0; p < num_panels; ++p) {
    PanelT panel;
    panel.col_begin = p * width;
    const std::int64_t col_end = std::min(cols, panel.col_begin + width);
    panel.row_ptr.reserve(static_cast<std::size_t>(block.row_end - block.row_begin) + 1);
    panel.row_ptr.push_back(0);
    std::uint32_t entries = 0;
    for (std::int64_t r = block.row_begin; r < block.row_end; ++r) {
      std::uint32_t& k = cursor[static_cast<std::size_t>(r - block.row_begin)];
      const std::uint32_t end = csr.row_ptr[static_cast<std::size_t>(r) + 1];
      for (; k < end && csr.cols[k] < col_end; ++k, ++entries) {
        add(panel, static_cast<std::uint32_t>(csr.cols[k] - panel.col_begin), csr.codes[k]);
      }
      panel.row_ptr.push_back(entries);
    }
    panels.push_back(std::move(panel));
  }
  return panels;
}

// The csr16 layout of one row block: its rows' entries in column panels of at most panel_cols columns.
std::vector<engine::Panel> build_csr16(const Csr& csr, const engine::RowBlock& block, std::int64_t cols) {
  auto panels = split_into_panels<engine::Panel>(csr, block, cols, LayerPlan::panel_cols,
                                                 [](engine::Panel& panel, std::uint32_t col, std::uint8_t code) {
                                                   panel.cols.push_back(static_cast<std::uint16_t>(col));
                                                   panel.codes.push_back(code);
                                                 });
  for (engine::Panel& panel : panels) {
    panel.cols.shrink_to_fit();
    panel.codes.shrink_to_fit();
  }
  return panels;
}

// The tcsr layout of one row block (layer_plan.h): its rows' entries in panels of tcsr_panel_cols columns.
std::vector<engine::TcsrPanel> build_tcsr(const Csr& csr, const engine::RowBlock& block, std::int64_t cols) {
  auto panels = split_into_panels<engine::TcsrPanel>(
      csr, block, cols, LayerPlan::tcsr_panel_cols, [](engine::TcsrPanel& panel, std::uint32_t col, std::uint8_t code) {
        panel.entries.push_back(static_cast<std::uint16_t>(code << 8 | col));
      });
  for (engine::TcsrPanel& panel : panels) panel.entries.shrink_to_fit();
  return panels;
}

// The tcsrx2 layout of one row block (layer_plan.h): tcsr's panels with each row's entries two at a time, codes of a
// table of `entries` (16, 32 or 64); a row's odd last entry is paired with itself under the padding code.
std::vector<engine::TcsrPanel> build_tcsr_pairs(const Csr& csr, const engine::RowBlock& block, std::int64_t cols,
                                                int entries, int pad_code) {
  std::vector<engine::TcsrPanel> panels = build_tcsr(csr, block, cols);
  for (engine::TcsrPanel& panel : panels) {
    std::vector<std::uint32_t> row_ptr{0};
    for (std::size_t r = 0; r + 1 < panel.row_ptr.size(); ++r) {
      for (std::uint32_t k = panel.row_ptr[r]; k < panel.row_ptr[r + 1]; k += 2) {
        const std::uint32_t e1 = panel.entries[k];
        const std::uint32_t e2 = k + 1 < panel.row_ptr[r + 1] ? panel.entries[k + 1]
                                                               : static_cast<std::uint32_t>(pad_code) << 8 | (e1 & 255u);
        const std::uint32_t codes = (e1 >> 8) * static_cast<std::uint32_t>(entries) + (e2 >> 8);
        panel.pairs.push_back((e1 & 255u) | (e2 & 255u) << 8 | codes << 16);
      }
      row_ptr.push_back(static_cast<std::uint32_t>(panel.pairs.size()));
    }
    panel.row_ptr = std::move(row_ptr);
    panel.entries = {};
    panel.pairs.shrink_to_fit();
  }
  return panels;
}

// fp32 to bf16, rounded to nearest even as vcvtneps2bf16 does (NaN stays NaN).
std::uint32_t bf16_bits(float value) {
  std::uint32_t u;
  std::memcpy(&u, &value, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;  // quiet NaN
  return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

// The csc layout of one row block (layer_plan.h), from the layer's own column-major order.
engine::CscBlock build_csc(const CompressedLayer& layer, const engine::RowBlock& block) {
  engine::CscBlock csc;
  const bool narrow = block.row_end - block.row_begin <= 4096 && layer.codebook.size() <= 16;
  csc.col_ptr.reserve(static_cast<std::size_t>(layer.cols) + 1);
  csc.col_ptr.push_back(0);
  std::uint32_t count = 0;
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    for (std::uint32_t k = layer.col_ptr[static_cast<std::size_t>(j)]; k < layer.col_ptr[static_cast<std::size_t>(j) + 1];
         ++k) {
      const std::int64_t r = layer.row_idx[k];
      if (r < block.row_begin || r >= block.row_end) continue;
      const auto row = static_cast<std::uint32_t>(r - block.row_begin);
      if (narrow) {
        csc.entries16.push_back(static_cast<std::uint16_t>(row << 4 | layer.codes[k]));
      } else {
        csc.entries32.push_back(row << 8 | layer.codes[k]);
      }
      ++count;
    }
    csc.col_ptr.push_back(count);
  }
  csc.entries16.shrink_to_fit();
  csc.entries32.shrink_to_fit();
  return csc;
}

// Costs per unit of work on a Zen 5 core, for choosing csc per run (`eie bench --suite eie-paper --layers
// Alex-6,Alex-7,VGG-7,NT-We --batch 1 --threads 1,2 --input-density D`, with and without
// --skip-zero-activations): a csc entry visited ~2.3 cycles on one thread and ~3 on each of two (their
// columns' entries are fetched in short runs that the prefetchers follow less well); a sell16 tier of 16
// slots ~2.2 cycles with its loop overheads; a csr16 entry ~1.4 cycles (AVX-512 gather; scalar and AVX2
// ~1.2-1.6). The two-thread figure sets the break-evens (Alex-7 8%, VGG-7 12%, csr16 47%, since sell16's sliding
// windows; 12% and 16% with its fixed panels): at D = 5% csc was 1.1-2.7x faster than sell16 on those layers,
// at 10% 1.7-2.4x on VGG-7 (the one of the four whose break-even is above 10%).
constexpr double kCscCyclesPerVisit = 3.0;
constexpr double kSellCyclesPerLayer = 2.2;
constexpr double kCsr16CyclesPerEntry = 1.4;

// sell16 is dropped for the gather kernel when its tiers carry more than this many slots per stored entry.
// A sell16 tier (16 slots) cost ~0.6 ns and a stored entry of the gather kernel ~0.34 ns on one Zen 5 core
// (eie bench at batch 1 before and after sell16), so sell16 stops paying at ~9 slots per entry: weight densities
// below ~0.5%, where most tiers hold one or two entries.
constexpr double kMaxSellSlotsPerEntry = 9.0;
// The same for the AVX2 kernel, whose tier of 16 slots takes four vpermps, two blends and two FMAs against the
// gather kernel's ~1.5 cycles per entry: on two threads (`eie bench --suite eie-paper --layers
// Alex-7,Alex-8,VGG-7,VGG-8,NT-We,NT-LSTM --batch 1 --threads 2 --kernel avx2`, before and after, twice) sell16
// was 1.05-1.3x faster at 1.8 slots per entry (Alex-7, NT-We), 1.35-1.7x at 1.3 (Alex-8, VGG-8) and 1.1-1.2x
// slower at 2.6 (VGG-7): it stops paying at ~2.2.
constexpr double kMaxSellAvx2SlotsPerEntry = 2.2;
// The same for sell16 in 8-bit arithmetic (precision int8 on AVX2), whose two tiers take 25 instructions against
// the fp32 kernel's 61: at 2.6 slots per entry (`eie bench --suite eie-paper --layers VGG-6,VGG-7 --batch 1
// --threads 2`, --precision int8 with this at 4 against --kernel avx2, twice) it was 3.4-8x faster than csr16
// (VGG-7 115 us against 390-484, VGG-6 768-840 against 3040-6470), so it pays up to ~9.
constexpr double kMaxSellAvx2Int8SlotsPerEntry = 8.0;
// The same for sell16x4 (precision int8), whose tier of 64 slots cost 1.1-1.3 ns on one Zen 5 core (a scratch
// loop over random 16-row slices at 9% weights, in L1 and in L3 alike, before and after its slots were aligned),
// ~3.2-3.8 stored entries of the gather kernel: it stops paying at ~16-20 slots per entry.
constexpr double kMaxSell16x4SlotsPerEntry = 16.0;
// The most memory a sell16x4 layout may take where compact codes would take less: 1.5x the layer's 64-PE EIE
// encoding (the bound docs/engine.md holds every layout to). The nibbles are 5-20% faster on the paper's layers
// that fit the caches (Alex-7 10-12%; kCompactFromBytes has the measurements) but 16% larger, which took NT-Wd
// (8791 x 600, 11% weights: short rows, so more padding per entry than the EIE encoding's) to 1.68x.
constexpr double kMaxBytesOverEncoding = 1.5;

// Layouts this large stream from L3, where compact codes' fewer bytes gain more than their extra instructions
// cost (eie_engine_bench --benchmark_filter='/avx512-int8(-compact)?/batch:1/', twice): VGG-6 (12.3 MB of nibbles)
// took 216-237 us with compact codes against 254-290 on one thread and 106-122 against 112-135 on two, Alex-6
// (7.1 MB) 96-105 against 99-112 and 54-67 against 56-75; Alex-7 (3.2 MB) lost 10-12% on one thread and on two,
// the smaller layers 5-20%. A machine with larger caches would move this.
constexpr std::int64_t kCompactFromBytes = 6'000'000;

// The layer's size in the paper's 64-PE EIE encoding (4-bit relative indices, filler zeros, 16- or 32-bit
// pointers).
std::int64_t eie_encoding_bytes(const CompressedLayer& layer) { return encoding_stats(encode_eie(layer, 64)).bytes; }

// A sell16x4 tier for csc's break-even (kSellCyclesPerLayer's counterpart): ~4-4.7 cycles in that scratch loop.
constexpr double kSell16x4CyclesPerLayer = 4.7;

// Where tcsr takes over from sell16 (EngineOptions::tcsr_min_batch 0). sell16's time grows with the batch, one
// pass over its tiers per element; tcsr's hardly grows from 16 to 32 elements (its ~7 scalar instructions per
// entry dominate), so sell16 breaks even at about kSellTcsrSlots / (slots per stored entry): one thread
// (eie_engine_bench --benchmark_filter='/avx512-(tcsr|sell16|bf16)/batch:(8|16|32)/threads:1'), at batch 16
// sell16 took 1.2-1.5x tcsr's time on VGG-6 and VGG-7 (2.6 slots per entry: break-even ~11-13) and 0.7-1.0x on
// Alex-8, VGG-8, NT-Wd and NT-LSTM (1.3-1.8: 16-22); with 34, VGG-6 and VGG-7 switch at 13 (`eie bench
// --layers VGG-6,VGG-7 --batch 12,16`: at 16 tcsr 1.25-1.5x faster, at 12 even to 0.85x on one thread), the 9%
// layers but NT-Wd at 19, NT-Wd, Alex-8 and VGG-8 at the cap.
constexpr double kSellTcsrSlots = 34.0;
constexpr std::int64_t kSellBeatsTcsrBelowAtMost = 20;
// The same for the bf16 layouts, sell16x2 against tcsrx2, whose time is flat from 8 to 32 batch elements: one
// thread (eie_engine_bench --benchmark_filter='/avx512-bf16(-tcsrx2)?/batch:(8|16|32)/threads:1'), the
// break-evens fell at 12-17 on the nine paper layers, with no clear trend in the padding.
constexpr std::int64_t kSell16x2BeatsTcsrx2Below = 14;

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
    : name_(layer.name), rows_(layer.rows), cols_(layer.cols), entries_(layer.nnz()), bias_(layer.bias),
      isa_(isa) {
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

  const Csr csr = to_csr(layer);
  const std::vector<std::int64_t> splits = balanced_row_splits(csr, rows_, blocks);
  blocks_.resize(static_cast<std::size_t>(blocks));
  for (int b = 0; b < blocks; ++b) {
    engine::RowBlock& block = blocks_[static_cast<std::size_t>(b)];
    block.row_begin = splits[static_cast<std::size_t>(b)];
    block.row_end = splits[static_cast<std::size_t>(b) + 1];
    block.entries = csr.row_ptr[static_cast<std::size_t>(block.row_end)] - csr.row_ptr[static_cast<std::size_t>(block.row_begin)];
  }

  // AVX2 decodes with two vpermps per half slice (fp32) or one vpshufb per two tiers (int8): codebooks of at most
  // 16 entries. A forced sell layout runs the portable kernel where the ISA has none (sell_isa_), and so does bf16
  // on the scalar kernels.
  if (forced_sell) {
    if (codebook_size > 64) refuse("a codebook of at most 64 entries; it has " + std::to_string(codebook_size));
    const std::int64_t most_cols = layout == Layout::sell16x4 ? 65536 : 65536 * 16;
    if (cols_ > most_cols) refuse("at most " + std::to_string(most_cols) + " inputs; it has " + std::to_string(cols_));
  }
  const bool portable_bf16 = isa == KernelIsa::scalar && precision == Precision::bf16;
  has_sell_ = forced ? forced_sell
                     : (engine::sell_kernel(isa, 1) != nullptr || portable_bf16) &&
                           (isa == KernelIsa::avx2 ? codebook_size <= 16 && precision != Precision::bf16
                                                   : codebook_size <= 64) &&
                           (cols_ + 15) / 16 <= 65536;
  double layers = 0;  // of sell16 or sell16x2, over all blocks
  if (has_sell_) code_planes_ = codebook_size <= 16 ? 0 : codebook_size <= 32 ? 1 : 2;
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
  if (has_sell_ && precision == Precision::int8 && engine::sell_kernel(isa, 4) != nullptr && cols_ <= 65536) {
    // code_planes_ names sell16x4's kernel (cb16, cb32, cb64) and chooses nibbles or bytes of code.
    quantize_codebook();
    // Compact codes where asked, where the nibbles would take more than kCompactFromBytes, or more than
    // kMaxBytesOverEncoding times the layer's EIE encoding (which needs a reserved zero for its filler entries).
    const bool nibbles = code_planes_ == 0;
    const auto build = [&](bool compact) {
      double quads = 0;
      for (engine::RowBlock& block : blocks_) {
        block.sell = build_sell16x4(csr, block.row_begin, block.row_end, int8_table_, !nibbles, compact);
        quads += static_cast<double>(block.sell.windows.size());
      }
      return quads;
    };
    sell_compact_ = nibbles && compact_codes;
    double quads = build(sell_compact_);
    if (nibbles && !compact_codes) {
      auto bytes = static_cast<std::int64_t>(table_size_ + bias_.size()) * 4;  // as info().resident_bytes counts
      for (const engine::RowBlock& block : blocks_) bytes += block.sell.bytes();
      if (bytes > kCompactFromBytes ||
          (layer.codebook.zero_reserved() &&
           static_cast<double>(bytes) > kMaxBytesOverEncoding * static_cast<double>(eie_encoding_bytes(layer)))) {
        sell_compact_ = true;
        quads = build(true);
      }
    }
    sell_quads_ = forced || 64 * quads <= kMaxSell16x4SlotsPerEntry * static_cast<double>(entries_);
    if (sell_quads_) {
      sell_stores_masks_ = false;
      tcsr_min_batch_ = std::numeric_limits<std::int64_t>::max();  // every batch on sell16x4
    } else {
      has_sell_ = false;  // as sparse as that, the gather kernel, in fp32
      sell_compact_ = false;
      code_planes_ = 0;
      for (engine::RowBlock& block : blocks_) block.sell = {};
    }
  } else if (has_sell_) {
    // A reserved zero (code 0 = 0.0, never stored) makes a padding slot's byte 0 the only one with code 0: its
    // FMA adds 0 * x, exact for finite x, and its lane is told apart from the slot alone when x is not finite.
    // With code planes the low nibble 0 also belongs to codes 16, 32 and 48, so the masks stay.
    sell_stores_masks_ = !(code_planes_ == 0 && layer.codebook.zero_reserved());
    sell_pad_code_ = padding_code_for(layer.codebook, code_planes_);
    sell_pairs_ = precision == Precision::bf16 && sell_pad_code_ >= 0;
    if (layout == Layout::sell16x2 && !sell_pairs_) {
      refuse("a codebook with a zero or unused code for its padding; it has " + std::to_string(codebook_size) +
             " entries, none zero");
    }
    if (sell_pairs_) sell_stores_masks_ = false;
    const int row_entries = sell_pairs_ ? 2 : 1;
    for (engine::RowBlock& block : blocks_) {
      block.sell = build_sell(csr, block.row_begin, block.row_end, cols_, code_planes_, sell_stores_masks_,
                              row_entries, sell_pairs_ ? sell_pad_code_ : 0);
      layers += static_cast<double>(block.sell.windows.size());
    }
    // sell16 in 8-bit arithmetic (precision int8 on AVX2): the same layout, the same 65,536 inputs as sell16x4.
    // (A forced sell16 may hold a 32- or 64-entry codebook, which the int8 kernel cannot decode: fp32 there.)
    const bool int8 = precision == Precision::int8 && engine::sell16_int8_kernel(isa) != nullptr && cols_ <= 65536 &&
                      code_planes_ == 0;
    // A sell16x2 tier costs about what a sell16 tier does, so both are held to the same tiers per entry.
    const double max_slots = isa != KernelIsa::avx2 ? kMaxSellSlotsPerEntry
                             : int8                 ? kMaxSellAvx2Int8SlotsPerEntry
                                                    : kMaxSellAvx2SlotsPerEntry;
    if (!forced && 16 * layers > max_slots * static_cast<double>(entries_)) {
      has_sell_ = false;
      sell_pairs_ = false;
      code_planes_ = 0;
      for (engine::RowBlock& block : blocks_) block.sell = {};
    } else if (int8) {
      sell_int8_ = true;
      quantize_codebook();
      for (engine::RowBlock& block : blocks_) {
        block.sell.row_weight_sums = row_weight_sums(csr, block.row_begin, block.row_end, int8_table_);
      }
    }
  }
  if (has_sell_) {
    sell_kernel_ = engine::sell_kernel(isa, sell_quads_ ? 4 : sell_pairs_ ? 2 : 1);
    sell_isa_ = isa;
    // The portable sell16 kernel where the ISA's takes none of this codebook (AVX2: at most 16 entries), and the
    // portable sell16x2 kernel off AVX-512 (precision bf16 on the scalar kernels).
    if (sell_int8_) {
      sell_kernel_ = engine::sell16_int8_kernel(isa);
    } else if (!sell_quads_ && !sell_pairs_ &&
               (sell_kernel_ == nullptr || (isa == KernelIsa::avx2 && code_planes_ > 0))) {
      sell_kernel_ = engine::spmv_sell16__scalar;
      sell_isa_ = KernelIsa::scalar;
    } else if (sell_pairs_ && isa != KernelIsa::avx512) {
      sell_kernel_ = engine::spmv_sell16x2__scalar;
      sell_isa_ = KernelIsa::scalar;
    }
  }
  // A forced tcsr or csc runs every batch-1 input itself: no batch-1 layout besides it.
  if (!has_sell_ && layout != Layout::tcsr && layout != Layout::csc) {
    kernel_ = engine::spmv_kernel(isa);
    for (engine::RowBlock& block : blocks_) block.panels = build_csr16(csr, block, cols_);
  }
  // csr16 runs batch 1 only, so without sell16 every batch runs on tcsr.
  if (sell_quads_) {
    // tcsr_min_batch_ stays past every batch: sell16x4 runs them all, its tiers decoded once per chunk.
  } else if (forced_sell) {
    tcsr_min_batch_ = std::numeric_limits<std::int64_t>::max();  // the forced sell16 or sell16x2 runs every batch
  } else if (layout == Layout::tcsr) {
    tcsr_min_batch_ = 1;
  } else if (!has_sell_) {
    tcsr_min_batch_ = 2;
  } else if (tcsr_min_batch > 0) {
    tcsr_min_batch_ = std::max<std::int64_t>(2, tcsr_min_batch);
  } else if (sell_pairs_) {
    tcsr_min_batch_ = kSell16x2BeatsTcsrx2Below;
  } else if (entries_ == 0) {
    tcsr_min_batch_ = kSellBeatsTcsrBelowAtMost;
  } else {
    const auto even = static_cast<std::int64_t>(kSellTcsrSlots * static_cast<double>(entries_) / (16 * layers) + 0.5);
    tcsr_min_batch_ = std::clamp<std::int64_t>(even, 2, kSellBeatsTcsrBelowAtMost);
  }
  if (max_batch >= tcsr_min_batch_) {
    tcsr_kernel_ = engine::tcsr_kernel(isa, sell_pairs_);
    if (sell_pairs_) {  // precision bf16: tcsrx2, with a table of every pair of codes
      const int entries = 16 << code_planes_;
      for (int c1 = 0; c1 < entries; ++c1) {
        for (int c2 = 0; c2 < entries; ++c2) pair_table_.push_back(bf16_bits(table_[c1]) | bf16_bits(table_[c2]) << 16);
      }
      for (engine::RowBlock& block : blocks_) block.tcsr = build_tcsr_pairs(csr, block, cols_, entries, sell_pad_code_);
    } else {
      for (engine::RowBlock& block : blocks_) block.tcsr = build_tcsr(csr, block, cols_);
    }
  }
  // 32-bit csc entries hold rows below 2^24 per block.
  const bool csc_fits = std::all_of(blocks_.begin(), blocks_.end(), [](const engine::RowBlock& block) {
    return block.row_end - block.row_begin < (std::int64_t{1} << 24);
  });
  if (layout == Layout::csc) {
    if (!csc_fits) {
      refuse("row blocks of fewer than 2^24 rows (one per thread); it has " + std::to_string(rows_) + " rows");
    }
    for (engine::RowBlock& block : blocks_) block.csc = build_csc(layer, block);
    csc_max_density_ = 1.0;  // every batch-1 input, whatever its density
  } else if (csc && entries_ > 0 && csc_fits) {
    // The input density below which visiting only the non-zero activations costs less than the batch-1
    // layout's whole pass (both per stored entry; the pass over x and the outputs is the same for both).
    double cycles = 0;
    for (engine::RowBlock& block : blocks_) {
      block.csc = build_csc(layer, block);
      cycles += sell_quads_ ? kSell16x4CyclesPerLayer * static_cast<double>(block.sell.windows.size())
                : has_sell_ ? kSellCyclesPerLayer * static_cast<double>(block.sell.windows.size())
                            : kCsr16CyclesPerEntry * static_cast<double>(block.entries);
    }
    csc_max_density_ = std::min(1.0, cycles / (kCscCyclesPerVisit * static_cast<double>(entries_)));
  }
}

bool LayerPlan::uses_csc(std::int64_t batch, const float* x) const {
  if (batch != 1 || !has_csc()) return false;
  std::int64_t nonzero = 0;  // a NaN counts as non-zero
  for (std::int64_t i = 0; i < cols_; ++i) nonzero += x[i] != 0.0f;
  // The same share LayerPlanInfo::sparse_kernel_runs compares (cols_ >= 1: validate() refuses empty shapes).
  return static_cast<double>(nonzero) / static_cast<double>(cols_) <= csc_max_density_;
}

LayerPlanInfo LayerPlan::info() const {
  LayerPlanInfo info;
  info.name = name_;
  info.rows = rows_;
  info.cols = cols_;
  info.entries = entries_;
  const std::string csr16 =
      std::string("spmv_csr16_cb") + std::to_string(table_size_) + "__" + kernel_isa_name(engine::csr16_kernel_isa(isa_));
  info.kernel = sell_quads_ ? std::string(sell_compact_ ? "spmv_sell16x4c" : "spmv_sell16x4") + "_cb" +
                                  std::to_string(16 << code_planes_) + "__avx512vnni"
                : sell_pairs_ ? "spmv_sell16x2_cb" + std::to_string(16 << code_planes_) + "__" +
                                    (sell_isa_ == KernelIsa::scalar ? "scalar" : "avx512bf16")
                : sell_int8_ ? std::string("spmv_sell16i8_cb16__") + kernel_isa_name(isa_)
                : has_sell_ ? "spmv_sell16_cb" + std::to_string(16 << code_planes_) + "__" + kernel_isa_name(sell_isa_)
                : csc_max_density_ >= 1.0 && kernel_ == nullptr ? "spmv_csc__scalar"
                : tcsr_min_batch_ == 1
                    ? std::string("spmm_tcsr_cb") + std::to_string(table_size_) + "__" + kernel_isa_name(isa_)
                            : csr16;
  if (tcsr_kernel_ != nullptr) {
    info.batch_kernel = tcsr_pairs() ? "spmm_tcsrx2_cb" + std::to_string(pair_table_entries()) + "__" +
                                           (isa_ == KernelIsa::avx512 ? "avx512bf16" : "scalar")
                                     : std::string("spmm_tcsr_cb") + std::to_string(table_size_) + "__" + kernel_isa_name(isa_);
    info.batch_kernel_from = tcsr_min_batch();
  }
  std::int64_t bytes = table_size_ * 4 + static_cast<std::int64_t>(bias_.size()) * 4;
  std::int64_t most = 0;
  for (const engine::RowBlock& block : blocks_) {
    most = std::max(most, block.entries);
    bytes += block.sell.bytes();
    info.sell_slots += static_cast<std::int64_t>(block.sell.slots.size());
    for (const engine::Panel& panel : block.panels) {
      bytes += static_cast<std::int64_t>(panel.row_ptr.size() * 4 + panel.cols.size() * 2 + panel.codes.size());
    }
    for (const engine::TcsrPanel& panel : block.tcsr) {
      info.tcsr_bytes += static_cast<std::int64_t>(panel.row_ptr.size() * 4 + panel.entries.size() * 2 + panel.pairs.size() * 4);
    }
    info.csc_bytes += block.csc.bytes();
  }
  if (has_csc()) {
    info.sparse_kernel = "spmv_csc__scalar";
    info.sparse_kernel_below = csc_max_density_;
  }
  info.resident_bytes = bytes + info.tcsr_bytes + info.csc_bytes;
  const double mean = static_cast<double>(entries_) / static_cast<double>(blocks_.size());
  info.imbalance = entries_ == 0 ? 1.0 : static_cast<double>(most) / mean;
  return info;
}

}  // namespace eie

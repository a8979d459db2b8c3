#include "engine/layouts.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <vector>

#include "engine/cost_model.h"

namespace eie::engine {

Csr to_csr(const CompressedLayer& layer) {
  Csr csr;
  csr.row_ptr.assign(static_cast<std::size_t>(layer.rows) + 1, 0);
  for (std::uint32_t r : layer.row_idx) ++csr.row_ptr[r + 1];
  for (std::size_t r = 0; r < static_cast<std::size_t>(layer.rows); ++r) csr.row_ptr[r + 1] += csr.row_ptr[r];
  csr.cols.resize(layer.row_idx.size());
  csr.codes.resize(layer.row_idx.size());
  std::vector<std::uint32_t> next(csr.row_ptr.begin(), csr.row_ptr.end() - 1);
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    const auto column = static_cast<std::size_t>(j);
    for (std::uint32_t k = layer.col_ptr[column]; k < layer.col_ptr[column + 1]; ++k) {
      const std::uint32_t slot = next[layer.row_idx[k]]++;
      csr.cols[slot] = static_cast<std::uint32_t>(j);
      csr.codes[slot] = layer.codes[k];
    }
  }
  return csr;
}

namespace {

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
SellBlock build_sell(const Csr& csr, std::int64_t row_begin, std::int64_t row_end, std::int64_t cols,
                             int code_planes, bool store_masks, int row_entries = 1, int pad_code = 0) {
  SellBlock sell;
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
        for (int half = 0; half < row_entries; ++half) {
          sell.code_planes.push_back(static_cast<std::uint16_t>(planes[p] >> (16 * half)));
        }
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
SellBlock build_sell16x4(const Csr& csr, std::int64_t row_begin, std::int64_t row_end,
                                 const std::int8_t* weights, bool byte_codes, bool compact) {
  SellBlock sell;
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
          std::uint8_t column = kSell16x4Pad, code = 0;
          if (rows.next_before(csr, l, start + kSell16x4Window)) {
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
      for (std::size_t i = 0; i < codes.size(); ++i) {
        sell.slots[first + i] |= static_cast<std::uint8_t>((codes[i] & 3u) << 6);
      }
      for (std::size_t g = 0; g < codes.size(); g += 256) {
        for (std::size_t i = 0; i < 64; ++i) {
          unsigned byte = 0;
          for (std::size_t m = 0; m < 4 && g + 64 * m < codes.size(); ++m) {
            byte |= ((codes[g + 64 * m + i] >> 2) & 3u) << (2 * m);
          }
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
std::vector<PanelT> split_into_panels(const Csr& csr, const RowBlock& block, std::int64_t cols,
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
std::vector<Panel> build_csr16(const Csr& csr, const RowBlock& block, std::int64_t cols) {
  auto panels = split_into_panels<Panel>(csr, block, cols, LayerPlan::panel_cols,
                                                 [](Panel& panel, std::uint32_t col, std::uint8_t code) {
                                                   panel.cols.push_back(static_cast<std::uint16_t>(col));
                                                   panel.codes.push_back(code);
                                                 });
  for (Panel& panel : panels) {
    panel.cols.shrink_to_fit();
    panel.codes.shrink_to_fit();
  }
  return panels;
}

// The tcsr layout of one row block (layer_plan.h): its rows' entries in panels of tcsr_panel_cols columns.
std::vector<TcsrPanel> build_tcsr(const Csr& csr, const RowBlock& block, std::int64_t cols) {
  auto panels = split_into_panels<TcsrPanel>(
      csr, block, cols, LayerPlan::tcsr_panel_cols, [](TcsrPanel& panel, std::uint32_t col, std::uint8_t code) {
        panel.entries.push_back(static_cast<std::uint16_t>(code << 8 | col));
      });
  for (TcsrPanel& panel : panels) panel.entries.shrink_to_fit();
  return panels;
}

// The tcsrx2 layout of one row block (layer_plan.h): tcsr's panels with each row's entries two at a time, codes of a
// table of `entries` (16, 32 or 64); a row's odd last entry is paired with itself under the padding code.
std::vector<TcsrPanel> build_tcsr_pairs(const Csr& csr, const RowBlock& block, std::int64_t cols,
                                                int entries, int pad_code) {
  std::vector<TcsrPanel> panels = build_tcsr(csr, block, cols);
  for (TcsrPanel& panel : panels) {
    std::vector<std::uint32_t> row_ptr{0};
    for (std::size_t r = 0; r + 1 < panel.row_ptr.size(); ++r) {
      for (std::uint32_t k = panel.row_ptr[r]; k < panel.row_ptr[r + 1]; k += 2) {
        const std::uint32_t e1 = panel.entries[k];
        const std::uint32_t padding = static_cast<std::uint32_t>(pad_code) << 8 | (e1 & 255u);
        const std::uint32_t e2 = k + 1 < panel.row_ptr[r + 1] ? panel.entries[k + 1] : padding;
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

// The csc layout of one row block (layer_plan.h), from the layer's own column-major order.
CscBlock build_csc(const CompressedLayer& layer, const RowBlock& block) {
  CscBlock csc;
  const bool narrow = block.row_end - block.row_begin <= 4096 && layer.codebook.size() <= 16;
  csc.col_ptr.reserve(static_cast<std::size_t>(layer.cols) + 1);
  csc.col_ptr.push_back(0);
  std::uint32_t count = 0;
  for (std::int64_t j = 0; j < layer.cols; ++j) {
    const auto column = static_cast<std::size_t>(j);
    for (std::uint32_t k = layer.col_ptr[column]; k < layer.col_ptr[column + 1]; ++k) {
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

// Building one row block of each layout.
void build_csr16_block(const LayoutInput& in, RowBlock& block, std::int64_t cols) {
  block.panels = build_csr16(in.csr, block, cols);
}
void build_sell16_block(const LayoutInput& in, RowBlock& block, std::int64_t cols) {
  block.sell = build_sell(in.csr, block.row_begin, block.row_end, cols, in.code_planes, in.store_masks);
}
void build_sell16i8_block(const LayoutInput& in, RowBlock& block, std::int64_t cols) {
  build_sell16_block(in, block, cols);
  block.sell.row_weight_sums = row_weight_sums(in.csr, block.row_begin, block.row_end, in.int8_table);
}
void build_sell16x2_block(const LayoutInput& in, RowBlock& block, std::int64_t cols) {
  block.sell = build_sell(in.csr, block.row_begin, block.row_end, cols, in.code_planes, false, 2, in.pad_code);
}
void build_sell16x4_block(const LayoutInput& in, RowBlock& block, std::int64_t) {
  block.sell = build_sell16x4(in.csr, block.row_begin, block.row_end, in.int8_table, in.code_planes > 0, false);
}
void build_sell16x4c_block(const LayoutInput& in, RowBlock& block, std::int64_t) {
  block.sell = build_sell16x4(in.csr, block.row_begin, block.row_end, in.int8_table, false, true);
}
void build_tcsr_block(const LayoutInput& in, RowBlock& block, std::int64_t cols) {
  block.tcsr = build_tcsr(in.csr, block, cols);
}
void build_tcsrx2_block(const LayoutInput& in, RowBlock& block, std::int64_t cols) {
  block.tcsr = build_tcsr_pairs(in.csr, block, cols, 16 << in.code_planes, in.pad_code);
}
void build_csc_block(const LayoutInput& in, RowBlock& block, std::int64_t) { block.csc = build_csc(in.layer, block); }

// The bytes each layout keeps for one row block.
std::int64_t csr16_bytes(const RowBlock& block) {
  std::int64_t bytes = 0;
  for (const Panel& panel : block.panels) {
    bytes += static_cast<std::int64_t>(panel.row_ptr.size() * 4 + panel.cols.size() * 2 + panel.codes.size());
  }
  return bytes;
}
std::int64_t sell_bytes(const RowBlock& block) { return block.sell.bytes(); }
std::int64_t tcsr_bytes(const RowBlock& block) {
  std::int64_t bytes = 0;
  for (const TcsrPanel& panel : block.tcsr) {
    bytes += static_cast<std::int64_t>(panel.row_ptr.size() * 4 + panel.entries.size() * 2 + panel.pairs.size() * 4);
  }
  return bytes;
}
std::int64_t csc_bytes(const RowBlock& block) { return block.csc.bytes(); }

// The fields csr16 and tcsr share: panel p of `panels` of one row block.
template <class Args>
void set_panel_args(Args& args, const LayerTask& t, const RowBlock& block, std::int64_t col_begin, std::size_t p,
                    std::size_t panels) {
  args.rows = block.row_end - block.row_begin;
  args.table = t.plan->table();
  args.x = t.in + col_begin * t.batch;
  args.y = t.out + block.row_begin * t.batch;
  args.bias = t.plan->bias().empty() ? nullptr : t.plan->bias().data() + block.row_begin;
  args.first = p == 0;
  args.last = p + 1 == panels;
  args.activation = t.activation;
}

// Running one row block on each layout's kernel (t.kernel).
void run_csr16(const LayerTask& t, const RowBlock& block, std::size_t) {
  const std::size_t panels = block.panels.size();
  for (std::size_t p = 0; p < panels; ++p) {
    const Panel& panel = block.panels[p];
    SpmvArgs args;  // batch 1 (t.batch == 1)
    set_panel_args(args, t, block, panel.col_begin, p, panels);
    args.row_ptr = panel.row_ptr.data();
    args.cols = panel.cols.data();
    args.codes = panel.codes.data();
    args.table_size = t.plan->table_size();
    t.kernel->spmv(args);
  }
}

SellArgs sell_args(const LayerTask& t, const RowBlock& block) {
  SellArgs args;
  args.layer_ptr = block.sell.layer_ptr.data();
  args.slots = block.sell.slots.data();
  args.masks = t.plan->sell_stores_masks() ? block.sell.masks.data() : nullptr;
  args.windows = block.sell.windows.data();
  args.window_shift = block.sell.window_shift;
  args.code_planes = block.sell.code_planes.data();
  args.code_plane_count = t.plan->sell_code_planes();
  args.rows = block.row_end - block.row_begin;
  args.table = t.plan->table();
  args.x = t.in;
  args.cols = t.plan->cols();
  args.y = t.out + block.row_begin;
  args.bias = t.plan->bias().empty() ? nullptr : t.plan->bias().data() + block.row_begin;
  args.activation = t.activation;
  args.batch = t.batch;
  args.x_stride = t.in_stride;
  args.y_stride = t.out_stride;
  return args;
}
// The int8 layouts' fields: the codebook in 8 bits, its scale, the rows' weight sums, the quantized inputs.
void set_int8_args(SellArgs& args, const LayerTask& t, const RowBlock& block, std::size_t block_index) {
  args.int8_table = t.plan->int8_table();
  args.weight_scale = t.plan->weight_scale();
  args.row_weight_sums = block.sell.row_weight_sums.data();
  args.x_u8 = t.reduced_inputs_of(block_index);
}

void run_sell16(const LayerTask& t, const RowBlock& block, std::size_t) { t.kernel->sell(sell_args(t, block)); }
void run_sell16i8(const LayerTask& t, const RowBlock& block, std::size_t block_index) {
  SellArgs args = sell_args(t, block);
  set_int8_args(args, t, block, block_index);
  t.kernel->sell(args);
}
void run_sell16x2(const LayerTask& t, const RowBlock& block, std::size_t block_index) {
  SellArgs args = sell_args(t, block);
  args.pad_code = t.plan->sell_pad_code();
  args.x_bf16 = reinterpret_cast<std::uint16_t*>(t.reduced_inputs_of(block_index));
  t.kernel->sell(args);
}
template <bool compact>
void run_sell16x4(const LayerTask& t, const RowBlock& block, std::size_t block_index) {
  SellArgs args = sell_args(t, block);
  set_int8_args(args, t, block, block_index);
  args.slot_codes = block.sell.slot_codes.data();
  args.compact_codes = compact;
  t.kernel->sell(args);
}

template <bool pairs>
void run_tcsr(const LayerTask& t, const RowBlock& block, std::size_t block_index) {
  const std::size_t panels = block.tcsr.size();
  for (std::size_t p = 0; p < panels; ++p) {
    const TcsrPanel& panel = block.tcsr[p];
    TcsrArgs args;
    set_panel_args(args, t, block, panel.col_begin, p, panels);
    args.row_ptr = panel.row_ptr.data();
    args.entries = panel.entries.data();
    args.batch = t.batch;
    if (pairs) {
      args.pairs = panel.pairs.data();
      args.pair_table = t.plan->pair_table();
      args.table_entries = t.plan->pair_table_entries();
      args.pad_code = t.plan->sell_pad_code();
      args.cols = std::min(LayerPlan::tcsr_panel_cols, t.plan->cols() - panel.col_begin);
      args.x_bf16 = reinterpret_cast<std::uint16_t*>(t.reduced_inputs_of(block_index));
    }
    t.kernel->tcsr(args);
  }
  if (t.batch_major_out != nullptr) {
    t.transpose(t.out + block.row_begin * t.batch, t.batch, t.batch_major_out + block.row_begin,
                t.batch_major_stride, block.row_end - block.row_begin, t.batch);
  }
}

void run_csc(const LayerTask& t, const RowBlock& block, std::size_t) {
  CscArgs args;
  args.col_ptr = block.csc.col_ptr.data();
  args.entries16 = block.csc.entries16.empty() ? nullptr : block.csc.entries16.data();
  args.entries32 = block.csc.entries32.data();
  args.rows = block.row_end - block.row_begin;
  args.cols = t.plan->cols();
  args.table = t.plan->table();
  args.x = t.in;
  args.y = t.out + block.row_begin;
  args.bias = t.plan->bias().empty() ? nullptr : t.plan->bias().data() + block.row_begin;
  args.activation = t.activation;
  t.kernel->csc(args);
}

// Per thread: a chunk of the layer's inputs in bf16 (whole cache lines per input) or in 8 bits.
std::int64_t sell16x2_inputs(std::int64_t cols, std::int64_t max_batch) {
  return 2 * sell16x2_input_words(cols) * std::min(max_batch, kSell16x2Chunk);
}
std::int64_t tcsrx2_inputs(std::int64_t, std::int64_t) { return 2 * kTcsrx2Words; }
std::int64_t sell16i8_inputs(std::int64_t cols, std::int64_t max_batch) {
  return sell16i8_input_bytes(cols) * std::min(max_batch, kSell16i8Chunk);
}
std::int64_t sell16x4_inputs(std::int64_t cols, std::int64_t max_batch) {
  return sell16x4_input_bytes(cols) * std::min(max_batch, kSell16x4Chunk);
}

// The table, in LayoutId's order. tcsr at batch 1 (a forced tcsr) has no measured cost: csr16's per entry.
constexpr LayoutTraits kLayouts[] = {
    {LayoutId::csr16, "spmv_csr16", TableInName::table, false, build_csr16_block, csr16_bytes,
     run_csr16, nullptr, 0.0, kCsr16CyclesPerEntry},
    {LayoutId::sell16, "spmv_sell16", TableInName::code_planes, true, build_sell16_block,
     sell_bytes, run_sell16, nullptr, kSellCyclesPerLayer, 0.0},
    {LayoutId::sell16i8, "spmv_sell16i8", TableInName::code_planes, true, build_sell16i8_block,
     sell_bytes, run_sell16i8, sell16i8_inputs, kSellCyclesPerLayer, 0.0},
    {LayoutId::sell16x2, "spmv_sell16x2", TableInName::code_planes, false, build_sell16x2_block,
     sell_bytes, run_sell16x2, sell16x2_inputs, kSellCyclesPerLayer, 0.0},
    {LayoutId::sell16x4, "spmv_sell16x4", TableInName::code_planes, false,
     build_sell16x4_block, sell_bytes, run_sell16x4<false>, sell16x4_inputs, kSell16x4CyclesPerLayer, 0.0},
    {LayoutId::sell16x4c, "spmv_sell16x4c", TableInName::code_planes, false,
     build_sell16x4c_block, sell_bytes, run_sell16x4<true>, sell16x4_inputs, kSell16x4CyclesPerLayer, 0.0},
    {LayoutId::tcsr, "spmm_tcsr", TableInName::table, false, build_tcsr_block, tcsr_bytes,
     run_tcsr<false>, nullptr, 0.0, kCsr16CyclesPerEntry},
    {LayoutId::tcsrx2, "spmm_tcsrx2", TableInName::code_planes, false, build_tcsrx2_block,
     tcsr_bytes, run_tcsr<true>, tcsrx2_inputs, 0.0, kCsr16CyclesPerEntry},
    {LayoutId::csc, "spmv_csc", TableInName::none, false, build_csc_block, csc_bytes, run_csc,
     nullptr, 0.0, kCscCyclesPerVisit},
};

constexpr bool rows_in_id_order() {
  for (std::size_t i = 0; i < std::size(kLayouts); ++i) {
    if (static_cast<std::size_t>(kLayouts[i].id) != i) return false;
  }
  return true;
}
static_assert(rows_in_id_order(), "kLayouts lists the layouts in LayoutId's order");

}  // namespace

const LayoutTraits& layout_traits(LayoutId id) { return kLayouts[static_cast<std::size_t>(id)]; }

}  // namespace eie::engine

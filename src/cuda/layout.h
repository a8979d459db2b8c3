// The GPU plan of one layer: the canonical CompressedLayer re-encoded into the two layouts the kernels read
// (kernels.h), built on the host at plan time and then copied to the device. Kept apart from any CUDA call so
// that tests can check it on machines without a GPU.
#pragma once

#include <cstdint>
#include <vector>

#include "eie/core.h"

namespace eie::cuda {

struct LayerLayout {
  int panels = 0;                             // ceil(cols / kPanelCols)
  std::vector<std::uint32_t> col_ptr;         // batch 1: cols + 1 offsets into csc
  std::vector<std::uint32_t> csc;             // batch 1: row << 8 | code, columns in order, rows ascending
  std::vector<std::uint32_t> panel_ptr;       // batch > 1: rows * panels + 1 offsets (empty when not planned)
  std::vector<std::uint16_t> panel_entries;   // batch > 1: (column % kPanelCols) << 8 | code, per row by column
  std::vector<float> table;                   // the codebook padded with zeros to kTableSize entries

  // Device bytes of the layouts and the table (the bias is counted by the caller).
  std::int64_t bytes() const;
};

// Throws Error naming the layer when it has more than 2^24 rows (the packed row field) or more than 2^31 - 1
// columns.
void check_layout_limits(const CompressedLayer& layer);
// Throws as check_layout_limits. `with_panels` = false plans only the batch-1 layout.
LayerLayout plan_layout(const CompressedLayer& layer, bool with_panels);
// Device bytes plan_layout(layer, with_panels) will take (layouts and table), without building them.
std::int64_t planned_layout_bytes(const CompressedLayer& layer, bool with_panels);

}  // namespace eie::cuda

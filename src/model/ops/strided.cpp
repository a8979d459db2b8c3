// gather_strided: the data movement of Expand, Transpose and Slice on a collapsed strided walk (strided.h).
#include "model/ops/strided.h"

#include <algorithm>

namespace eie::ops {

void gather_strided(const Tensor& x, std::int64_t offset, const std::vector<std::int64_t>& strides, Tensor& y) {
  const float* in = x.data.data();
  float* out = y.data.data();
  const StridedWalk<1> walk(y.shape, {strides.data()});
  if (!walk.ok()) {  // more dimensions than the walk holds even after collapsing: one odometer step per element
    for_each_offset(y.shape, {strides}, {offset}, [&](std::int64_t i, const std::vector<std::int64_t>& at) {
      out[i] = in[at[0]];
    });
    return;
  }
  const std::int64_t n = walk.row_size(), stride = walk.row_stride(0);
  walk.for_each_row({offset}, [&](const std::array<std::int64_t, 1>& at) {
    const float* src = in + at[0];
    if (stride == 1) std::copy(src, src + n, out);
    else if (stride == 0) std::fill(out, out + n, *src);
    else for (std::int64_t i = 0; i < n; ++i) out[i] = src[i * stride];
    out += n;
  });
}

}  // namespace eie::ops

// StridedGather: the data movement of Expand, Transpose, Slice and the reshapes on a collapsed strided walk
// (strided.h).
#include "model/ops/strided.h"

#include <algorithm>

namespace eie::ops {

StridedGather::StridedGather(const Shape& out, std::int64_t offset, std::vector<std::int64_t> strides)
    : out_(out), offset_(offset), strides_(std::move(strides)), walk_(out_, {strides_.data()}) {}

void StridedGather::run(const float* in, float* out) const {
  if (!walk_.ok()) {  // more dimensions than the walk holds even after collapsing: one odometer step per element
    for_each_offset(out_, {strides_}, {offset_}, [&](std::int64_t i, const std::vector<std::int64_t>& at) {
      out[i] = in[at[0]];
    });
    return;
  }
  const std::int64_t n = walk_.row_size(), stride = walk_.row_stride(0);
  walk_.for_each_row({offset_}, [&](const std::array<std::int64_t, 1>& at) {
    const float* src = in + at[0];
    if (stride == 1) std::copy(src, src + n, out);
    else if (stride == 0) std::fill(out, out + n, *src);
    else for (std::int64_t i = 0; i < n; ++i) out[i] = src[i * stride];
    out += n;
  });
}

void gather_strided(const Tensor& x, const Operator::StridedRead& read, Tensor& y) {
  StridedGather(y.shape, read.offset, read.strides).run(x.data.data(), y.data.data());
}

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

}  // namespace eie::ops

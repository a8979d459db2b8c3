// Walking an output tensor and the operands it reads through strides (broadcasting, transposing, slicing), as
// few loops as the layout allows. A decode step of a language model runs hundreds of such element-wise nodes on
// tensors like [1, 1, 256] op [256]: an odometer over every dimension per element costs several times the
// arithmetic. Here dimensions of size 1 are dropped and neighbours merged where every operand steps through them
// as one run (the broadcast bias becomes one row of 256, a transpose that moves only size-1 dimensions one
// contiguous copy), so the element loop is an innermost loop over contiguous or constant operands that the
// compiler vectorizes, and nothing is allocated.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "eie/model.h"

namespace eie::ops {

// The collapsed iteration of an output of shape `out` whose element at index i reads operand k at
// offset[k] + sum_d i_d * strides[k][d]. Rows are the innermost collapsed dimension.
template <std::size_t N>
class StridedWalk {
 public:
  static constexpr std::size_t kMaxRank = 12;  // beyond it (after collapsing) ok() is false: use the odometer
  StridedWalk(const Shape& out, const std::array<const std::int64_t*, N>& strides) {
    build(out, [&](std::size_t k, std::size_t d) { return strides[k][d]; });
  }
  // The walk of numpy broadcasting: operand k has shape *shapes[k], right-aligned to `out`.
  static StridedWalk broadcast(const Shape& out, const std::array<const Shape*, N>& shapes) {
    StridedWalk walk;
    std::array<std::int64_t, N> run;  // operand k's elements inside dimension d, built innermost first
    run.fill(1);
    walk.build(out, [&](std::size_t k, std::size_t d) {
      const Shape& s = *shapes[k];
      const std::size_t lead = out.size() - s.size();
      if (d < lead || s[d - lead] == 1) return std::int64_t{0};
      const std::int64_t stride = run[k];
      run[k] *= s[d - lead];
      return stride;
    });
    return walk;
  }
  bool ok() const { return ok_; }
  // Elements per row, and operand k's stride along the row.
  std::int64_t row_size() const { return size_[0]; }
  std::int64_t row_stride(std::size_t k) const { return stride_[k][0]; }
  // Calls row(offsets) for each row in row-major order of the output (rows are consecutive in the output),
  // offsets[k] being operand k's offset of the row's first element (starting from `first`).
  template <class Row>
  void for_each_row(std::array<std::int64_t, N> first, Row&& row) const {
    if (empty_) return;
    std::array<std::int64_t, kMaxRank> index{};
    std::array<std::int64_t, N> at = first;
    while (true) {
      row(at);
      std::size_t d = 1;
      for (; d < rank_; ++d) {  // odometer over the outer collapsed dimensions
        for (std::size_t k = 0; k < N; ++k) at[k] += stride_[k][d];
        if (++index[d] < size_[d]) break;
        for (std::size_t k = 0; k < N; ++k) at[k] -= stride_[k][d] * size_[d];
        index[d] = 0;
      }
      if (d >= rank_) return;
    }
  }

 private:
  StridedWalk() = default;
  // stride_of(k, d): operand k's stride along output dimension d, asked for every k and each d from the
  // innermost outwards (dimensions of size 1 included, so that broadcast() can count its runs).
  template <class StrideOf>
  void build(const Shape& out, StrideOf stride_of) {
    for (std::size_t d = out.size(); d-- > 0;) {
      const std::int64_t size = out[d];
      std::array<std::int64_t, N> stride;
      for (std::size_t k = 0; k < N; ++k) stride[k] = stride_of(k, d);
      if (size == 0) {
        empty_ = true;
        return;
      }
      if (size == 1) continue;
      if (rank_ > 0) {
        bool merges = true;
        for (std::size_t k = 0; k < N; ++k) merges = merges && stride[k] == stride_[k][rank_ - 1] * size_[rank_ - 1];
        if (merges) {
          size_[rank_ - 1] *= size;
          continue;
        }
      }
      if (rank_ == kMaxRank) {
        ok_ = false;
        return;
      }
      size_[rank_] = size;
      for (std::size_t k = 0; k < N; ++k) stride_[k][rank_] = stride[k];
      ++rank_;
    }
    if (rank_ == 0) {  // a single element
      size_[0] = 1;
      for (std::size_t k = 0; k < N; ++k) stride_[k][0] = 0;
      rank_ = 1;
    }
  }
  std::array<std::int64_t, kMaxRank> size_{};
  std::array<std::array<std::int64_t, kMaxRank>, N> stride_{};
  std::size_t rank_ = 0;
  bool ok_ = true;
  bool empty_ = false;
};

// The plain odometer, one step per element, where the walk does not serve (more than kMaxRank dimensions after
// collapsing; small shape computations): calls f(i, at) for each element i of `out` in row-major order, at[k]
// being operand k's offset: its starting offset at[k] plus sum_d i_d * strides[k][d].
template <class F>
void for_each_offset(const Shape& out, const std::vector<std::vector<std::int64_t>>& strides,
                     std::vector<std::int64_t> at, F&& f) {
  std::vector<std::int64_t> index(out.size(), 0);
  const std::int64_t n = shape_numel(out);
  for (std::int64_t i = 0; i < n; ++i) {
    f(i, std::as_const(at));
    for (std::size_t d = out.size(); d-- > 0;) {
      ++index[d];
      for (std::size_t k = 0; k < at.size(); ++k) at[k] += strides[k][d];
      if (index[d] < out[d]) break;
      for (std::size_t k = 0; k < at.size(); ++k) at[k] -= strides[k][d] * out[d];
      index[d] = 0;
    }
  }
}

// y[i] = x[offset + sum_d i_d * strides[d]] over an output shape (Operator::strided_read: Expand, Transpose,
// Slice, the reshapes), the walk collapsed once at construction: contiguous rows copied. For a plan's fixed
// shapes it is built once and run many times.
class StridedGather {
 public:
  StridedGather(const Shape& out, std::int64_t offset, std::vector<std::int64_t> strides);
  void run(const float* x, float* y) const;

 private:
  Shape out_;
  std::int64_t offset_;
  std::vector<std::int64_t> strides_;
  StridedWalk<1> walk_;
};

// One gather, for an operator's run() (shapes known only then).
void gather_strided(const Tensor& x, const Operator::StridedRead& read, Tensor& y);
// The contiguous row-major strides of `shape`: a reshape's read.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);

}  // namespace eie::ops

// Activation read/write: the destination registers of one PE (its rows' accumulators, started from the bias)
// and the count of its source activations. Rows are interleaved like the next layer's columns (row i on PE
// i mod N), so a layer's destination file is the next layer's source file: the two swap roles between layers
// (run_alexnet_chain does the swap). A write requested in propagate lands at the clock edge.
#pragma once

#include <cstdint>
#include <vector>

namespace eie::sim {

class ActivationReadWrite {
 public:
  ActivationReadWrite() = default;
  void reset(std::vector<std::int32_t> initial) { dest_ = std::move(initial); }

  std::int32_t read(std::uint32_t row) {
    ++reads_;
    return dest_[row];
  }
  void write(std::uint32_t row, std::int32_t value) {
    pending_ = true;
    pending_row_ = row;
    pending_value_ = value;
  }
  void update() {
    if (pending_) {
      dest_[pending_row_] = pending_value_;
      ++writes_;
      pending_ = false;
    }
  }

  const std::vector<std::int32_t>& dest() const { return dest_; }
  std::int64_t reads() const { return reads_; }
  std::int64_t writes() const { return writes_; }

 private:
  std::vector<std::int32_t> dest_;
  bool pending_ = false;
  std::uint32_t pending_row_ = 0;
  std::int32_t pending_value_ = 0;
  std::int64_t reads_ = 0;
  std::int64_t writes_ = 0;
};

}  // namespace eie::sim

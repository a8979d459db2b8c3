// Pointer read: pops the head of the activation queue and reads p[j] and p[j+1] in the same cycle from the two
// single-ported banks (even and odd addresses, so the two are always in different banks). The result waits in
// one register for the sparse-matrix read unit. A column with no entries on this PE (p[j] == p[j+1]) is
// dropped here: it costs this stage one cycle and the sparse-matrix read nothing.
#pragma once

#include <cstdint>

#include "eie/core.h"
#include "sim/activation_queue.h"
#include "sim/reg.h"

namespace eie::sim {

struct ColumnRange {
  bool valid = false;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  std::int32_t a = 0;
};

class PointerRead {
 public:
  PointerRead(const std::uint32_t* col_ptr, const EieEntry* entries) : col_ptr_(col_ptr), entries_(entries) {}

  const ColumnRange& out() const { return out_.get(); }
  // Only a hint to the host's cache (the simulated column will be read from here); no simulated effect.
  void prefetch(std::uint32_t j) const { __builtin_prefetch(col_ptr_ + j); }
  bool holding() const { return out_.get().valid; }

  // `taken`: the sparse-matrix read takes out() in this cycle.
  void propagate(ActivationQueue& queue, bool taken) {
    if ((!out_.get().valid || taken) && !queue.empty()) {
      const QueueItem item = queue.front();
      queue.pop();
      const std::uint32_t begin = col_ptr_[item.j];
      const std::uint32_t end = col_ptr_[item.j + 1];
      ++columns_;
      if (begin < end) {
        __builtin_prefetch(entries_ + begin);  // host-cache hint only
        out_.set({true, begin, end, item.a});
      } else {
        ++empty_columns_;
        out_.set({});
      }
    } else if (taken) {
      out_.set({});
    }
  }
  void update() { out_.update(); }

  std::int64_t columns() const { return columns_; }
  std::int64_t empty_columns() const { return empty_columns_; }

 private:
  const std::uint32_t* col_ptr_;
  const EieEntry* entries_;
  Reg<ColumnRange> out_;
  std::int64_t columns_ = 0;
  std::int64_t empty_columns_ = 0;
};

}  // namespace eie::sim

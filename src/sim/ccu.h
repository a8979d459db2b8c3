// The central control unit: the distributed leading-non-zero-detection (LNZD) quadtree finds the next non-zero
// input activation and broadcasts (a_j, j) to every PE, one per cycle, unless some PE's activation queue is
// full (registered: the queue's state at the last edge). The tree (one node per 4 children, ceil(log4 N)
// levels) is a pipeline that freezes on a stall, so its only timing effect is a start-up latency of one cycle
// per level (Config::ccu_latency overrides it). The list of non-zero columns is what the tree's scan yields;
// computing it before the run is equivalent and keeps the per-cycle work O(1).
#pragma once

#include <cstdint>
#include <span>

#include "sim/reg.h"

namespace eie::sim {

struct Broadcast {
  bool valid = false;
  std::int32_t a = 0;
  std::uint32_t j = 0;
};

class Ccu {
 public:
  Ccu(std::span<const std::uint32_t> nonzero_columns, std::span<const std::int32_t> x, int latency, int lnzd_nodes)
      : columns_(nonzero_columns), x_(x), warmup_(latency), nodes_(lnzd_nodes) {}

  bool done() const { return warmup_.get() == 0 && next_.get() >= columns_.size(); }

  Broadcast propagate(bool any_queue_full) {
    if (warmup_.get() > 0) {
      warmup_.set(warmup_.get() - 1);
      return {};
    }
    const std::size_t next = next_.get();
    if (next >= columns_.size()) return {};
    if (any_queue_full) {
      ++stall_cycles_;
      return {};
    }
    next_.set(next + 1);
    ++broadcasts_;
    node_activations_ += nodes_;
    const std::uint32_t j = columns_[next];
    return {true, x_[j], j};
  }

  void update() {
    warmup_.update();
    next_.update();
  }

  std::int64_t broadcasts() const { return broadcasts_; }
  std::int64_t stall_cycles() const { return stall_cycles_; }
  std::int64_t node_activations() const { return node_activations_; }

 private:
  std::span<const std::uint32_t> columns_;
  std::span<const std::int32_t> x_;
  Reg<int> warmup_;
  Reg<std::size_t> next_{0};
  int nodes_;
  std::int64_t broadcasts_ = 0;
  std::int64_t stall_cycles_ = 0;
  std::int64_t node_activations_ = 0;
};

}  // namespace eie::sim

// One processing element: the blocks of the paper's Figure 4 wired in one place. propagate() runs the blocks
// downstream first, because each block's "I take your output this cycle" is a combinational signal the block
// upstream needs (the arithmetic unit always accepts; the sparse-matrix read tells the pointer read; the
// pointer read pops the queue). Everything they read is registered state, so update() order is free.
#pragma once

#include <cstdint>
#include <vector>

#include "eie/core.h"
#include "sim/activation_queue.h"
#include "sim/activation_rw.h"
#include "sim/arithmetic_unit.h"
#include "sim/ccu.h"
#include "sim/pointer_read.h"
#include "sim/spmat_read.h"

namespace eie::sim {

class Pe {
 public:
  Pe(const PeSlice& slice, const Config& config, const std::vector<std::int32_t>* codebook, FixedFormat format)
      : queue(config.fifo_depth),
        pointer_read(slice.col_ptr.data(), slice.entries.data()),
        spmat_read(slice.entries.data(), config.entries_per_line(), config.reuse_line),
        arithmetic(codebook, format),
        depth_(config.fifo_depth),
        pointer_in_queue_(config.queue_includes_pointer) {}

  // The "full" flag the CCU sees (registered). With Config::queue_includes_pointer the column waiting in the
  // pointer read's register counts against the queue depth.
  bool queue_full() const {
    return queue.full() || (pointer_in_queue_ && queue.size() + (pointer_read.holding() ? 1 : 0) >= depth_);
  }

  // True when nothing is in flight: a cycle without a broadcast changes nothing but the idle counters.
  bool idle() const {
    return queue.empty() && !pointer_read.holding() && !spmat_read.active() && !spmat_read.out().valid &&
           arithmetic.empty();
  }

  // Returns whether an entry was issued to the arithmetic unit (a busy cycle).
  bool propagate(const Broadcast& broadcast) {
    arithmetic.propagate(spmat_read.out(), activations);
    const SpmatRead::Step step = spmat_read.propagate(pointer_read.out());
    pointer_read.propagate(queue, step.taken);
    if (broadcast.valid) {
      queue.push({broadcast.a, broadcast.j});
      pointer_read.prefetch(broadcast.j);  // host-cache hint for the pointer read a few cycles later
    }
    return step.issued;
  }

  void update() {
    queue.update();
    pointer_read.update();
    spmat_read.update();
    arithmetic.update();
    activations.update();
  }

  ActivationQueue queue;
  PointerRead pointer_read;
  SpmatRead spmat_read;
  ArithmeticUnit arithmetic;
  ActivationReadWrite activations;
  // Cycle accounting kept in the PE (hot); the other counters live in the blocks.
  struct CycleCounters {
    std::int64_t busy = 0, starved = 0, drained = 0, queue_full = 0;
  } counters;

 private:
  int depth_;
  bool pointer_in_queue_;
};

}  // namespace eie::sim

// The activation queue of one PE: a FIFO of broadcast (a_j, j) pairs, so that a PE busy with a long column
// does not hold up the others until its queue fills (the paper's load-balancing buffer, depth 8).
#pragma once

#include <cstdint>

#include "sim/bounded_fifo.h"

namespace eie::sim {

struct QueueItem {
  std::int32_t a = 0;
  std::uint32_t j = 0;
};

using ActivationQueue = BoundedFifo<QueueItem>;

}  // namespace eie::sim

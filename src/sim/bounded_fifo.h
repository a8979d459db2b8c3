// BoundedFifo<T>: a fixed-capacity queue with two-phase semantics and its own statistics. During propagate a
// block sees only the occupancy latched at the last edge (full(), empty(), front()); push() and pop() are
// requests applied by update(). So "full" is a registered signal: a slot freed by a pop becomes usable in the
// next cycle (with depth 1 the queue alternates push, pop: half throughput, as the paper observes). The ring
// buffer is allocated once; nothing allocates per cycle.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

namespace eie::sim {

template <typename T>
class BoundedFifo {
 public:
  explicit BoundedFifo(int capacity)
      : items_(static_cast<std::size_t>(capacity)), occupancy_(static_cast<std::size_t>(capacity) + 1, 0) {}

  int capacity() const { return static_cast<int>(items_.size()); }
  int size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == capacity(); }
  const T& front() const { assert(size_ > 0); return items_[head_]; }

  void push(const T& item) { assert(!full()); pending_push_ = true; pushed_ = item; }
  void pop() { assert(!empty()); pending_pop_ = true; }

  void update() {
    ++occupancy_[static_cast<std::size_t>(size_)];
    if (pending_pop_) {
      head_ = head_ + 1 == items_.size() ? 0 : head_ + 1;
      --size_;
      ++pops_;
      pending_pop_ = false;
    }
    if (pending_push_) {
      std::size_t tail = head_ + static_cast<std::size_t>(size_);
      if (tail >= items_.size()) tail -= items_.size();
      items_[tail] = pushed_;
      ++size_;
      ++pushes_;
      pending_push_ = false;
    }
  }
  // An idle cycle (nothing requested) in O(1): only the occupancy histogram moves.
  void idle_cycles(std::int64_t n) { occupancy_[static_cast<std::size_t>(size_)] += n; }

  std::int64_t pushes() const { return pushes_; }
  std::int64_t pops() const { return pops_; }
  const std::vector<std::int64_t>& occupancy() const { return occupancy_; }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;
  int size_ = 0;
  bool pending_push_ = false;
  bool pending_pop_ = false;
  T pushed_{};
  std::int64_t pushes_ = 0;
  std::int64_t pops_ = 0;
  std::vector<std::int64_t> occupancy_;  // cycles spent at each occupancy
};

}  // namespace eie::sim

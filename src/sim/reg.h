// Reg<T>: a clocked register with two-phase semantics. propagate() code reads get() (the value latched at the
// last clock edge) and writes set() (the value for the next edge); update() latches. Because nothing set in
// this cycle is visible before update(), the order in which blocks are updated does not matter. A register
// not set in a cycle keeps its value.
#pragma once

#include <utility>

namespace eie::sim {

template <typename T>
class Reg {
 public:
  Reg() = default;
  explicit Reg(T value) : cur_(value), next_(value) {}
  const T& get() const { return cur_; }
  void set(const T& value) { next_ = value; }
  void update() { cur_ = next_; }
  void reset(const T& value) { cur_ = next_ = value; }

 private:
  T cur_{};
  T next_{};
};

}  // namespace eie::sim

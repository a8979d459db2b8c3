// A minimal fork-join over std::thread for the compress module's few O(n) passes (sort, assignment). The work
// items are hundreds of milliseconds long, so spawning per call costs nothing measurable.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace eie::detail {

// Calls fn(thread, begin, end) on `threads` contiguous slices of [0, n); thread 0 runs on the caller.
template <class Fn>
void parallel_slices(int threads, std::size_t n, Fn&& fn) {
  const auto t = static_cast<std::size_t>(std::max(1, threads));
  const std::size_t used = std::max<std::size_t>(1, std::min(t, n / 4096 + 1));
  std::vector<std::thread> workers;
  for (std::size_t i = 1; i < used; ++i) {
    workers.emplace_back([&fn, i, n, used] { fn(i, n * i / used, n * (i + 1) / used); });
  }
  fn(std::size_t{0}, std::size_t{0}, n / used);
  for (std::thread& w : workers) w.join();
}

inline std::size_t slices_for(int threads, std::size_t n) {
  const auto t = static_cast<std::size_t>(std::max(1, threads));
  return std::max<std::size_t>(1, std::min(t, n / 4096 + 1));
}

}  // namespace eie::detail

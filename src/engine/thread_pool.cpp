#include "engine/thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <chrono>
#include <mutex>

namespace eie::engine {
namespace {

// A spinning thread's hint to the core that it waits (the sibling hyperthread, or the power budget, gets the cycles).
inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(threads) {
  for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

bool ThreadPool::claim(std::uint32_t generation, std::size_t& index) {
  // The low half counts the tasks left; claiming takes the highest one left.
  std::uint64_t current = claim_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<std::uint32_t>(current >> 32) != generation) return false;
    const std::uint64_t left = current & 0xffffffffu;
    if (left == 0) return false;
    if (claim_.compare_exchange_weak(current, current - 1, std::memory_order_acq_rel)) {
      index = static_cast<std::size_t>(left - 1);
      return true;
    }
  }
}

void ThreadPool::worker_loop() {
  std::uint32_t seen = generation_.load(std::memory_order_acquire);
  for (;;) {
    // Spin for a while, then sleep until the generation changes.
    const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
    std::uint32_t now = generation_.load(std::memory_order_acquire);
    for (int i = 0; now == seen && !stop_.load(); ++i) {
      cpu_relax();
      if ((i & 255) == 255 && std::chrono::steady_clock::now() > spin_until) {
        std::unique_lock<std::mutex> lock(sleep_mutex_);
        sleepers_.fetch_add(1);
        wake_.wait(lock, [&] { return generation_.load() != seen || stop_.load(); });
        sleepers_.fetch_sub(1);
      }
      now = generation_.load(std::memory_order_acquire);
    }
    seen = now;
    if (stop_.load()) return;
    std::size_t index = 0;
    while (claim(seen, index)) {
      task_(context_, index);
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }
}

void ThreadPool::parallel_for(std::size_t tasks, void (*task)(void*, std::size_t), void* context) {
  if (workers_.empty() || tasks <= 1) {
    for (std::size_t i = 0; i < tasks; ++i) task(context, i);
    return;
  }
  // Publish the job: fields first, then the claim word of the new generation, then the wake-up.
  const std::uint32_t generation = generation_.load(std::memory_order_relaxed) + 1;
  task_ = task;
  context_ = context;
  done_.store(0, std::memory_order_relaxed);
  claim_.store(static_cast<std::uint64_t>(generation) << 32 | tasks, std::memory_order_release);
  generation_.store(generation);  // sequentially consistent with the sleepers_ handshake below
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(sleep_mutex_);  // a worker between its check and its wait sees the new value
    wake_.notify_all();
  }
  std::size_t index = 0;
  std::size_t mine = 0;
  while (claim(generation, index)) {
    task(context, index);
    ++mine;
  }
  // Wait only for the tasks workers claimed and are still running.
  while (done_.load(std::memory_order_acquire) + mine < tasks) cpu_relax();
}

}  // namespace eie::engine

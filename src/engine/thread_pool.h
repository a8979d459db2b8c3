// The engine's threads: a thin wrapper over Debian's pthreadpool. Its workers persist between calls and spin
// before they sleep, so handing a layer of a few microseconds to two threads costs far less than a futex
// wake-up; the calling thread runs one share of the work itself. One task = one planned row block.
#pragma once

#include <cstddef>

struct pthreadpool;

namespace eie::engine {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads >= 1; 1 runs everything on the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  // Calls task(context, i) for i in [0, tasks), spread over the threads; returns when all are done.
  void parallel_for(std::size_t tasks, void (*task)(void*, std::size_t), void* context);

 private:
  int threads_ = 1;
  pthreadpool* pool_ = nullptr;
};

}  // namespace eie::engine

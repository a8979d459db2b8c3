#include "engine/thread_pool.h"

#include <pthreadpool.h>

#include <new>

namespace eie::engine {

ThreadPool::ThreadPool(int threads) : threads_(threads) {
  if (threads_ > 1) {
    pool_ = pthreadpool_create(static_cast<std::size_t>(threads_));
    if (pool_ == nullptr) throw std::bad_alloc();
  }
}

ThreadPool::~ThreadPool() {
  if (pool_ != nullptr) pthreadpool_destroy(pool_);
}

void ThreadPool::parallel_for(std::size_t tasks, void (*task)(void*, std::size_t), void* context) {
  if (pool_ == nullptr || tasks <= 1) {
    for (std::size_t i = 0; i < tasks; ++i) task(context, i);
    return;
  }
  pthreadpool_parallelize_1d(pool_, task, context, tasks, 0);
}

}  // namespace eie::engine

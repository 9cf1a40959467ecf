// Runs one image's work (a decode, a tiling) on the image pool's workers and settles a Promise with its
// result, as runAsync (async_task.h) does on libuv's pool. Image work stays off libuv's threads so that
// the host process's file, DNS and compression work neither queues behind images nor inherits the
// image threads' lowered priority (image/work_priority.h), and UV_THREADPOOL_SIZE does not cap how many
// images are in flight. The result comes back to the JS thread through a thread-safe function, which
// keeps the event loop alive while the task is pending.
#pragma once

#include <napi.h>

#include <memory>

#include "image/image_pool.h"
#include "napi/promise_task.h"

namespace vl2::napi {

template <typename Result>
class ImageTask {
 public:
  static Napi::Promise run(Napi::Env env, typename PromiseTask<Result>::Work work,
                           typename PromiseTask<Result>::ToJs toJs) {
    auto task = std::unique_ptr<ImageTask>(new ImageTask(env, std::move(work), std::move(toJs)));
    Napi::Promise promise = task->task_.promise();
    // The C API, not Napi::TypedThreadSafeFunction: that template compares its callback's address in
    // a constant expression, which GCC refuses under -fsanitize=undefined (the ASan/UBSan build).
    const Napi::String name = Napi::String::New(env, "deepseek-vl2 image task");
    const napi_status status = napi_create_threadsafe_function(
        env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, &ImageTask::settle, &task->done_);
    NAPI_THROW_IF_FAILED(env, status, promise);
    ImageTask* running = task.release();  // deleted by settle
    image::imagePool().post([running] { running->execute(); });
    return promise;
  }

 private:
  ImageTask(Napi::Env env, typename PromiseTask<Result>::Work work, typename PromiseTask<Result>::ToJs toJs)
      : task_(env, std::move(work), std::move(toJs)) {}

  static void settle(napi_env env, napi_value, void*, void* data) {
    // No environment: the process is ending. The task holds JS references that only the JS thread
    // may free, so it is left to the exit.
    if (env == nullptr) return;
    std::unique_ptr<ImageTask> owned(static_cast<ImageTask*>(data));
    owned->task_.settle(Napi::Env(env));
  }

  // On a pool worker.
  void execute() noexcept {
    task_.execute();
    napi_threadsafe_function done = done_;  // settle may delete this task before the call returns
    // Not napi_ok only while the environment closes; the task is then left to the exit (see settle).
    napi_call_threadsafe_function(done, this, napi_tsfn_blocking);
    napi_release_threadsafe_function(done, napi_tsfn_release);
  }

  PromiseTask<Result> task_;
  napi_threadsafe_function done_ = nullptr;
};

template <typename Result>
Napi::Promise runOnImagePool(Napi::Env env, typename PromiseTask<Result>::Work work,
                             typename PromiseTask<Result>::ToJs toJs) {
  return ImageTask<Result>::run(env, std::move(work), std::move(toJs));
}

}  // namespace vl2::napi

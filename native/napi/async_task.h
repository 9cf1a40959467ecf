// Runs work on the libuv thread pool and settles a Promise with its result, so
// no forward pass or load ever runs on the JS thread. Native errors reject the
// promise with the same typed JS error a synchronous call would throw.
#pragma once

#include <napi.h>

#include "napi/promise_task.h"

namespace vl2::napi {

template <typename Result>
class AsyncTask : public Napi::AsyncWorker {
 public:
  AsyncTask(Napi::Env env, typename PromiseTask<Result>::Work work, typename PromiseTask<Result>::ToJs toJs)
      : Napi::AsyncWorker(env), task_(env, std::move(work), std::move(toJs)) {}

  Napi::Promise promise() { return task_.promise(); }

  void Execute() override { task_.execute(); }

  void OnOK() override { task_.settle(Env()); }

 private:
  PromiseTask<Result> task_;
};

template <typename Result>
Napi::Promise runAsync(Napi::Env env, typename PromiseTask<Result>::Work work,
                       typename PromiseTask<Result>::ToJs toJs) {
  auto* task = new AsyncTask<Result>(env, std::move(work), std::move(toJs));  // deleted by N-API when done
  Napi::Promise promise = task->promise();
  task->Queue();
  return promise;
}

}  // namespace vl2::napi

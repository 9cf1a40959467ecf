// Runs work on the libuv thread pool and settles a Promise with its result, so
// no forward pass or load ever runs on the JS thread. Native errors reject the
// promise with the same typed JS error a synchronous call would throw.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <optional>

#include "napi/js_errors.h"

namespace vl2::napi {

template <typename Result>
class AsyncTask : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result()>;
  using ToJs = std::function<Napi::Value(Napi::Env, Result&)>;

  AsyncTask(Napi::Env env, Work work, ToJs toJs)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        toJs_(std::move(toJs)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      result_.emplace(work_());
    } catch (...) {
      failure_ = describeCurrentException();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!result_) {
      deferred_.Reject(makeJsError(env, failure_.code, failure_.message).Value());
      return;
    }
    try {
      deferred_.Resolve(toJs_(env, *result_));
    } catch (...) {
      deferred_.Reject(translateCurrentException(env).Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  ToJs toJs_;
  std::optional<Result> result_;
  NativeFailure failure_{ErrorCode::kInternal, ""};
};

template <typename Result>
Napi::Promise runAsync(Napi::Env env, typename AsyncTask<Result>::Work work,
                       typename AsyncTask<Result>::ToJs toJs) {
  auto* task = new AsyncTask<Result>(env, std::move(work), std::move(toJs));  // deleted by N-API when done
  Napi::Promise promise = task->promise();
  task->Queue();
  return promise;
}

}  // namespace vl2::napi

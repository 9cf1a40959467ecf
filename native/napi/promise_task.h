// What the two task runners share (async_task.h on libuv's pool, image_task.h on the image pool): the
// work, run once off the JS thread with any failure kept as a code and a message, then its Promise
// settled on the JS thread with the result (through toJs) or the same typed JS error a synchronous call
// would throw.
#pragma once

#include <napi.h>

#include <functional>
#include <optional>

#include "napi/js_errors.h"

namespace vl2::napi {

template <typename Result>
class PromiseTask {
 public:
  using Work = std::function<Result()>;
  using ToJs = std::function<Napi::Value(Napi::Env, Result&)>;

  PromiseTask(Napi::Env env, Work work, ToJs toJs)
      : deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), toJs_(std::move(toJs)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  // Off the JS thread: nothing leaves it (a worker has no caller to rethrow to).
  void execute() noexcept {
    try {
      result_.emplace(work_());
    } catch (...) {
      failure_ = describeCurrentException();
    }
  }

  // On the JS thread, once execute() has returned.
  void settle(Napi::Env env) {
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

}  // namespace vl2::napi

// Turns native failures into JS errors that carry a stable `code`; lib/errors.ts
// wraps them into typed Error subclasses. Every N-API entry point runs its body
// through guarded() so that nothing thrown in C++ escapes as a crash.
#pragma once

#include <napi.h>

#include <exception>
#include <new>
#include <string>

#include "core/errors.h"

namespace vl2::napi {

inline Napi::Error makeJsError(Napi::Env env, ErrorCode code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, errorCodeName(code)));
  return error;
}

struct NativeFailure {
  ErrorCode code;
  std::string message;
};

// The code and message of the exception being handled; safe on any thread.
inline NativeFailure describeCurrentException() {
  try {
    throw;
  } catch (const Error& error) {
    return {error.code(), error.what()};
  } catch (const std::bad_alloc&) {
    return {ErrorCode::kOutOfMemory, "out of host memory"};
  } catch (const std::exception& error) {
    return {ErrorCode::kInternal, error.what()};
  } catch (...) {
    return {ErrorCode::kInternal, "unknown native failure"};
  }
}

inline Napi::Error translateCurrentException(Napi::Env env) {
  try {
    throw;
  } catch (const Napi::Error& error) {
    return error;
  } catch (...) {
    const NativeFailure failure = describeCurrentException();
    return makeJsError(env, failure.code, failure.message);
  }
}

// Runs body(); a C++ exception becomes a thrown JS error with a code.
template <typename Body>
Napi::Value guarded(Napi::Env env, Body&& body) {
  try {
    return body();
  } catch (...) {
    translateCurrentException(env).ThrowAsJavaScriptException();
    return env.Undefined();
  }
}

}  // namespace vl2::napi

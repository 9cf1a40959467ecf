#pragma once
#include <napi.h>

namespace vl2::napi {
// new NativeGenerator(nativeModel, onEvents): the scheduler thread of a model.
void registerGenerator(Napi::Env env, Napi::Object exports);
}  // namespace vl2::napi

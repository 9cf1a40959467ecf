#pragma once
#include <napi.h>

namespace vl2::napi {
// loadModel(checkpointTable, options) -> Promise<NativeModel>
void registerModel(Napi::Env env, Napi::Object exports);
}  // namespace vl2::napi

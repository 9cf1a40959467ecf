#pragma once
#include <napi.h>

#include <memory>

#include "model/model.h"

namespace vl2::napi {
// loadModel(checkpointTable, options) -> Promise<NativeModel>
void registerModel(Napi::Env env, Napi::Object exports);
// The model behind a NativeModel handle; throws when it is not one or is closed.
std::shared_ptr<Model> modelOf(const Napi::Value& handle);
}  // namespace vl2::napi

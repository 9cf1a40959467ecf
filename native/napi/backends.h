#pragma once
#include <napi.h>

namespace vl2::napi {
void registerBackends(Napi::Env env, Napi::Object exports);
}

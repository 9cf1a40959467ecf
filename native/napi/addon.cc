// Module entry: each binding file registers its functions and classes here.
#include <napi.h>

#include "napi/backends.h"
#include "napi/cpu_kernel_probes.h"
#include "napi/generator_binding.h"
#include "napi/grammar_binding.h"
#include "napi/image_binding.h"
#include "napi/model_binding.h"
#include "napi/probes_binding.h"

static Napi::Object initAddon(Napi::Env env, Napi::Object exports) {
  vl2::napi::registerBackends(env, exports);
  vl2::napi::registerModel(env, exports);
  vl2::napi::registerGenerator(env, exports);
  vl2::napi::registerGrammar(env, exports);
  vl2::napi::registerImage(env, exports);
  vl2::napi::registerProbes(env, exports);
  vl2::napi::registerCpuKernelProbes(env, exports);
  return exports;
}

NODE_API_MODULE(deepseek_vl2, initAddon)

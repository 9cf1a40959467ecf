// version() and backends(): what this binary is and which devices it can use.
#include "napi/backends.h"

#include <thread>

#include "backend/backend_factory.h"
#include "backend/cuda_face/cuda_devices.h"
#include "napi/js_errors.h"

namespace vl2::napi {
namespace {

Napi::Value version(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), VL2_VERSION); }

Napi::Object describeCuda(Napi::Env env, const CudaAvailability& cuda) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", "cuda");
  out.Set("compiled", cuda.compiled);
  out.Set("available", cuda.available);
  if (!cuda.reason.empty()) out.Set("reason", cuda.reason);
  out.Set("driverVersion", cuda.driverVersion);
  out.Set("runtimeVersion", cuda.runtimeVersion);
  Napi::Array devices = Napi::Array::New(env, cuda.devices.size());
  for (size_t i = 0; i < cuda.devices.size(); ++i) {
    const CudaDeviceInfo& d = cuda.devices[i];
    Napi::Object dev = Napi::Object::New(env);
    dev.Set("index", d.index);
    dev.Set("name", d.name);
    dev.Set("totalMemoryBytes", static_cast<double>(d.totalMemoryBytes));
    dev.Set("freeMemoryBytes", static_cast<double>(d.freeMemoryBytes));
    dev.Set("computeCapability",
            std::to_string(d.computeCapabilityMajor) + "." + std::to_string(d.computeCapabilityMinor));
    dev.Set("multiprocessorCount", d.multiprocessorCount);
    devices.Set(static_cast<uint32_t>(i), dev);
  }
  out.Set("devices", devices);
  return out;
}

Napi::Value backends(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object cpu = Napi::Object::New(env);
    cpu.Set("name", "cpu");
    cpu.Set("compiled", true);
    cpu.Set("available", true);
    cpu.Set("threads", static_cast<double>(std::thread::hardware_concurrency()));
    // The GEMM kernels each cpuPrecision runs here, and the one a model gets by default.
    Napi::Object kernels = Napi::Object::New(env);
    kernels.Set("fp32", cpuKernelSet(CpuPrecision::kFp32));
    if (cpuHasBf16Kernels()) kernels.Set("bf16", cpuKernelSet(CpuPrecision::kBf16));
    cpu.Set("kernels", kernels);
    cpu.Set("defaultPrecision", cpuPrecisionName(defaultCpuPrecision()));
    Napi::Array list = Napi::Array::New(env, 2);
    list.Set(0u, cpu);
    list.Set(1u, describeCuda(env, queryCudaAvailability()));
    return list;
  });
}

}  // namespace

void registerBackends(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, version, "version"));
  exports.Set("backends", Napi::Function::New(env, backends, "backends"));
}

}  // namespace vl2::napi

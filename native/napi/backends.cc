// version() and backends(): what this binary is and which devices it can use.
#include "napi/backends.h"

#include <thread>

#include "backend/cpu/precision.h"
#include "backend/cuda_devices.h"
#include "backend/cuda_kernel_launches.h"
#include "backend/cuda_upload.h"
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
    kernels.Set("fp32", vl2::cpu::cpuKernelsName(vl2::cpu::CpuPrecision::kFp32));
    if (vl2::cpu::cpuHasAvx512Bf16())
      kernels.Set("bf16", vl2::cpu::cpuKernelsName(vl2::cpu::CpuPrecision::kBf16));
    cpu.Set("kernels", kernels);
    cpu.Set("defaultPrecision", vl2::cpu::cpuPrecisionName(vl2::cpu::defaultCpuPrecision()));
    Napi::Array list = Napi::Array::New(env, 2);
    list.Set(0u, cpu);
    list.Set(1u, describeCuda(env, queryCudaAvailability()));
    return list;
  });
}

}  // namespace

// measureCopyBandwidth(device = 0) -> bytes/s of a device-to-device copy (benches' ceiling).
Napi::Value measureCopyBandwidth(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const int device = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
    return Napi::Number::New(info.Env(), measureDeviceCopyBandwidth(device));
  });
}

// cudaKernelLaunches(reset = false) -> { kernelName: launches } since the last reset; with reset
// true, the counts start again from zero after this read.
Napi::Value kernelLaunches(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Object out = Napi::Object::New(info.Env());
    for (const auto& [name, launches] : cudaKernelLaunches()) out.Set(name, static_cast<double>(launches));
    if (info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value()) resetCudaKernelLaunches();
    return out;
  });
}

void registerBackends(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaKernelLaunches", Napi::Function::New(env, kernelLaunches, "cudaKernelLaunches"));
  exports.Set("measureCopyBandwidth", Napi::Function::New(env, measureCopyBandwidth, "measureCopyBandwidth"));
  exports.Set("version", Napi::Function::New(env, version, "version"));
  exports.Set("backends", Napi::Function::New(env, backends, "backends"));
}

}  // namespace vl2::napi

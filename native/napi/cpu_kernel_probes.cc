// Single CPU kernels called from JavaScript: tests compare them with an fp64
// reference on chosen shapes, the bench times them without a model around them.
#include "napi/cpu_kernel_probes.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "backend/cpu/matmul.h"
#include "napi/js_errors.h"
#include "napi/js_values.h"

namespace vl2::napi {
namespace {

// Each of M, K, N at most 2^31 - 1, so their products fit int64 before they are compared with
// the arrays' lengths.
constexpr std::int64_t kMaxDimension = INT32_MAX;
// y is allocated here: V8 aborts the process, rather than throwing, on an allocation it cannot make.
constexpr std::int64_t kMaxOutputValues = std::int64_t{1} << 28;

template <typename Array>
Array typedArrayArgument(const Napi::Value& value, napi_typedarray_type type, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type)
    fail(ErrorCode::kInvalidArgument, std::string("probeCpuMatmul: ") + what);
  return value.As<Array>();
}

// probeCpuMatmul({ x: Float32Array [M, K], w: Uint16Array [N, K] bf16 bits or Float32Array, M, K, N,
//   bias?: Float32Array [N], y?: Float32Array [M, N] to accumulate into,
//   precision?: 'fp32' | 'bf16', threads?: number (0: all cores), repeats?: number })
//   -> { y: Float32Array [M, N], seconds: the mean time of one call }
// matmulBf16 through the dispatch a model uses. 'bf16' where the CPU lacks
// AVX-512 BF16 is refused rather than quietly run in fp32.
Napi::Value probeCpuMatmul(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsObject()) fail(ErrorCode::kInvalidArgument, "probeCpuMatmul takes { x, w, M, K, N, ... }");
    const Napi::Object options = info[0].As<Napi::Object>();
    const auto x = typedArrayArgument<Napi::Float32Array>(options.Get("x"), napi_float32_array,
                                                          "x must be a Float32Array");
    // An fp32 w runs matmulF32 (attention's operands, fp32 in either precision), a Uint16Array matmulBf16.
    const Napi::Value wValue = options.Get("w");
    const bool fp32Weights =
        wValue.IsTypedArray() && wValue.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
    if (!fp32Weights) {
      typedArrayArgument<Napi::Uint16Array>(wValue, napi_uint16_array,
                                            "w must be a Uint16Array (bf16 bits) or a Float32Array");
    }
    const Napi::TypedArray w = wValue.As<Napi::TypedArray>();
    const std::int64_t M = integerField(options, "M", 0, kMaxDimension, "probeCpuMatmul");
    const std::int64_t K = integerField(options, "K", 0, kMaxDimension, "probeCpuMatmul");
    const std::int64_t N = integerField(options, "N", 0, kMaxDimension, "probeCpuMatmul");
    if (M * N > kMaxOutputValues)
      fail(ErrorCode::kInvalidArgument, "probeCpuMatmul: M * N must be at most 2^28 (y is allocated here)");
    if (static_cast<std::int64_t>(x.ElementLength()) != M * K ||
        static_cast<std::int64_t>(w.ElementLength()) != N * K)
      fail(ErrorCode::kInvalidArgument, "probeCpuMatmul: x must hold M * K values and w N * K");
    const float* bias = nullptr;
    if (!options.Get("bias").IsUndefined()) {
      const auto b = typedArrayArgument<Napi::Float32Array>(options.Get("bias"), napi_float32_array,
                                                            "bias must be a Float32Array");
      if (static_cast<std::int64_t>(b.ElementLength()) != N)
        fail(ErrorCode::kInvalidArgument, "probeCpuMatmul: bias must hold N values");
      bias = b.Data();
    }
    Napi::Float32Array y = Napi::Float32Array::New(info.Env(), static_cast<std::size_t>(M * N));
    const bool accumulate = !options.Get("y").IsUndefined();
    if (fp32Weights && (bias != nullptr || accumulate))
      fail(ErrorCode::kInvalidArgument,
           "probeCpuMatmul: an fp32 w takes no bias or y (matmulF32 has neither)");
    if (accumulate) {
      const auto start = typedArrayArgument<Napi::Float32Array>(options.Get("y"), napi_float32_array,
                                                                "y must be a Float32Array");
      if (static_cast<std::int64_t>(start.ElementLength()) != M * N)
        fail(ErrorCode::kInvalidArgument, "probeCpuMatmul: y must hold M * N values");
      std::copy(start.Data(), start.Data() + M * N, y.Data());
    }
    const std::string precisionName = stringFieldOr(options, "precision", "fp32", "probeCpuMatmul");
    if (precisionName != "fp32" && precisionName != "bf16")
      fail(ErrorCode::kInvalidArgument, "probeCpuMatmul: precision must be 'fp32' or 'bf16'");
    const cpu::CpuPrecision precision =
        precisionName == "bf16" ? cpu::CpuPrecision::kBf16 : cpu::CpuPrecision::kFp32;
    if (precision == cpu::CpuPrecision::kBf16 && !cpu::cpuHasAvx512Bf16())
      fail(ErrorCode::kUnsupported, "probeCpuMatmul: this CPU has no AVX-512 BF16");
    const int threads = static_cast<int>(integerFieldOr(options, "threads", 0, 0, 1024, "probeCpuMatmul"));
    const std::int64_t repeats = integerFieldOr(options, "repeats", 1, 1, 1'000'000, "probeCpuMatmul");
    if (repeats > 1 && accumulate)
      fail(ErrorCode::kInvalidArgument, "probeCpuMatmul: repeats with y would add y more than once");
    ThreadPool pool(threads);
    cpu::CpuPrecisionScope scope(precision);
    const auto started = std::chrono::steady_clock::now();
    for (std::int64_t r = 0; r < repeats; ++r) {
      if (fp32Weights) {
        cpu::matmulF32(pool, x.Data(), M, K, w.As<Napi::Float32Array>().Data(), N, y.Data());
      } else {
        cpu::matmulBf16(pool, x.Data(), M, K, w.As<Napi::Uint16Array>().Data(), N, bias, y.Data(),
                        accumulate);
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() /
                           static_cast<double>(repeats);
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("y", y);
    out.Set("seconds", seconds);
    return out;
  });
}

}  // namespace

void registerCpuKernelProbes(Napi::Env env, Napi::Object exports) {
  exports.Set("probeCpuMatmul", Napi::Function::New(env, probeCpuMatmul, "probeCpuMatmul"));
}

}  // namespace vl2::napi

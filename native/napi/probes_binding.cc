// Probes for tests and benches, apart from the production bindings: the sampler alone (CPU or
// GPU), which CUDA kernels ran, the GPU's copy bandwidth and the weight upload's speed. The only
// binding file besides backends.cc that reaches the CUDA face (scripts/check-layers.mjs).
#include "napi/probes_binding.h"

#include <unordered_set>
#include <vector>

#include "backend/cuda_face/cuda_backend.h"
#include "backend/cuda_face/cuda_kernel_launches.h"
#include "backend/cuda_face/cuda_upload.h"
#include "engine/sampler.h"
#include "napi/async_task.h"
#include "napi/js_errors.h"
#include "napi/js_values.h"
#include "napi/model_binding.h"
#include "napi/sampling_from_js.h"

namespace vl2::napi {
namespace {

// probeSampler(logits: Float32Array, sampling, seenIds: Int32Array, draws) ->
//   { ids: Int32Array, probs: Float32Array, draws: Int32Array }
// The native sampler alone, for tests: the distribution it draws from (kept ids, most likely
// first, renormalised) and `draws` tokens drawn from fresh copies of the logits by one seeded sampler
// (with a fifth argument { device: 'cuda' }: drawn by the GPU sampler, draw i with counter i).
Napi::Value probeSampler(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      fail(ErrorCode::kInvalidArgument, "probeSampler: logits must be a Float32Array");
    if (!info[1].IsObject() || !info[3].IsNumber())
      fail(ErrorCode::kInvalidArgument, "probeSampler(logits, sampling, seenIds, draws)");
    Napi::Float32Array logitsJs = info[0].As<Napi::Float32Array>();
    const std::vector<float> logits(logitsJs.Data(), logitsJs.Data() + logitsJs.ElementLength());
    if (logits.empty()) fail(ErrorCode::kInvalidArgument, "probeSampler: logits are empty");
    Napi::Object holder = Napi::Object::New(info.Env());
    holder.Set("seen", info[2]);
    const std::vector<std::int32_t> seenIds = int32ArrayField(holder, "seen", "probeSampler");
    const std::unordered_set<std::int32_t> seen(seenIds.begin(), seenIds.end());
    const SamplingParams params = samplingFromJs(info[1].As<Napi::Object>());
    Sampler sampler(params);
    const auto vocab = static_cast<std::int32_t>(logits.size());

    std::vector<float> scratch = logits;
    const std::size_t count = sampler.filter(scratch.data(), vocab, seen);
    Napi::Int32Array ids = Napi::Int32Array::New(info.Env(), count);
    Napi::Float32Array probs = Napi::Float32Array::New(info.Env(), count);
    for (std::size_t i = 0; i < count; ++i) {
      ids[i] = sampler.candidateIds()[i];
      probs[i] = sampler.candidateProbs()[i];
    }
    const std::int64_t drawsAsked = info[3].As<Napi::Number>().Int64Value();
    if (drawsAsked < 0 || drawsAsked > 10'000'000)
      fail(ErrorCode::kInvalidArgument, "probeSampler: draws must be in [0, 1e7]");
    const auto drawCount = static_cast<std::size_t>(drawsAsked);
    Napi::Int32Array draws = Napi::Int32Array::New(info.Env(), drawCount);
    Napi::Float32Array logprobs = Napi::Float32Array::New(info.Env(), drawCount);
    const bool onDevice = info[4].IsObject() && info[4].As<Napi::Object>().Get("device").IsString() &&
                          info[4].As<Napi::Object>().Get("device").As<Napi::String>().Utf8Value() == "cuda";
    if (onDevice) {
      const std::vector<TokenChoice> chosen =
          drawOnDevice(logits, params, params.seed, std::vector<std::int32_t>(seen.begin(), seen.end()),
                       static_cast<int>(drawCount));
      for (std::size_t i = 0; i < drawCount; ++i) {
        draws[i] = chosen[i].token;
        logprobs[i] = chosen[i].logprob;
      }
    } else {
      for (std::size_t i = 0; i < drawCount; ++i) {
        scratch = logits;
        draws[i] = sampler.sample(scratch.data(), vocab, seen);
        logprobs[i] = sampler.lastLogprob();
      }
    }
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("logprobs", logprobs);
    out.Set("ids", ids);
    out.Set("probs", probs);
    out.Set("draws", draws);
    return out;
  });
}

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

// measureGpuUpload(model) -> Promise<{ bytes, seconds }>: copies every weight of the model's
// checkpoint to GPU memory and frees it (bench/load).
Napi::Value measureGpuUpload(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    std::shared_ptr<Model> model = modelOf(info[0]);
    return runAsync<GpuUploadTiming>(
        info.Env(), [model]() { return uploadWeightsToGpu(model->weights()); },
        [](Napi::Env env, GpuUploadTiming& timing) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          out.Set("bytes", static_cast<double>(timing.bytes));
          out.Set("seconds", timing.seconds);
          return out;
        });
  });
}

}  // namespace

void registerProbes(Napi::Env env, Napi::Object exports) {
  exports.Set("probeSampler", Napi::Function::New(env, probeSampler, "probeSampler"));
  exports.Set("cudaKernelLaunches", Napi::Function::New(env, kernelLaunches, "cudaKernelLaunches"));
  exports.Set("measureCopyBandwidth", Napi::Function::New(env, measureCopyBandwidth, "measureCopyBandwidth"));
  exports.Set("measureGpuUpload", Napi::Function::New(env, measureGpuUpload, "measureGpuUpload"));
}

}  // namespace vl2::napi

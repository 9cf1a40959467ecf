// NativeModel: the JS handle of a loaded model. Translation only: arguments in,
// typed arrays and errors out; every forward pass runs on a worker thread.
#include "napi/model_binding.h"

#include <memory>
#include <unordered_set>

#include "backend/backend_factory.h"
#include "engine/sampler.h"
#include "model/model_loader.h"
#include "napi/async_task.h"
#include "napi/config_from_js.h"
#include "napi/js_values.h"

namespace vl2::napi {
namespace {

Napi::Float32Array toFloat32Array(Napi::Env env, const std::vector<float>& values) {
  Napi::Float32Array array = Napi::Float32Array::New(env, values.size());
  std::copy(values.begin(), values.end(), array.Data());
  return array;
}

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::FunctionReference* constructor;

  static void define(Napi::Env env, Napi::Object exports) {
    Napi::Function cls = DefineClass(env, "NativeModel",
                                     {
                                         InstanceMethod("info", &NativeModel::info),
                                         InstanceMethod("createSequence", &NativeModel::createSequence),
                                         InstanceMethod("freeSequence", &NativeModel::freeSequence),
                                         InstanceMethod("prefill", &NativeModel::prefill),
                                         InstanceMethod("decode", &NativeModel::decode),
                                         InstanceMethod("decodeGreedy", &NativeModel::decodeGreedy),
                                         InstanceMethod("close", &NativeModel::close),
                                     });
    constructor = new Napi::FunctionReference(Napi::Persistent(cls));
    exports.Set("NativeModel", cls);
  }

  std::shared_ptr<Model> liveModel() { return live(); }

  explicit NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      Napi::TypeError::New(info.Env(), "NativeModel is created by loadModel()").ThrowAsJavaScriptException();
      return;
    }
    auto* holder = info[0].As<Napi::External<std::shared_ptr<Model>>>().Data();
    model_ = *holder;
  }

 private:
  std::shared_ptr<Model> live() {
    if (!model_) fail(ErrorCode::kInvalidArgument, "the model is closed");
    return model_;
  }

  Napi::Value info(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      std::shared_ptr<Model> model = live();
      Napi::Object out = Napi::Object::New(info.Env());
      out.Set("backend", model->backendName());
      const BackendMemory memory = model->memory();
      out.Set("device", memory.device);
      out.Set("weightBytes", static_cast<double>(memory.weightBytes));
      out.Set("cacheBytes", static_cast<double>(memory.cacheBytes));
      out.Set("activationBytes", static_cast<double>(memory.activationBytes));
      out.Set("deviceFreeBytes", static_cast<double>(memory.freeBytes));
      out.Set("cpuKernels", cpuKernelSet(model->cpuPrecision()));
      out.Set("cpuPrecision", cpuPrecisionName(model->cpuPrecision()));
      out.Set("cacheCapacityTokens", static_cast<double>(model->cacheCapacityTokens()));
      out.Set("cacheFreeTokens", static_cast<double>(model->freeCacheTokens()));
      out.Set("cacheBytesPerToken", static_cast<double>(model->cacheBytesPerToken()));
      out.Set("mappedBytes", static_cast<double>(model->mappedBytes()));
      out.Set("vocabSize", model->config().language.vocabSize);
      out.Set("hiddenSize", model->config().language.hiddenSize);
      out.Set("numLayers", model->config().language.numLayers);
      out.Set("maxPositions", model->config().language.maxPositions);
      out.Set("visionWidth", model->config().vision.width);
      out.Set("prefixHitBlocks", static_cast<double>(model->prefixHitBlocks()));
      out.Set("visionCacheHits", static_cast<double>(model->visionCacheHits()));
      return out;
    });
  }

  Napi::Value createSequence(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      return Napi::Number::New(info.Env(), static_cast<double>(live()->createSequence()));
    });
  }

  Napi::Value freeSequence(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      if (!info[0].IsNumber())
        fail(ErrorCode::kInvalidArgument, "freeSequence(sequence) takes a sequence id");
      if (model_) model_->freeSequence(info[0].As<Napi::Number>().Int64Value());
      return info.Env().Undefined();
    });
  }

  // prefill(sequence, { inputIds, tiles, imagesSpatialCrop, imageTokenPositions }, { capture })
  Napi::Value prefill(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      std::shared_ptr<Model> model = live();
      if (!info[0].IsNumber() || !info[1].IsObject()) {
        fail(ErrorCode::kInvalidArgument,
             "prefill(sequence, prompt, options?) takes a sequence id and a prompt");
      }
      const std::int64_t sequence = info[0].As<Napi::Number>().Int64Value();
      Napi::Object prompt = info[1].As<Napi::Object>();
      auto input = std::make_shared<PromptInput>();
      input->inputIds = int32ArrayField(prompt, "inputIds", "prompt");
      input->imageTokenPositions = isAbsent(prompt.Get("imageTokenPositions"))
                                       ? std::vector<std::int32_t>{}
                                       : int32ArrayField(prompt, "imageTokenPositions", "prompt");
      std::vector<std::int32_t> crops = isAbsent(prompt.Get("imagesSpatialCrop"))
                                            ? std::vector<std::int32_t>{}
                                            : int32ArrayField(prompt, "imagesSpatialCrop", "prompt");
      if (crops.size() % 2)
        fail(ErrorCode::kInvalidArgument, "prompt.imagesSpatialCrop holds [across, down] pairs");
      for (std::size_t i = 0; i < crops.size(); i += 2)
        input->imagesSpatialCrop.emplace_back(crops[i], crops[i + 1]);
      Napi::Reference<Napi::Value> tilesRef;
      Napi::Value tiles = prompt.Get("tiles");
      if (!isAbsent(tiles)) {
        if (!tiles.IsTypedArray() || tiles.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
          fail(ErrorCode::kInvalidArgument, "prompt.tiles must be a Uint8Array (or Buffer)");
        }
        Napi::Uint8Array array = tiles.As<Napi::Uint8Array>();
        input->tiles = array.Data();
        input->tileBytes = static_cast<std::int64_t>(array.ByteLength());
        tilesRef = Napi::Persistent(tiles);  // keeps the tile memory alive while the worker reads it in place
      }
      const bool capture =
          info[2].IsObject() && boolFieldOr(info[2].As<Napi::Object>(), "capture", false, "options");
      auto keepAlive = std::make_shared<Napi::Reference<Napi::Value>>(std::move(tilesRef));
      struct Output {
        std::vector<float> logits;
        PromptCaptures captures;
      };
      return runAsync<Output>(
          info.Env(),
          [model, sequence, input, capture]() {
            Output out;
            out.captures.wanted = capture;
            out.logits = model->prefill(sequence, *input, &out.captures);
            return out;
          },
          [keepAlive](Napi::Env env, Output& out) -> Napi::Value {
            keepAlive->Reset();
            Napi::Object result = Napi::Object::New(env);
            result.Set("logits", toFloat32Array(env, out.logits));
            if (out.captures.wanted) {
              result.Set("embeds", toFloat32Array(env, out.captures.embeds));
              result.Set("hiddenLast", toFloat32Array(env, out.captures.hiddenLast));
              Napi::Int32Array experts = Napi::Int32Array::New(env, out.captures.experts.size());
              std::copy(out.captures.experts.begin(), out.captures.experts.end(), experts.Data());
              result.Set("experts", experts);
              result.Set("routerScores", toFloat32Array(env, out.captures.routerScores));
              if (!out.captures.vision0.empty())
                result.Set("vision0", toFloat32Array(env, out.captures.vision0));
              if (!out.captures.projector0.empty()) {
                result.Set("projector0", toFloat32Array(env, out.captures.projector0));
              }
            }
            return result;
          });
    });
  }

  // decode([{ sequence, token }, ...]) -> Promise<Float32Array [requests * vocab]>
  static std::vector<DecodeRequest> decodeRequestsFromJs(const Napi::Value& value) {
    if (!value.IsArray())
      fail(ErrorCode::kInvalidArgument, "decode(requests) takes an array of {sequence, token}");
    Napi::Array array = value.As<Napi::Array>();
    std::vector<DecodeRequest> requests;
    for (std::uint32_t i = 0; i < array.Length(); ++i) {
      if (!array.Get(i).IsObject()) fail(ErrorCode::kInvalidArgument, "decode requests must be objects");
      Napi::Object item = array.Get(i).As<Napi::Object>();
      requests.push_back(DecodeRequest{
          integerField(item, "sequence", 0, kMaxSafeInteger, "request"),
          static_cast<std::int32_t>(integerField(item, "token", INT32_MIN, INT32_MAX, "request"))});
    }
    return requests;
  }

  // decodeGreedy(requests) -> Promise<Int32Array>: one step, each next token chosen greedily by
  // the backend where the logits are (on a GPU only the ids come back).
  Napi::Value decodeGreedy(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      std::shared_ptr<Model> model = live();
      std::vector<DecodeRequest> requests = decodeRequestsFromJs(info[0]);
      return runAsync<std::vector<TokenChoice>>(
          info.Env(),
          [model, requests]() {
            static const SamplingParams greedy;
            static const std::unordered_set<std::int32_t> none;
            std::vector<Sampler> samplers(requests.size(), Sampler(greedy));
            std::vector<ChoiceRequest> choices;
            for (Sampler& sampler : samplers)
              choices.push_back(ChoiceRequest{&sampler, &greedy, 0, 0, &none});
            return model->decodeAndChoose(requests, choices);
          },
          [](Napi::Env env, std::vector<TokenChoice>& chosen) -> Napi::Value {
            Napi::Int32Array tokens = Napi::Int32Array::New(env, chosen.size());
            for (std::size_t i = 0; i < chosen.size(); ++i) tokens[i] = chosen[i].token;
            return tokens;
          });
    });
  }

  // decode(requests, { capture }) -> Promise<Float32Array [requests * vocab]>, or with capture
  // true Promise<{ logits, experts: Int32Array [moeLayers, requests, topK], routerScores:
  // Float32Array [moeLayers, requests, routed experts] }>; with routeAs (Int32Array, the shape of
  // experts; CPU only) each token goes to those experts, and experts still says the router's choice.
  Napi::Value decode(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      std::shared_ptr<Model> model = live();
      std::vector<DecodeRequest> requests = decodeRequestsFromJs(info[0]);
      const bool capture =
          info[1].IsObject() && info[1].As<Napi::Object>().Get("capture").ToBoolean().Value();
      std::shared_ptr<std::vector<std::int32_t>> routeAs;
      if (info[1].IsObject() && !isAbsent(info[1].As<Napi::Object>().Get("routeAs")))
        routeAs = std::make_shared<std::vector<std::int32_t>>(
            int32ArrayField(info[1].As<Napi::Object>(), "routeAs", "decode options"));
      struct Decoded {
        std::vector<float> logits;
        std::vector<std::int32_t> experts;
        std::vector<float> routerScores;
      };
      return runAsync<Decoded>(
          info.Env(),
          [model, requests, capture, routeAs]() {
            Decoded out;
            out.logits = model->decode(requests, capture ? &out.experts : nullptr,
                                       capture ? &out.routerScores : nullptr, routeAs.get());
            return out;
          },
          [capture](Napi::Env env, Decoded& out) -> Napi::Value {
            if (!capture) return toFloat32Array(env, out.logits);
            Napi::Object result = Napi::Object::New(env);
            result.Set("logits", toFloat32Array(env, out.logits));
            Napi::Int32Array experts = Napi::Int32Array::New(env, out.experts.size());
            std::copy(out.experts.begin(), out.experts.end(), experts.Data());
            result.Set("experts", experts);
            result.Set("routerScores", toFloat32Array(env, out.routerScores));
            return result;
          });
    });
  }

  // Drops this handle's reference; work in flight keeps the model alive until it ends.
  Napi::Value close(const Napi::CallbackInfo& info) {
    model_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<Model> model_;
};

Napi::FunctionReference* NativeModel::constructor = nullptr;

// options.cpuPrecision: 'fp32', 'bf16' (only where the CPU has AVX-512 BF16: no
// silent fallback to fp32), or absent for the best this CPU has. fp32 on CUDA.
CpuPrecision cpuPrecisionFromJs(const Napi::Object& options, Device device) {
  const std::string name = stringFieldOr(options, "cpuPrecision", "", "options");
  if (name.empty()) return device == Device::kCpu ? defaultCpuPrecision() : CpuPrecision::kFp32;
  if (name == "fp32") return CpuPrecision::kFp32;
  if (name != "bf16") fail(ErrorCode::kInvalidArgument, "options.cpuPrecision must be 'fp32' or 'bf16'");
  if (device != Device::kCpu)
    fail(ErrorCode::kInvalidArgument, "options.cpuPrecision applies to device 'cpu' only");
  if (!cpuHasBf16Kernels())
    fail(ErrorCode::kUnsupported,
         "cpuPrecision 'bf16' needs a processor with AVX-512 BF16 (avx512_bf16); this one runs 'fp32'");
  return CpuPrecision::kBf16;
}

// loadModel(checkpointTable, { device, cudaDevice, threads, cacheTokens, cacheMemoryFraction, cpuPrecision })
//   -> Promise<NativeModel>
Napi::Value loadModelJs(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsObject())
      fail(ErrorCode::kInvalidArgument, "loadModel(checkpoint, options) takes a checkpoint table");
    auto checkpoint = std::make_shared<CheckpointFromJs>(checkpointFromJs(info[0].As<Napi::Object>()));
    ModelOptions options;
    if (info[1].IsObject()) {
      Napi::Object o = info[1].As<Napi::Object>();
      options.backend.threads = static_cast<int>(integerFieldOr(o, "threads", 0, 0, INT32_MAX, "options"));
      options.cacheTokens = integerFieldOr(o, "cacheTokens", 8192, 0, kMaxSafeInteger, "options");
      options.cacheMemoryFraction = numberFieldOr(o, "cacheMemoryFraction", 0, "options");
      options.backend.cudaDevice =
          static_cast<int>(integerFieldOr(o, "cudaDevice", 0, 0, INT32_MAX, "options"));
      const Napi::Value device = o.Get("device");
      if (device.IsString() && device.As<Napi::String>().Utf8Value() == "cuda") {
        options.backend.device = Device::kCuda;
      } else if (!device.IsUndefined() &&
                 !(device.IsString() && device.As<Napi::String>().Utf8Value() == "cpu")) {
        fail(ErrorCode::kInvalidArgument, "options.device must be 'cpu' or 'cuda'");
      }
      options.backend.cpuPrecision = cpuPrecisionFromJs(o, options.backend.device);
    }
    using Loaded = std::shared_ptr<Model>;
    return runAsync<Loaded>(
        info.Env(),
        [checkpoint, options]() -> Loaded {
          return loadModel(checkpoint->files, std::move(checkpoint->records), checkpoint->config, options);
        },
        [](Napi::Env env, Loaded& model) -> Napi::Value {
          return NativeModel::constructor->New({Napi::External<Loaded>::New(env, &model)});
        });
  });
}

}  // namespace

std::shared_ptr<Model> modelOf(const Napi::Value& handle) {
  if (!handle.IsObject() || !handle.As<Napi::Object>().InstanceOf(NativeModel::constructor->Value())) {
    fail(ErrorCode::kInvalidArgument, "expected a NativeModel");
  }
  return NativeModel::Unwrap(handle.As<Napi::Object>())->liveModel();
}

void registerModel(Napi::Env env, Napi::Object exports) {
  NativeModel::define(env, exports);
  exports.Set("loadModel", Napi::Function::New(env, loadModelJs, "loadModel"));
}

}  // namespace vl2::napi

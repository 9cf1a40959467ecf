// NativeGenerator: JS handle of the scheduler thread (engine/scheduler.h).
// Requests go in with submit(); tokens come back in batches through one
// thread-safe function, so the JS thread only ever runs short callbacks. The
// function is referenced only while requests are outstanding, so an idle model
// does not keep the process alive.
#include "napi/generator_binding.h"

#include <algorithm>
#include <memory>
#include <unordered_set>
#include <vector>

#include "engine/scheduler.h"
#include "napi/grammar_binding.h"
#include "napi/js_errors.h"
#include "napi/js_values.h"
#include "napi/model_binding.h"
#include "napi/sampling_from_js.h"

namespace vl2::napi {
namespace {

const char* finishName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kAbort: return "abort";
    case FinishReason::kError: return "error";
    case FinishReason::kNone: return nullptr;
  }
  return nullptr;
}

using Events = std::vector<TokenEvent>;

class NativeGenerator : public Napi::ObjectWrap<NativeGenerator> {
 public:
  static void define(Napi::Env env, Napi::Object exports) {
    Napi::Function cls = DefineClass(
        env, "NativeGenerator",
        {InstanceMethod("submit", &NativeGenerator::submit),
         InstanceMethod("cancel", &NativeGenerator::cancel), InstanceMethod("stats", &NativeGenerator::stats),
         InstanceMethod("close", &NativeGenerator::close)});
    exports.Set("NativeGenerator", cls);
  }

  explicit NativeGenerator(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeGenerator>(info) {
    Napi::Env env = info.Env();
    try {
      model_ = modelOf(info[0]);
      if (!info[1].IsFunction())
        fail(ErrorCode::kInvalidArgument, "NativeGenerator(model, onEvents) needs a callback");
      std::int64_t stepTokens = kDefaultStepTokens;
      if (info[2].IsObject())
        stepTokens = integerFieldOr(info[2].As<Napi::Object>(), "stepTokens", kDefaultStepTokens, 1,
                                    INT32_MAX, "options");
      if (stepTokens < 1) fail(ErrorCode::kInvalidArgument, "stepTokens must be at least 1");
      tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "vl2-tokens", 0, 1);
      tsfn_.Unref(env);
      scheduler_ = std::make_unique<Scheduler>(
          model_, [this](Events&& events) { deliver(std::move(events)); }, stepTokens);
    } catch (...) {
      translateCurrentException(env).ThrowAsJavaScriptException();
    }
  }

  ~NativeGenerator() override { shutdown(); }

 private:
  // Scheduler thread: hand the batch to the JS thread.
  void deliver(Events&& events) {
    auto* batch = new Events(std::move(events));
    napi_status status =
        tsfn_.NonBlockingCall(batch, [this](Napi::Env env, Napi::Function callback, Events* batch) {
          std::unique_ptr<Events> owned(batch);
          if (env == nullptr) return;  // the function is being torn down
          Napi::Array array = Napi::Array::New(env, owned->size());
          for (std::size_t i = 0; i < owned->size(); ++i) {
            const TokenEvent& e = (*owned)[i];
            Napi::Object o = Napi::Object::New(env);
            o.Set("requestId", static_cast<double>(e.requestId));
            if (e.token >= 0) {
              o.Set("token", e.token);
              o.Set("logprob", e.logprob);
            }
            if (const char* finish = finishName(e.finish)) {
              o.Set("finish", finish);
              if (--outstanding_ == 0 && !closed_) tsfn_.Unref(env);
            }
            if (e.finish == FinishReason::kError) {
              o.Set("error", e.error);
              o.Set("code", errorCodeName(e.errorCode));
            }
            array.Set(static_cast<std::uint32_t>(i), o);
          }
          callback.Call({array});
        });
    if (status != napi_ok) delete batch;
  }

  // submit({ inputIds, tiles?, imagesSpatialCrop?, imageTokenPositions?, maxTokens, stopTokenIds?, sampling,
  // grammar? }) -> id
  Napi::Value submit(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      if (!scheduler_) fail(ErrorCode::kAborted, "the model is closed");
      if (!info[0].IsObject()) fail(ErrorCode::kInvalidArgument, "submit(request) takes an object");
      Napi::Object o = info[0].As<Napi::Object>();
      auto request = std::make_unique<GenerationRequest>();
      request->id = nextId_++;
      request->inputIds = int32ArrayField(o, "inputIds", "request");
      if (!isAbsent(o.Get("imageTokenPositions"))) {
        request->imageTokenPositions = int32ArrayField(o, "imageTokenPositions", "request");
      }
      if (!isAbsent(o.Get("imagesSpatialCrop"))) {
        std::vector<std::int32_t> crops = int32ArrayField(o, "imagesSpatialCrop", "request");
        if (crops.size() % 2)
          fail(ErrorCode::kInvalidArgument, "request.imagesSpatialCrop holds [across, down] pairs");
        for (std::size_t i = 0; i < crops.size(); i += 2)
          request->imagesSpatialCrop.emplace_back(crops[i], crops[i + 1]);
      }
      Napi::Value tiles = o.Get("tiles");
      if (!isAbsent(tiles)) {
        if (!tiles.IsTypedArray() || tiles.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
          fail(ErrorCode::kInvalidArgument, "request.tiles must be a Uint8Array");
        }
        Napi::Uint8Array array = tiles.As<Napi::Uint8Array>();
        request->tiles.assign(array.Data(), array.Data() + array.ByteLength());
      }
      if (!isAbsent(o.Get("stopTokenIds")))
        request->stopTokenIds = int32ArrayField(o, "stopTokenIds", "request");
      if (!isAbsent(o.Get("grammar"))) request->grammar = grammarOf(o.Get("grammar"));
      request->maxTokens = static_cast<int>(std::min<std::int64_t>(
          integerFieldOr(o, "maxTokens", 512, 0, kMaxSafeInteger, "request"), INT32_MAX));
      request->sampling = samplingFromJs(isAbsent(o.Get("sampling")) ? Napi::Object::New(info.Env())
                                                                     : objectField(o, "sampling", "request"));
      PromptInput check;
      check.inputIds = request->inputIds;
      check.tiles = request->tiles.data();
      check.tileBytes = static_cast<std::int64_t>(request->tiles.size());
      check.imagesSpatialCrop = request->imagesSpatialCrop;
      check.imageTokenPositions = request->imageTokenPositions;
      model_->validate(check);  // bad prompts are refused here, before any work is queued
      const std::int64_t id = request->id;
      scheduler_->submit(std::move(request));
      if (outstanding_++ == 0) tsfn_.Ref(info.Env());
      return Napi::Number::New(info.Env(), static_cast<double>(id));
    });
  }

  Napi::Value cancel(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      if (scheduler_ && info[0].IsNumber()) scheduler_->cancel(info[0].As<Napi::Number>().Int64Value());
      return info.Env().Undefined();
    });
  }

  Napi::Value stats(const Napi::CallbackInfo& info) {
    Napi::Object out = Napi::Object::New(info.Env());
    if (scheduler_) {
      SchedulerStats s = scheduler_->stats();
      out.Set("steps", static_cast<double>(s.steps));
      out.Set("preemptions", static_cast<double>(s.preemptions));
      out.Set("maxBatch", static_cast<double>(s.maxBatch));
      out.Set("promptChunks", static_cast<double>(s.promptChunks));
    }
    return out;
  }

  // Ends the scheduler: running and waiting requests finish as aborted.
  Napi::Value close(const Napi::CallbackInfo& info) {
    shutdown();
    return info.Env().Undefined();
  }

  void shutdown() {
    if (!scheduler_) return;
    scheduler_->stop();  // waits for the step in flight; emits the aborts
    scheduler_.reset();
    model_.reset();  // the model's memory (GPU memory above all) goes now, not when this object is collected
    closed_ = true;
    tsfn_.Release();
  }

  Napi::ThreadSafeFunction tsfn_;
  std::unique_ptr<Scheduler> scheduler_;
  std::shared_ptr<Model> model_;
  std::int64_t nextId_ = 1;
  std::int64_t outstanding_ = 0;
  bool closed_ = false;
};

}  // namespace

void registerGenerator(Napi::Env env, Napi::Object exports) { NativeGenerator::define(env, exports); }

}  // namespace vl2::napi

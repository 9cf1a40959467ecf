// Structured output's objects as JavaScript sees them: a tokenizer's vocabulary (its trie built
// off the JS thread) and a grammar compiled against one (also off the JS thread). A NativeGrammar
// is passed with generation requests; its state methods are the probe the tests compare with the
// reference recognizer.
#include "napi/grammar_binding.h"

#include "napi/async_task.h"
#include "napi/js_errors.h"
#include "napi/js_values.h"

namespace vl2::napi {
namespace {

using grammar::GrammarStates;
using grammar::TokenVocabulary;

class NativeVocabulary : public Napi::ObjectWrap<NativeVocabulary> {
 public:
  static Napi::FunctionReference* constructor;
  using Held = std::shared_ptr<const TokenVocabulary>;

  static void define(Napi::Env env, Napi::Object exports) {
    Napi::Function cls =
        DefineClass(env, "NativeVocabulary", {InstanceMethod("size", &NativeVocabulary::size)});
    constructor = new Napi::FunctionReference(Napi::Persistent(cls));
    exports.Set("NativeVocabulary", cls);
  }

  explicit NativeVocabulary(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeVocabulary>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      Napi::TypeError::New(info.Env(), "NativeVocabulary is created by createVocabulary()")
          .ThrowAsJavaScriptException();
      return;
    }
    vocabulary_ = *info[0].As<Napi::External<Held>>().Data();
  }

  Held vocabulary() const { return vocabulary_; }

 private:
  Napi::Value size(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), vocabulary_->size());
  }
  Held vocabulary_;
};

Napi::FunctionReference* NativeVocabulary::constructor = nullptr;

class NativeGrammar : public Napi::ObjectWrap<NativeGrammar> {
 public:
  static Napi::FunctionReference* constructor;
  using Held = std::shared_ptr<GrammarStates>;

  static void define(Napi::Env env, Napi::Object exports) {
    Napi::Function cls = DefineClass(env, "NativeGrammar",
                                     {InstanceMethod("initial", &NativeGrammar::initial),
                                      InstanceMethod("afterToken", &NativeGrammar::afterToken),
                                      InstanceMethod("complete", &NativeGrammar::complete),
                                      InstanceMethod("allowed", &NativeGrammar::allowed),
                                      InstanceMethod("stateCount", &NativeGrammar::stateCount)});
    constructor = new Napi::FunctionReference(Napi::Persistent(cls));
    exports.Set("NativeGrammar", cls);
  }

  explicit NativeGrammar(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeGrammar>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      Napi::TypeError::New(info.Env(), "NativeGrammar is created by compileGrammar()")
          .ThrowAsJavaScriptException();
      return;
    }
    states_ = *info[0].As<Napi::External<Held>>().Data();
  }

  Held states() const { return states_; }

 private:
  std::int32_t stateArg(const Napi::CallbackInfo& info, std::size_t at) {
    if (!info[at].IsNumber()) fail(ErrorCode::kInvalidArgument, "a grammar state is a number");
    const std::int64_t state = info[at].As<Napi::Number>().Int64Value();
    if (state < 0 || state >= static_cast<std::int64_t>(states_->stateCount()))
      fail(ErrorCode::kInvalidArgument, "no such grammar state");
    return static_cast<std::int32_t>(state);
  }

  Napi::Value initial(const Napi::CallbackInfo& info) {
    return guarded(info.Env(),
                   [&]() -> Napi::Value { return Napi::Number::New(info.Env(), states_->initial()); });
  }

  // afterToken(state, token) -> state (0: the grammar refuses the token)
  Napi::Value afterToken(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      const std::int32_t state = stateArg(info, 0);
      if (!info[1].IsNumber())
        fail(ErrorCode::kInvalidArgument, "afterToken(state, token): token is a number");
      return Napi::Number::New(info.Env(),
                               states_->afterToken(state, info[1].As<Napi::Number>().Int32Value()));
    });
  }

  Napi::Value complete(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      return Napi::Boolean::New(info.Env(), states_->complete(stateArg(info, 0)));
    });
  }

  // allowed(state) -> Uint32Array bitmask over the vocabulary (end tokens not included)
  Napi::Value allowed(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      const auto mask = states_->allowed(stateArg(info, 0));
      Napi::Uint32Array out = Napi::Uint32Array::New(info.Env(), mask->size());
      std::copy(mask->begin(), mask->end(), out.Data());
      return out;
    });
  }

  Napi::Value stateCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(states_->stateCount()));
  }

  Held states_;
};

Napi::FunctionReference* NativeGrammar::constructor = nullptr;

template <typename Typed>
Typed typedArg(const Napi::Value& value, napi_typedarray_type type, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type)
    fail(ErrorCode::kInvalidArgument, what);
  return value.As<Typed>();
}

// createVocabulary(bytes: Uint8Array, offsets: Float64Array [size + 1], special: Uint8Array [size])
Napi::Value createVocabularyJs(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    const auto bytes =
        typedArg<Napi::Uint8Array>(info[0], napi_uint8_array, "createVocabulary: bytes must be a Uint8Array");
    const auto offsets = typedArg<Napi::Float64Array>(info[1], napi_float64_array,
                                                      "createVocabulary: offsets must be a Float64Array");
    const auto special = typedArg<Napi::Uint8Array>(info[2], napi_uint8_array,
                                                    "createVocabulary: special must be a Uint8Array");
    std::vector<std::uint8_t> ownBytes(bytes.Data(), bytes.Data() + bytes.ElementLength());
    std::vector<std::int64_t> ownOffsets(offsets.ElementLength());
    for (std::size_t i = 0; i < ownOffsets.size(); ++i) ownOffsets[i] = static_cast<std::int64_t>(offsets[i]);
    std::vector<std::uint8_t> ownSpecial(special.Data(), special.Data() + special.ElementLength());
    using Held = NativeVocabulary::Held;
    return runAsync<Held>(
        info.Env(),
        [b = std::move(ownBytes), o = std::move(ownOffsets), s = std::move(ownSpecial)]() mutable -> Held {
          return std::make_shared<const TokenVocabulary>(std::move(b), std::move(o), std::move(s));
        },
        [](Napi::Env env, Held& held) -> Napi::Value {
          return NativeVocabulary::constructor->New({Napi::External<Held>::New(env, &held)});
        });
  });
}

// compileGrammar(text: string, vocabulary: NativeVocabulary, allowedSpecial: Int32Array)
Napi::Value compileGrammarJs(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    if (!info[0].IsString())
      fail(ErrorCode::kInvalidArgument, "compileGrammar: the grammar text must be a string");
    if (!info[1].IsObject() || !info[1].As<Napi::Object>().InstanceOf(NativeVocabulary::constructor->Value()))
      fail(ErrorCode::kInvalidArgument, "compileGrammar: expected a NativeVocabulary");
    const auto special = typedArg<Napi::Int32Array>(info[2], napi_int32_array,
                                                    "compileGrammar: allowedSpecial must be an Int32Array");
    std::string text = info[0].As<Napi::String>().Utf8Value();
    auto vocabulary = NativeVocabulary::Unwrap(info[1].As<Napi::Object>())->vocabulary();
    std::vector<std::int32_t> allowedSpecial(special.Data(), special.Data() + special.ElementLength());
    using Held = NativeGrammar::Held;
    return runAsync<Held>(
        info.Env(),
        [t = std::move(text), vocabulary, allowedSpecial]() -> Held {
          return std::make_shared<GrammarStates>(grammar::Grammar::compile(t), vocabulary, allowedSpecial);
        },
        [](Napi::Env env, Held& held) -> Napi::Value {
          return NativeGrammar::constructor->New({Napi::External<Held>::New(env, &held)});
        });
  });
}

}  // namespace

std::shared_ptr<GrammarStates> grammarOf(const Napi::Value& handle) {
  if (!handle.IsObject() || !handle.As<Napi::Object>().InstanceOf(NativeGrammar::constructor->Value()))
    fail(ErrorCode::kInvalidArgument, "expected a NativeGrammar (from compileGrammar)");
  return NativeGrammar::Unwrap(handle.As<Napi::Object>())->states();
}

void registerGrammar(Napi::Env env, Napi::Object exports) {
  NativeVocabulary::define(env, exports);
  NativeGrammar::define(env, exports);
  exports.Set("createVocabulary", Napi::Function::New(env, createVocabularyJs, "createVocabulary"));
  exports.Set("compileGrammar", Napi::Function::New(env, compileGrammarJs, "compileGrammar"));
}

}  // namespace vl2::napi

#pragma once
#include <napi.h>

#include <memory>

#include "grammar/grammar_states.h"

namespace vl2::napi {
// createVocabulary(bytes, offsets, special) -> Promise<NativeVocabulary>
// compileGrammar(text, vocabulary, allowedSpecial) -> Promise<NativeGrammar>
void registerGrammar(Napi::Env env, Napi::Object exports);
// The compiled grammar behind a NativeGrammar handle; throws when it is not one.
std::shared_ptr<grammar::GrammarStates> grammarOf(const Napi::Value& handle);
}  // namespace vl2::napi

// Reading typed values out of JS objects with errors that name the field.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.h"

namespace vl2::napi {

inline Napi::Value field(const Napi::Object& object, const char* key) { return object.Get(key); }

inline bool isAbsent(const Napi::Value& value) { return value.IsUndefined() || value.IsNull(); }

double numberField(const Napi::Object& object, const char* key, const std::string& where);
double numberFieldOr(const Napi::Object& object, const char* key, double fallback, const std::string& where);
bool boolFieldOr(const Napi::Object& object, const char* key, bool fallback, const std::string& where);
std::string stringFieldOr(const Napi::Object& object, const char* key, const std::string& fallback,
                          const std::string& where);
Napi::Object objectField(const Napi::Object& object, const char* key, const std::string& where);
// An Int32Array, or an array of integers.
std::vector<std::int32_t> int32ArrayField(const Napi::Object& object, const char* key,
                                          const std::string& where);

}  // namespace vl2::napi

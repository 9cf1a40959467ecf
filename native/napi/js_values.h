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
// A whole number in [min, max]. Casting a double outside the target type's range is undefined
// behaviour (UBSan's float-cast-overflow), so NaN, fractions and out-of-range values are refused
// with kInvalidArgument before any cast.
std::int64_t integerField(const Napi::Object& object, const char* key, std::int64_t min, std::int64_t max,
                          const std::string& where);
std::int64_t integerFieldOr(const Napi::Object& object, const char* key, std::int64_t fallback,
                            std::int64_t min, std::int64_t max, const std::string& where);
// The largest integer a JS number holds exactly (2^53 - 1).
constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53) - 1;
bool boolFieldOr(const Napi::Object& object, const char* key, bool fallback, const std::string& where);
std::string stringFieldOr(const Napi::Object& object, const char* key, const std::string& fallback,
                          const std::string& where);
Napi::Object objectField(const Napi::Object& object, const char* key, const std::string& where);
// An Int32Array, or an array of integers.
std::vector<std::int32_t> int32ArrayField(const Napi::Object& object, const char* key,
                                          const std::string& where);

}  // namespace vl2::napi

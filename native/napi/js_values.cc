#include "napi/js_values.h"

#include <cmath>

namespace vl2::napi {

double numberField(const Napi::Object& object, const char* key, const std::string& where) {
  Napi::Value value = object.Get(key);
  if (!value.IsNumber()) fail(ErrorCode::kInvalidArgument, where + "." + key + " must be a number");
  return value.As<Napi::Number>().DoubleValue();
}

double numberFieldOr(const Napi::Object& object, const char* key, double fallback, const std::string& where) {
  return isAbsent(object.Get(key)) ? fallback : numberField(object, key, where);
}

std::int64_t integerField(const Napi::Object& object, const char* key, std::int64_t min, std::int64_t max,
                          const std::string& where) {
  const double value = numberField(object, key, where);
  if (!(value >= static_cast<double>(min) && value <= static_cast<double>(max)) ||
      value != std::floor(value)) {
    fail(ErrorCode::kInvalidArgument, where + "." + key + " must be an integer in [" + std::to_string(min) +
                                          ", " + std::to_string(max) + "]");
  }
  return static_cast<std::int64_t>(value);
}

std::int64_t integerFieldOr(const Napi::Object& object, const char* key, std::int64_t fallback,
                            std::int64_t min, std::int64_t max, const std::string& where) {
  return isAbsent(object.Get(key)) ? fallback : integerField(object, key, min, max, where);
}

bool boolFieldOr(const Napi::Object& object, const char* key, bool fallback, const std::string& where) {
  Napi::Value value = object.Get(key);
  if (isAbsent(value)) return fallback;
  if (!value.IsBoolean()) fail(ErrorCode::kInvalidArgument, where + "." + key + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

std::string stringFieldOr(const Napi::Object& object, const char* key, const std::string& fallback,
                          const std::string& where) {
  Napi::Value value = object.Get(key);
  if (isAbsent(value)) return fallback;
  if (!value.IsString()) fail(ErrorCode::kInvalidArgument, where + "." + key + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

Napi::Object objectField(const Napi::Object& object, const char* key, const std::string& where) {
  Napi::Value value = object.Get(key);
  if (!value.IsObject()) fail(ErrorCode::kInvalidArgument, where + "." + key + " must be an object");
  return value.As<Napi::Object>();
}

std::vector<std::int32_t> int32ArrayField(const Napi::Object& object, const char* key,
                                          const std::string& where) {
  Napi::Value value = object.Get(key);
  std::vector<std::int32_t> out;
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    Napi::Int32Array array = value.As<Napi::Int32Array>();
    out.assign(array.Data(), array.Data() + array.ElementLength());
    return out;
  }
  if (!value.IsArray())
    fail(ErrorCode::kInvalidArgument, where + "." + key + " must be an Int32Array or an array");
  Napi::Array array = value.As<Napi::Array>();
  out.reserve(array.Length());
  for (std::uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    const double number = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(number) || number != std::floor(number) || std::fabs(number) > INT32_MAX) {
      fail(ErrorCode::kInvalidArgument, where + "." + key + "[" + std::to_string(i) + "] must be an integer");
    }
    out.push_back(static_cast<std::int32_t>(number));
  }
  return out;
}

}  // namespace vl2::napi

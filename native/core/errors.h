// Typed errors: every failure the engine reports carries a stable code that the
// JS side maps to an Error subclass (lib/errors.ts). Native code throws vl2::Error
// and never aborts the process; the N-API layer translates it.
#pragma once

#include <stdexcept>
#include <string>

namespace vl2 {

enum class ErrorCode {
  kInvalidArgument,  // a caller passed something malformed (shape, option, id)
  kCheckpoint,       // a model file is missing, truncated or inconsistent
  kUnsupported,      // a config value or dtype this engine does not implement
  kOutOfMemory,      // host or device allocation failed
  kContextOverflow,  // a prompt or generation past the model's context
  kCuda,             // a CUDA runtime or launch failure
  kAborted,          // cancelled by the caller
  kConstraint,       // a response format (grammar, schema, regex) that is malformed or unsupported
  kInternal,         // a broken invariant: a bug in this engine
};

// The code as the JS side sees it (`error.code`).
inline const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "VL2_INVALID_ARGUMENT";
    case ErrorCode::kCheckpoint: return "VL2_CHECKPOINT";
    case ErrorCode::kUnsupported: return "VL2_UNSUPPORTED";
    case ErrorCode::kOutOfMemory: return "VL2_OUT_OF_MEMORY";
    case ErrorCode::kContextOverflow: return "VL2_CONTEXT_OVERFLOW";
    case ErrorCode::kCuda: return "VL2_CUDA";
    case ErrorCode::kAborted: return "VL2_ABORTED";
    case ErrorCode::kConstraint: return "VL2_CONSTRAINT";
    case ErrorCode::kInternal: return "VL2_INTERNAL";
  }
  return "VL2_INTERNAL";
}

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

// The KV cache has too few free blocks for a request: an out-of-memory that waiting (or
// preempting another request) cures, unlike a failed device allocation.
class CacheFullError : public Error {
 public:
  explicit CacheFullError(const std::string& message) : Error(ErrorCode::kOutOfMemory, message) {}
};

}  // namespace vl2

// The checkpoint table and config that lib/checkpoint hands over (see
// lib/checkpoint/types.ts), read into native structures on the JS thread.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "core/model_config.h"
#include "core/weight_store.h"

namespace vl2::napi {

struct CheckpointFromJs {
  std::vector<std::string> files;
  std::vector<TensorRecord> records;
  ModelConfig config;
};

CheckpointFromJs checkpointFromJs(const Napi::Object& table);

}  // namespace vl2::napi

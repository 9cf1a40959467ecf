// Builds a Model from a checkpoint table (validated by lib/checkpoint) and the
// config values read from config.json; the widths the config leaves implicit
// (the vision tower's width and MLP width) are read off the tensor shapes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/model.h"

namespace vl2 {

std::unique_ptr<Model> loadModel(const std::vector<std::string>& files, std::vector<TensorRecord> records,
                                 ModelConfig config, const ModelOptions& options);

}  // namespace vl2

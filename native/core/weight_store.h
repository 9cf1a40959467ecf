// Every tensor of a checkpoint, by name, pointing into the mapped shards.
// lib/checkpoint validates the checkpoint completely and hands over a table of
// (name, file, absolute offset, byte length, dtype, shape); this store re-checks
// what memory safety depends on (bounds and sizes) before anything reads it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"

namespace vl2 {

struct TensorRecord {
  std::string name;
  int fileIndex = 0;
  std::uint64_t offset = 0;  // absolute byte offset in the file
  std::uint64_t byteLength = 0;
  DType dtype = DType::kBF16;
  std::vector<std::int64_t> shape;
};

struct WeightView {
  const std::string* name = nullptr;
  DType dtype = DType::kBF16;
  std::vector<std::int64_t> shape;
  const void* data = nullptr;

  std::int64_t numel() const;
  std::int64_t dim(int i) const { return shape.at(static_cast<std::size_t>(i)); }
  const std::uint16_t* bf16() const;  // throws unless dtype is BF16
};

// Small tensors (norm weights, biases, embedding rows) are widened to fp32 once, at load.
std::vector<float> widenToFloat(const WeightView& view);

class WeightStore {
 public:
  WeightStore(const std::vector<std::string>& files, std::vector<TensorRecord> records);

  const WeightView* find(const std::string& name) const;
  const WeightView& get(const std::string& name) const;  // throws Error(kCheckpoint) when missing
  // Also checks the shape; the message says expected vs found.
  const WeightView& get(const std::string& name, const std::vector<std::int64_t>& expectedShape) const;
  bool has(const std::string& name) const { return find(name) != nullptr; }
  std::uint64_t mappedBytes() const;
  // Every tensor, in no particular order.
  template <typename Visit>
  void forEach(Visit&& visit) const {
    for (const auto& entry : views_) visit(entry.second);
  }

 private:
  std::vector<std::unique_ptr<MappedFile>> files_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, WeightView> views_;
};

std::string shapeToString(const std::vector<std::int64_t>& shape);

}  // namespace vl2

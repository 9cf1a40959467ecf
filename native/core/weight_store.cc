#include "core/weight_store.h"

#include "core/errors.h"

namespace vl2 {

std::string shapeToString(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

std::int64_t WeightView::numel() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

const std::uint16_t* WeightView::bf16() const {
  if (dtype != DType::kBF16) {
    fail(ErrorCode::kUnsupported,
         "tensor " + *name + " is " + dtypeName(dtype) + "; this engine reads BF16 weights");
  }
  return static_cast<const std::uint16_t*>(data);
}

std::vector<float> widenToFloat(const WeightView& view) {
  std::vector<float> out(static_cast<std::size_t>(view.numel()));
  if (view.dtype == DType::kF32) {
    const float* src = static_cast<const float*>(view.data);
    out.assign(src, src + out.size());
    return out;
  }
  const std::uint16_t* src = view.bf16();
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = bf16ToFloat(src[i]);
  return out;
}

WeightStore::WeightStore(const std::vector<std::string>& files, std::vector<TensorRecord> records) {
  for (const std::string& path : files) files_.push_back(std::make_unique<MappedFile>(path));
  names_.reserve(records.size());
  for (TensorRecord& record : records) names_.push_back(record.name);
  for (std::size_t i = 0; i < records.size(); ++i) {
    TensorRecord& record = records[i];
    if (record.fileIndex < 0 || static_cast<std::size_t>(record.fileIndex) >= files_.size()) {
      fail(ErrorCode::kCheckpoint, "tensor " + record.name + " names file #" +
                                       std::to_string(record.fileIndex) + " of " +
                                       std::to_string(files_.size()));
    }
    const MappedFile& file = *files_[static_cast<std::size_t>(record.fileIndex)];
    // Checked products: a shape whose element count wraps 64 bits could otherwise match a small
    // byte length, and numel() would overflow later (found by test/fuzz/native/weight_store_fuzz).
    std::uint64_t bytes = dtypeSize(record.dtype);
    bool overflow = false;
    for (std::int64_t d : record.shape) {
      if (d < 0) fail(ErrorCode::kCheckpoint, "tensor " + record.name + " has a negative dimension");
      overflow = overflow || __builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes);
    }
    if (overflow || static_cast<std::int64_t>(bytes) < 0) {
      fail(ErrorCode::kCheckpoint,
           "tensor " + record.name + " has shape " + shapeToString(record.shape) + ", too large to address");
    }
    if (bytes != record.byteLength) {
      fail(ErrorCode::kCheckpoint, "tensor " + record.name + " in " + file.path() + ": " +
                                       std::to_string(record.byteLength) + " bytes do not hold " +
                                       dtypeName(record.dtype) + shapeToString(record.shape));
    }
    if (record.offset > file.size() || record.byteLength > file.size() - record.offset) {
      fail(ErrorCode::kCheckpoint, "tensor " + record.name + " lies past the end of " + file.path() + " (" +
                                       std::to_string(file.size()) + " bytes): the file is truncated");
    }
    WeightView view;
    view.name = &names_[i];
    view.dtype = record.dtype;
    view.shape = std::move(record.shape);
    view.data = file.data() + record.offset;
    views_.emplace(names_[i], std::move(view));
  }
}

const WeightView* WeightStore::find(const std::string& name) const {
  auto it = views_.find(name);
  return it == views_.end() ? nullptr : &it->second;
}

const WeightView& WeightStore::get(const std::string& name) const {
  const WeightView* view = find(name);
  if (!view) fail(ErrorCode::kCheckpoint, "the checkpoint has no tensor " + name);
  return *view;
}

const WeightView& WeightStore::get(const std::string& name,
                                   const std::vector<std::int64_t>& expectedShape) const {
  const WeightView& view = get(name);
  if (view.shape != expectedShape) {
    fail(ErrorCode::kCheckpoint, "tensor " + name + " has shape " + shapeToString(view.shape) +
                                     ", expected " + shapeToString(expectedShape));
  }
  return view;
}

std::uint64_t WeightStore::mappedBytes() const {
  std::uint64_t total = 0;
  for (const auto& file : files_) total += file->size();
  return total;
}

}  // namespace vl2

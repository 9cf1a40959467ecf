// libFuzzer target: the checkpoint table the native loader trusts least. lib/checkpoint validates
// safetensors headers in TypeScript, but WeightStore re-checks every bound memory safety depends on
// (file index, offset, byte length, dtype x shape) before a byte is read; this target hands it
// arbitrary files and arbitrary tensor records, then reads every byte of every view it accepted, so
// ASan reports any view that reaches past its mapping.
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/weight_store.h"

namespace {

// Up to this many shards, each up to this many bytes: enough for every bound to be crossed.
constexpr int kMaxFiles = 3;
constexpr std::size_t kMaxFileBytes = 4096;
constexpr int kMaxRecords = 16;
constexpr int kMaxDims = 6;

std::string& scratchPath() {
  static std::string path;
  return path;
}

// Removes the shards and their folder when libFuzzer exits.
void removeScratch() {
  for (int f = 0; f < kMaxFiles; ++f) std::remove((scratchPath() + "/shard" + std::to_string(f)).c_str());
  rmdir(scratchPath().c_str());
}

std::string scratchDir() {
  if (scratchPath().empty()) {
    const char* base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    scratchPath() = std::string(base) + "/vl2-fuzz-ws-" + std::to_string(getpid());
    mkdir(scratchPath().c_str(), 0700);
    std::atexit(removeScratch);
  }
  return scratchPath();
}

std::int64_t dimension(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return in.ConsumeIntegralInRange<std::int64_t>(0, 64);
    case 1: return in.ConsumeIntegralInRange<std::int64_t>(0, INT32_MAX);  // what napi hands over
    case 2: return std::int64_t{1} << in.ConsumeIntegralInRange<int>(0, 62);
    default: return in.ConsumeIntegral<std::int64_t>();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<std::string> files;
  const int fileCount = in.ConsumeIntegralInRange<int>(1, kMaxFiles);
  for (int f = 0; f < fileCount; ++f) {
    const std::string path = scratchDir() + "/shard" + std::to_string(f);
    const std::vector<std::uint8_t> bytes =
        in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, kMaxFileBytes));
    FILE* out = std::fopen(path.c_str(), "wb");
    if (!out) return 0;
    if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), out);
    std::fclose(out);
    files.push_back(path);
  }
  std::vector<vl2::TensorRecord> records;
  const int recordCount = in.ConsumeIntegralInRange<int>(0, kMaxRecords);
  for (int r = 0; r < recordCount; ++r) {
    vl2::TensorRecord record;
    record.name = in.ConsumeRandomLengthString(16);
    record.fileIndex = in.ConsumeIntegralInRange<int>(-1, kMaxFiles);
    record.offset = in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint64_t>(0, kMaxFileBytes + 8)
                                     : in.ConsumeIntegral<std::uint64_t>();
    record.byteLength = in.ConsumeBool() ? in.ConsumeIntegralInRange<std::uint64_t>(0, kMaxFileBytes + 8)
                                         : in.ConsumeIntegral<std::uint64_t>();
    record.dtype = static_cast<vl2::DType>(in.ConsumeIntegralInRange<int>(0, 2));
    const int dims = in.ConsumeIntegralInRange<int>(0, kMaxDims);
    for (int d = 0; d < dims; ++d) record.shape.push_back(dimension(in));
    records.push_back(std::move(record));
  }
  try {
    vl2::WeightStore store(files, records);
    volatile std::uint8_t sink = 0;
    store.forEach([&](const vl2::WeightView& view) {
      const auto* bytes = static_cast<const std::uint8_t*>(view.data);
      const std::uint64_t length = static_cast<std::uint64_t>(view.numel()) * vl2::dtypeSize(view.dtype);
      for (std::uint64_t i = 0; i < length; ++i) sink = sink + bytes[i];
      store.get(*view.name, view.shape);
    });
  } catch (const vl2::Error&) {
    // a typed refusal is the correct answer to a bad table
  }
  return 0;
}

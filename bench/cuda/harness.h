// Shared pieces of the CUDA kernel check-and-bench program: device buffers, random bf16
// data, relative-error checks against host references, event timing (median of repeats),
// and the result table with % of the ceilings measured in the same run.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backend/cuda/check.h"

namespace bench {

using bf16 = __nv_bfloat16;

inline float toFloat(uint16_t bits) {
  uint32_t v = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &v, 4);
  return f;
}
inline uint16_t toBits(float f) {
  uint32_t v;
  std::memcpy(&v, &f, 4);
  if ((v & 0x7f800000u) == 0x7f800000u) return static_cast<uint16_t>(v >> 16 | ((v & 0xffff) ? 0x40 : 0));
  v += 0x7fffu + ((v >> 16) & 1u);
  return static_cast<uint16_t>(v >> 16);
}
inline float roundBf16(float f) { return toFloat(toBits(f)); }

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count) : count_(count) {
    VL2_CUDA_CHECK(cudaMalloc(&data_, std::max<size_t>(count, 1) * sizeof(T)));
  }
  ~DeviceBuffer() {
    if (data_ != nullptr) cudaFree(data_);
  }
  DeviceBuffer(DeviceBuffer&& other) noexcept : data_(other.data_), count_(other.count_) {
    other.data_ = nullptr;
  }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return data_; }
  size_t count() const { return count_; }
  size_t bytes() const { return count_ * sizeof(T); }

 private:
  T* data_ = nullptr;
  size_t count_ = 0;
};

inline std::mt19937_64& rng() {
  static std::mt19937_64 generator(0x5eed);
  return generator;
}

// Host bf16 values as floats (already rounded) and their device copy.
struct Bf16Tensor {
  std::vector<float> host;
  DeviceBuffer<bf16> device;
};

inline void upload(const std::vector<float>& host, bf16* device) {
  std::vector<uint16_t> bits(host.size());
  for (size_t i = 0; i < host.size(); ++i) bits[i] = toBits(host[i]);
  VL2_CUDA_CHECK(cudaMemcpy(device, bits.data(), bits.size() * 2, cudaMemcpyHostToDevice));
}

inline Bf16Tensor randomBf16(size_t count, float scale) {
  Bf16Tensor t;
  t.host.resize(count);
  std::uniform_real_distribution<float> dist(-scale, scale);
  for (auto& v : t.host) v = roundBf16(dist(rng()));
  t.device = DeviceBuffer<bf16>(count);
  upload(t.host, t.device.get());
  return t;
}

namespace {
// Bench inputs: uniform in [-scale, scale) from a hash of the index, made on the device
// (hundreds of MB of expert weights would take the host seconds).
__global__ void fillRandomKernel(bf16* out, size_t count, unsigned long long seed, float scale) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    unsigned long long h = (i + 1) * 0x9e3779b97f4a7c15ull ^ seed;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    out[i] = __float2bfloat16_rn((static_cast<float>(h >> 40) / 16777216.0f * 2.0f - 1.0f) * scale);
  }
}
}  // namespace

inline DeviceBuffer<bf16> randomDevice(size_t count, float scale) {
  DeviceBuffer<bf16> buffer(count);
  fillRandomKernel<<<1024, 256>>>(buffer.get(), count, rng()(), scale);
  vl2::cuda::checkLaunch("fillRandomKernel");
  return buffer;
}

inline std::vector<float> download(const bf16* device, size_t count) {
  std::vector<uint16_t> bits(count);
  VL2_CUDA_CHECK(cudaMemcpy(bits.data(), device, count * 2, cudaMemcpyDeviceToHost));
  std::vector<float> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = toFloat(bits[i]);
  return out;
}
inline std::vector<float> download(const float* device, size_t count) {
  std::vector<float> out(count);
  VL2_CUDA_CHECK(cudaMemcpy(out.data(), device, count * 4, cudaMemcpyDeviceToHost));
  return out;
}

// NaN bit patterns, so an element the kernel never writes fails the check.
inline void poison(void* device, size_t bytes) { VL2_CUDA_CHECK(cudaMemset(device, 0xff, bytes)); }

// The GEMM kernel families a check or timing runs on (vl2::cuda::GemmPath): checks and rows
// name them, so the mma.sync and Hopper kernels are compared in one run.
inline std::string& pathLabel() {
  static std::string label;
  return label;
}
// The paths this GPU can run: mma.sync everywhere, the sm90 tiles on compute capability 9.x.
inline bool isHopperDevice() {
  cudaDeviceProp prop{};
  VL2_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  return prop.major == 9;
}

struct CheckResult {
  std::string name;
  double relativeError;
  bool passed;
};
inline std::vector<CheckResult>& checks() {
  static std::vector<CheckResult> all;
  return all;
}

// ||out - ref|| / ||ref|| over the given pairs; NaN or Inf anywhere fails.
inline void checkClose(const std::string& name, const std::vector<double>& out,
                       const std::vector<double>& ref, double tolerance = 1e-2) {
  double diff = 0.0, norm = 0.0;
  bool finite = out.size() == ref.size();
  for (size_t i = 0; i < out.size() && i < ref.size(); ++i) {
    if (!std::isfinite(out[i])) finite = false;
    diff += (out[i] - ref[i]) * (out[i] - ref[i]);
    norm += ref[i] * ref[i];
  }
  const double error = finite ? std::sqrt(diff / std::max(norm, 1e-300)) : INFINITY;
  const bool passed = finite && error < tolerance;
  const std::string labelled = pathLabel().empty() ? name : pathLabel() + " " + name;
  checks().push_back({labelled, error, passed});
  std::printf("check %-58s rel err %.3e  %s\n", labelled.c_str(), error, passed ? "ok" : "FAIL");
}

// Runs a group of checks; an error thrown inside (a launch refused, a fault) counts as one
// failed check and the program goes on to the next group and the timings.
inline void guarded(const std::string& name, const std::function<void()>& run) {
  try {
    run();
  } catch (const std::exception& error) {
    const std::string labelled = pathLabel().empty() ? name : pathLabel() + " " + name;
    checks().push_back({labelled, INFINITY, false});
    std::printf("check %-58s threw: %s  FAIL\n", labelled.c_str(), error.what());
  }
}

struct Ceilings {
  double copyTBs = 0.0;                   // device-to-device copy, bytes read + written
  double torchPeakTflops = 0.0;           // torch bf16 matmul 8192^3
  std::map<std::string, double> torchUs;  // torch time of the same op, by key
};
inline Ceilings& ceilings() {
  static Ceilings c;
  return c;
}

struct Row {
  std::string kernel, shape;
  double us;
  double tbs;     // achieved TB/s (0: not bandwidth-bound)
  double tflops;  // achieved TFLOP/s (0: not counted)
  std::string torchKey;
};
inline std::vector<Row>& rows() {
  static std::vector<Row> all;
  return all;
}

// Median device time in microseconds of one launch(i), i counting up (rotate inputs with
// it). Launches go in batches between two events so the GPU never waits on the host's launch
// gap (a lone short kernel would count it); the median is over the batches' averages.
inline double timeMedianUs(const std::function<void(int)>& launch, int warmup = 5, int repeats = 25) {
  constexpr int kRounds = 5;
  const int perRound = std::max(1, repeats / kRounds);
  int counter = 0;
  for (int i = 0; i < warmup; ++i) launch(counter++);
  VL2_CUDA_CHECK(cudaDeviceSynchronize());
  cudaEvent_t events[2 * kRounds];
  for (auto& e : events) VL2_CUDA_CHECK(cudaEventCreate(&e));
  for (int r = 0; r < kRounds; ++r) {
    VL2_CUDA_CHECK(cudaEventRecord(events[2 * r]));
    for (int i = 0; i < perRound; ++i) launch(counter++);
    VL2_CUDA_CHECK(cudaEventRecord(events[2 * r + 1]));
  }
  VL2_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<double> us(kRounds);
  for (int r = 0; r < kRounds; ++r) {
    float ms = 0.0f;
    VL2_CUDA_CHECK(cudaEventElapsedTime(&ms, events[2 * r], events[2 * r + 1]));
    us[r] = ms * 1e3 / perRound;
  }
  for (auto& e : events) cudaEventDestroy(e);
  std::sort(us.begin(), us.end());
  return us[kRounds / 2];
}

inline void record(const std::string& kernel, const std::string& shape, double us, double bytes, double flops,
                   const std::string& torchKey = "") {
  rows().push_back({kernel, shape, us, bytes > 0 ? bytes / us * 1e-6 : 0.0,
                    flops > 0 ? flops / us * 1e-6 : 0.0, torchKey});
}

inline std::string shapeOf(std::initializer_list<long long> dims) {
  std::string s;
  for (long long d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

// How many copies of a `bytes` buffer to rotate so one pass exceeds the L2 three times over.
inline int rotationCount(size_t bytes) {
  const size_t l2Triple = 3ull * 50 * 1024 * 1024;
  return static_cast<int>(std::clamp<size_t>((l2Triple + bytes - 1) / std::max<size_t>(bytes, 1), 1, 16));
}

// Entry points of the bench families (one file each).
void runGemm(bool quick);
void runMoe(bool quick);
void runAttention(bool quick);
void runElementwise(bool quick);
void runSweep();
void runMemory();

}  // namespace bench

// One block per row. Values are compared through order-preserving 32-bit keys of the float
// logits; a threshold is found by four 8-bit radix passes that each histogram the weight
// (a count for top-k, probability mass for top-p) of the candidates still matching the
// digits chosen so far, and descend into the bin where the running weight from the top
// reaches the target.
#include <cfloat>

#include "backend/cuda/check.h"
#include "backend/cuda/sampling/sampling.h"

namespace vl2::cuda {
namespace {

constexpr int kThreads = 1024;
constexpr int kBins = 256;

__device__ inline uint32_t keyOf(float value) {
  const uint32_t bits = __float_as_uint(value);
  return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}

// Sum over the block; every thread gets the result.
__device__ float blockSum(float value, float* scratch) {
  for (int o = 16; o > 0; o /= 2) value += __shfl_xor_sync(0xffffffffu, value, o);
  __syncthreads();
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = value;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < kThreads / 32; ++w) total += scratch[w];
  return total;
}

// The largest key t with weight(key >= t) >= target among keys >= floorKey. weight(i) is
// 1 (mass == false) or exp(l[i] * invT - maxScaled) (mass == true).
__device__ uint32_t radixThreshold(const float* l, int vocab, uint32_t floorKey, bool mass, float invT,
                                   float maxScaled, float target, float* histogram, uint32_t* shared) {
  uint32_t prefix = 0;
  float above = 0.0f;  // weight of candidates above the chosen prefix
  for (int pass = 0; pass < 4; ++pass) {
    const int shift = 24 - 8 * pass;
    for (int b = threadIdx.x; b < kBins; b += kThreads) histogram[b] = 0.0f;
    __syncthreads();
    for (int i = threadIdx.x; i < vocab; i += kThreads) {
      const uint32_t key = keyOf(l[i]);
      if (key < floorKey) continue;
      if (pass > 0 && (key >> (shift + 8)) != prefix) continue;
      atomicAdd(&histogram[(key >> shift) & 255u], mass ? __expf(l[i] * invT - maxScaled) : 1.0f);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      int chosen = 0;
      float running = above;
      for (int b = kBins - 1; b >= 0; --b) {
        if (running + histogram[b] >= target || b == 0) {
          chosen = b;
          break;
        }
        running += histogram[b];
      }
      shared[0] = (prefix << 8) | static_cast<uint32_t>(chosen);
      reinterpret_cast<float*>(shared)[1] = running;
    }
    __syncthreads();
    prefix = shared[0];
    above = reinterpret_cast<float*>(shared)[1];
    __syncthreads();
  }
  return prefix;
}

__device__ inline double uniformDraw(uint64_t seed, uint64_t draw) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (draw + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}

__global__ void __launch_bounds__(kThreads)
    sampleKernel(float* logits, int vocab, const SamplingRow* params, const int32_t* seenIds,
                 const uint32_t* masks, int32_t* tokens, float* logprobs) {
  __shared__ float histogram[kBins];
  __shared__ float scratch[kThreads / 32];
  __shared__ uint32_t shared[2];
  __shared__ float bestValue[kThreads / 32];
  __shared__ int bestIndex[kThreads / 32];
  const SamplingRow p = params[blockIdx.x];
  float* l = logits + static_cast<long long>(blockIdx.x) * vocab;

  // A response format's mask comes before every other filter, as on the host.
  if (p.maskOffset >= 0) {
    const uint32_t* allowed = masks + p.maskOffset;
    for (int i = threadIdx.x; i < vocab; i += kThreads)
      if (!((allowed[i >> 5] >> (i & 31)) & 1u)) l[i] = __int_as_float(0xff800000);  // -inf
    __syncthreads();
  }

  if (p.repetitionPenalty != 1.0f) {
    for (int i = threadIdx.x; i < p.seenCount; i += kThreads) {
      const int id = seenIds[p.seenOffset + i];
      if (id < 0 || id >= vocab) continue;
      const float v = l[id];
      l[id] = v < 0.0f ? v * p.repetitionPenalty : v / p.repetitionPenalty;
    }
    __syncthreads();
  }
  // Maximum and its lowest index.
  float best = -FLT_MAX;
  int bestAt = 0;
  for (int i = threadIdx.x; i < vocab; i += kThreads) {
    if (l[i] > best) {
      best = l[i];
      bestAt = i;
    }
  }
  for (int o = 16; o > 0; o /= 2) {
    const float other = __shfl_xor_sync(0xffffffffu, best, o);
    const int otherAt = __shfl_xor_sync(0xffffffffu, bestAt, o);
    if (other > best || (other == best && otherAt < bestAt)) {
      best = other;
      bestAt = otherAt;
    }
  }
  if (threadIdx.x % 32 == 0) {
    bestValue[threadIdx.x / 32] = best;
    bestIndex[threadIdx.x / 32] = bestAt;
  }
  __syncthreads();
  best = bestValue[0];
  bestAt = bestIndex[0];
  for (int w = 1; w < kThreads / 32; ++w) {
    if (bestValue[w] > best || (bestValue[w] == best && bestIndex[w] < bestAt)) {
      best = bestValue[w];
      bestAt = bestIndex[w];
    }
  }

  if (p.temperature == 0.0f) {
    float sum = 0.0f;
    for (int i = threadIdx.x; i < vocab; i += kThreads) sum += __expf(l[i] - best);
    sum = blockSum(sum, scratch);
    if (threadIdx.x == 0) {
      tokens[blockIdx.x] = bestAt;
      logprobs[blockIdx.x] = -logf(sum);
    }
    return;
  }
  const float invT = 1.0f / p.temperature;
  const float maxScaled = best * invT;
  uint32_t floorKey = 0;
  if (p.topK > 0 && p.topK < vocab)
    floorKey =
        radixThreshold(l, vocab, 0, false, invT, maxScaled, static_cast<float>(p.topK), histogram, shared);
  float mass = 0.0f;
  for (int i = threadIdx.x; i < vocab; i += kThreads)
    if (keyOf(l[i]) >= floorKey) mass += __expf(l[i] * invT - maxScaled);
  mass = blockSum(mass, scratch);
  if (p.topP < 1.0f) {
    const uint32_t topPKey =
        radixThreshold(l, vocab, floorKey, true, invT, maxScaled, p.topP * mass, histogram, shared);
    floorKey = max(floorKey, topPKey);
  }
  if (p.minP > 0.0f) {  // probability >= minP x the top one, i.e. scaled logit >= max + ln(minP)
    const float floorValue = (maxScaled + logf(p.minP)) * p.temperature;
    floorKey = max(floorKey, min(keyOf(floorValue), keyOf(best)));
  }
  // The kept mass, then the draw: each thread owns a contiguous span of ids, so the order of
  // accumulation is the ids' order whatever the thread count.
  const int span = (vocab + kThreads - 1) / kThreads;
  const int begin = threadIdx.x * span, end = min(vocab, begin + span);
  float own = 0.0f;
  for (int i = begin; i < end; ++i)
    if (keyOf(l[i]) >= floorKey) own += __expf(l[i] * invT - maxScaled);
  // Exclusive prefix over threads of their spans' mass.
  float inclusive = own;
  for (int o = 1; o < 32; o *= 2) {
    const float n = __shfl_up_sync(0xffffffffu, inclusive, o);
    if (threadIdx.x % 32 >= o) inclusive += n;
  }
  __syncthreads();
  if (threadIdx.x % 32 == 31) scratch[threadIdx.x / 32] = inclusive;
  __syncthreads();
  float warpBase = 0.0f, kept = 0.0f;
  for (int w = 0; w < kThreads / 32; ++w) {
    if (w < static_cast<int>(threadIdx.x / 32)) warpBase += scratch[w];
    kept += scratch[w];
  }
  const float before = warpBase + inclusive - own;
  const float target = static_cast<float>(uniformDraw(p.seed, p.draw)) * kept;
  // The thread whose span holds the target picks; if rounding leaves it past every span, the
  // last kept id (found by the last thread with mass) picks.
  const bool mine = own > 0.0f && target >= before && (target < before + own || before + own >= kept);
  if (mine) {
    float running = before;
    int chosen = -1;
    for (int i = begin; i < end; ++i) {
      if (keyOf(l[i]) < floorKey) continue;
      chosen = i;
      running += __expf(l[i] * invT - maxScaled);
      if (running > target) break;
    }
    tokens[blockIdx.x] = chosen;
    logprobs[blockIdx.x] = (l[chosen] * invT - maxScaled) - logf(kept);
  }
}

}  // namespace

void sampleTokens(float* logits, int rows, int vocab, const SamplingRow* params, const int32_t* seenIds,
                  const uint32_t* masks, int32_t* tokens, float* logprobs, cudaStream_t stream) {
  require(rows >= 0 && vocab > 0, "sampling sizes");
  if (rows == 0) return;
  sampleKernel<<<rows, kThreads, 0, stream>>>(logits, vocab, params, seenIds, masks, tokens, logprobs);
  checkLaunch("sampleKernel");
}

}  // namespace vl2::cuda

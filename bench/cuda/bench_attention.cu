// Attention checks (fp64 host references, NaN in unused cache slots) and timings.
#include <numeric>

#include "backend/cuda/attention/attention.h"
#include "harness.h"

namespace bench {

namespace {

constexpr int kPage = 64;

// A paged cache whose blocks are handed out in shuffled order; slots past each sequence's
// end hold NaN, so a kernel that reads them fails the check.
struct PagedSetup {
  std::vector<int32_t> lens;
  int maxBlocks = 0;
  std::vector<int32_t> table;  // [batch, maxBlocks]
  int blocks = 0;
  DeviceBuffer<int32_t> tableDevice, lensDevice;
  vl2::cuda::PagedCache cache() const {
    return {tableDevice.get(), maxBlocks, lensDevice.get(), *std::max_element(lens.begin(), lens.end())};
  }
};

PagedSetup makePaged(const std::vector<int32_t>& lens) {
  PagedSetup s;
  s.lens = lens;
  for (int len : lens) s.maxBlocks = std::max(s.maxBlocks, (len + kPage - 1) / kPage);
  const int batch = static_cast<int>(lens.size());
  s.blocks = batch * s.maxBlocks;
  std::vector<int32_t> order(s.blocks);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng());
  s.table = order;
  s.tableDevice = DeviceBuffer<int32_t>(s.table.size());
  s.lensDevice = DeviceBuffer<int32_t>(lens.size());
  VL2_CUDA_CHECK(cudaMemcpy(s.tableDevice.get(), s.table.data(), s.table.size() * 4, cudaMemcpyHostToDevice));
  VL2_CUDA_CHECK(cudaMemcpy(s.lensDevice.get(), lens.data(), lens.size() * 4, cudaMemcpyHostToDevice));
  return s;
}

// Host index of token t of sequence b in a cache of `rowValues` values a token.
size_t slotOf(const PagedSetup& s, int b, int t) {
  return static_cast<size_t>(s.table[static_cast<size_t>(b) * s.maxBlocks + t / kPage]) * kPage + t % kPage;
}

// The fp64 reference of one query's attention over `keys` keys: scoreOf(t) the dot product with
// key t, valueRow(t) value t's `width` values; softmax(scale * scores) . values.
template <typename ScoreOf, typename ValueRow>
std::vector<double> attendReference(int keys, int width, double scale, ScoreOf scoreOf, ValueRow valueRow) {
  std::vector<double> scores(keys);
  double maxScore = -1e300;
  for (int t = 0; t < keys; ++t) {
    scores[t] = scoreOf(t) * scale;
    maxScore = std::max(maxScore, scores[t]);
  }
  double total = 0.0;
  for (double& x : scores) total += (x = std::exp(x - maxScore));
  std::vector<double> o(width, 0.0);
  for (int t = 0; t < keys; ++t) {
    const float* values = valueRow(t);
    for (int i = 0; i < width; ++i) o[i] += scores[t] / total * values[i];
  }
  return o;
}

void poisonTails(const PagedSetup& s, std::vector<float>& cache, size_t rowValues) {
  for (size_t b = 0; b < s.lens.size(); ++b)
    for (int t = s.lens[b]; t < s.maxBlocks * kPage; ++t)
      for (size_t i = 0; i < rowValues; ++i) cache[slotOf(s, static_cast<int>(b), t) * rowValues + i] = NAN;
}

void checkMla(const std::vector<int32_t>& lens, int heads) {
  PagedSetup s = makePaged(lens);
  const int batch = static_cast<int>(lens.size());
  const size_t row = 576;
  Bf16Tensor cache = randomBf16(static_cast<size_t>(s.blocks) * kPage * row, 1.0f);
  poisonTails(s, cache.host, row);
  upload(cache.host, cache.device.get());
  Bf16Tensor qLatent = randomBf16(static_cast<size_t>(batch) * heads * 512, 2.0f);
  Bf16Tensor qRope = randomBf16(static_cast<size_t>(batch) * heads * 64, 2.0f);
  const float scale = 1.0f / std::sqrt(192.0f);
  DeviceBuffer<bf16> out(static_cast<size_t>(batch) * heads * 512);
  poison(out.get(), out.bytes());
  const size_t workspaceBytes = vl2::cuda::decodeWorkspaceBytes(batch, heads, 512);
  DeviceBuffer<char> workspace(workspaceBytes);
  vl2::cuda::mlaDecode(qLatent.device.get(), qRope.device.get(), cache.device.get(), s.cache(), batch, heads,
                       scale, out.get(), workspace.get(), workspaceBytes, nullptr);
  const std::vector<float> got = download(out.get(), out.count());
  std::vector<double> want;
  for (int b = 0; b < batch; ++b) {
    for (int h = 0; h < heads; ++h) {
      const float* ql = &qLatent.host[(static_cast<size_t>(b) * heads + h) * 512];
      const float* qr = &qRope.host[(static_cast<size_t>(b) * heads + h) * 64];
      const auto latentRow = [&](int t) { return &cache.host[slotOf(s, b, t) * row]; };
      const std::vector<double> o = attendReference(
          lens[b], 512, scale,
          [&](int t) {
            const float* c = latentRow(t);
            double dotValue = 0.0;
            for (int i = 0; i < 512; ++i) dotValue += static_cast<double>(ql[i]) * c[i];
            for (int i = 0; i < 64; ++i) dotValue += static_cast<double>(qr[i]) * c[512 + i];
            return dotValue;
          },
          latentRow);
      want.insert(want.end(), o.begin(), o.end());
    }
  }
  std::string lensText;
  for (int l : lens) lensText += (lensText.empty() ? "" : ",") + std::to_string(l);
  checkClose("mla decode heads " + std::to_string(heads) + " lens " + lensText,
             std::vector<double>(got.begin(), got.end()), want);
}

void checkMha(const std::vector<int32_t>& lens, int heads, int kvHeads) {
  PagedSetup s = makePaged(lens);
  const int batch = static_cast<int>(lens.size());
  const size_t row = static_cast<size_t>(kvHeads) * 128;
  Bf16Tensor k = randomBf16(static_cast<size_t>(s.blocks) * kPage * row, 1.0f);
  Bf16Tensor v = randomBf16(static_cast<size_t>(s.blocks) * kPage * row, 1.0f);
  poisonTails(s, k.host, row);
  poisonTails(s, v.host, row);
  upload(k.host, k.device.get());
  upload(v.host, v.device.get());
  Bf16Tensor q = randomBf16(static_cast<size_t>(batch) * heads * 128, 2.0f);
  const float scale = 1.0f / std::sqrt(128.0f);
  DeviceBuffer<bf16> out(static_cast<size_t>(batch) * heads * 128);
  poison(out.get(), out.bytes());
  const size_t workspaceBytes = vl2::cuda::decodeWorkspaceBytes(batch, heads, 128);
  DeviceBuffer<char> workspace(workspaceBytes);
  vl2::cuda::mhaDecode(q.device.get(), k.device.get(), v.device.get(), s.cache(), batch, heads, kvHeads,
                       scale, out.get(), workspace.get(), workspaceBytes, nullptr);
  const std::vector<float> got = download(out.get(), out.count());
  std::vector<double> want;
  for (int b = 0; b < batch; ++b) {
    for (int h = 0; h < heads; ++h) {
      const int kvh = h / (heads / kvHeads);
      const float* qr = &q.host[(static_cast<size_t>(b) * heads + h) * 128];
      const std::vector<double> o = attendReference(
          lens[b], 128, scale,
          [&](int t) {
            const float* kr = &k.host[slotOf(s, b, t) * row + kvh * 128];
            double d = 0.0;
            for (int i = 0; i < 128; ++i) d += static_cast<double>(qr[i]) * kr[i];
            return d;
          },
          [&](int t) { return &v.host[slotOf(s, b, t) * row + kvh * 128]; });
      want.insert(want.end(), o.begin(), o.end());
    }
  }
  checkClose("mha decode heads " + std::to_string(heads) + "/" + std::to_string(kvHeads) + " batch " +
                 std::to_string(batch) + " max len " +
                 std::to_string(*std::max_element(lens.begin(), lens.end())),
             std::vector<double>(got.begin(), got.end()), want);
}

// Layout of one flash case: q, k, v either packed [tokens, 3 * heads * dim] (SigLIP's qkv
// projection) or separate [tokens, heads, dim] tensors.
struct FlashCase {
  int batch, heads, kvHeads, qLen, kvLen, qkDim, vDim;
  bool causal, packed;
};

void checkFlash(const FlashCase& c) {
  const long long qRow = c.packed ? 3LL * c.heads * c.qkDim : static_cast<long long>(c.heads) * c.qkDim;
  const long long kRow = c.packed ? qRow : static_cast<long long>(c.kvHeads) * c.qkDim;
  const long long vRow = c.packed ? qRow : static_cast<long long>(c.kvHeads) * c.vDim;
  Bf16Tensor qBuf = randomBf16(static_cast<size_t>(c.batch) * c.qLen * qRow, 2.0f);
  Bf16Tensor kBuf = c.packed ? Bf16Tensor{} : randomBf16(static_cast<size_t>(c.batch) * c.kvLen * kRow, 1.0f);
  Bf16Tensor vBuf = c.packed ? Bf16Tensor{} : randomBf16(static_cast<size_t>(c.batch) * c.kvLen * vRow, 1.0f);
  const Bf16Tensor& kSrc = c.packed ? qBuf : kBuf;
  const Bf16Tensor& vSrc = c.packed ? qBuf : vBuf;
  const long long kOffset = c.packed ? static_cast<long long>(c.heads) * c.qkDim : 0;
  const long long vOffset = c.packed ? 2LL * c.heads * c.qkDim : 0;
  const long long oRow = static_cast<long long>(c.heads) * c.vDim;
  DeviceBuffer<bf16> out(static_cast<size_t>(c.batch) * c.qLen * oRow);
  poison(out.get(), out.bytes());
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.qkDim));
  vl2::cuda::FlashTensor q{qBuf.device.get(), qRow, c.qkDim, c.qLen * qRow};
  vl2::cuda::FlashTensor k{kSrc.device.get() + kOffset, kRow, c.qkDim, c.kvLen * kRow};
  vl2::cuda::FlashTensor v{vSrc.device.get() + vOffset, vRow, c.vDim, c.kvLen * vRow};
  vl2::cuda::FlashOutput o{out.get(), oRow, c.vDim, c.qLen * oRow};
  vl2::cuda::flashPrefill(q, k, v, o, c.batch, c.heads, c.kvHeads, c.qLen, c.kvLen, c.qkDim, c.vDim, scale,
                          c.causal, nullptr);
  const std::vector<float> got = download(out.get(), out.count());
  std::vector<double> gotSampled, want;
  for (float x : got)
    if (!std::isfinite(x)) gotSampled.push_back(NAN);
  const int offset = c.kvLen - c.qLen;
  for (int b = 0; b < c.batch; ++b) {
    for (int i = 0; i < c.qLen; i += std::max(1, c.qLen / 40)) {
      for (int h = 0; h < c.heads; ++h) {
        const int kvh = h / (c.heads / c.kvHeads);
        const float* qr =
            &qBuf.host[(static_cast<size_t>(b) * c.qLen + i) * qRow + static_cast<size_t>(h) * c.qkDim];
        const int keys = c.causal ? i + offset + 1 : c.kvLen;
        std::vector<double> scores(keys);
        double maxScore = -1e300;
        for (int j = 0; j < keys; ++j) {
          const float* kr = &kSrc.host[(static_cast<size_t>(b) * c.kvLen + j) * kRow + kOffset +
                                       static_cast<size_t>(kvh) * c.qkDim];
          double d = 0.0;
          for (int x = 0; x < c.qkDim; ++x) d += static_cast<double>(qr[x]) * kr[x];
          scores[j] = d * scale;
          maxScore = std::max(maxScore, scores[j]);
        }
        double total = 0.0;
        for (double& x : scores) total += (x = std::exp(x - maxScore));
        for (int d = 0; d < c.vDim; ++d) {
          double acc = 0.0;
          for (int j = 0; j < keys; ++j)
            acc += scores[j] / total *
                   vSrc.host[(static_cast<size_t>(b) * c.kvLen + j) * vRow + vOffset +
                             static_cast<size_t>(kvh) * c.vDim + d];
          want.push_back(acc);
          gotSampled.push_back(
              got[(static_cast<size_t>(b) * c.qLen + i) * oRow + static_cast<size_t>(h) * c.vDim + d]);
        }
      }
    }
  }
  want.resize(gotSampled.size(), 0.0);
  checkClose("flash " + std::string(c.causal ? "causal " : "full ") +
                 shapeOf({c.batch, c.qLen, c.kvLen, c.heads, c.kvHeads, c.qkDim, c.vDim}) +
                 (c.packed ? " packed" : ""),
             gotSampled, want);
}

void benchMla(int batch, int seqLen, int heads) {
  PagedSetup s = makePaged(std::vector<int32_t>(batch, seqLen));
  const size_t cacheValues = static_cast<size_t>(s.blocks) * kPage * 576;
  const int copies = rotationCount(cacheValues * 2);
  std::vector<DeviceBuffer<bf16>> caches;
  for (int i = 0; i < copies; ++i) caches.push_back(randomDevice(cacheValues, 1.0f));
  Bf16Tensor qLatent = randomBf16(static_cast<size_t>(batch) * heads * 512, 2.0f);
  Bf16Tensor qRope = randomBf16(static_cast<size_t>(batch) * heads * 64, 2.0f);
  DeviceBuffer<bf16> out(static_cast<size_t>(batch) * heads * 512);
  const size_t workspaceBytes = vl2::cuda::decodeWorkspaceBytes(batch, heads, 512);
  DeviceBuffer<char> workspace(workspaceBytes);
  const double us = timeMedianUs([&](int i) {
    vl2::cuda::mlaDecode(qLatent.device.get(), qRope.device.get(), caches[i % copies].get(), s.cache(), batch,
                         heads, 0.07f, out.get(), workspace.get(), workspaceBytes, nullptr);
  });
  const double bytes = static_cast<double>(batch) * seqLen * 1152 + batch * heads * (576 + 512) * 2.0;
  const double flops = 2.0 * batch * heads * seqLen * (576 + 512);
  record("mla decode h" + std::to_string(heads), shapeOf({batch, seqLen}), us, bytes, flops);
}

void benchMha(int batch, int seqLen, int heads) {
  PagedSetup s = makePaged(std::vector<int32_t>(batch, seqLen));
  const size_t cacheValues = static_cast<size_t>(s.blocks) * kPage * heads * 128;
  const int copies = rotationCount(cacheValues * 4);
  std::vector<DeviceBuffer<bf16>> ks, vs;
  for (int i = 0; i < copies; ++i) {
    ks.push_back(randomDevice(cacheValues, 1.0f));
    vs.push_back(randomDevice(cacheValues, 1.0f));
  }
  Bf16Tensor q = randomBf16(static_cast<size_t>(batch) * heads * 128, 2.0f);
  DeviceBuffer<bf16> out(static_cast<size_t>(batch) * heads * 128);
  const size_t workspaceBytes = vl2::cuda::decodeWorkspaceBytes(batch, heads, 128);
  DeviceBuffer<char> workspace(workspaceBytes);
  const double us = timeMedianUs([&](int i) {
    vl2::cuda::mhaDecode(q.device.get(), ks[i % copies].get(), vs[i % copies].get(), s.cache(), batch, heads,
                         heads, 0.088f, out.get(), workspace.get(), workspaceBytes, nullptr);
  });
  const double bytes = static_cast<double>(batch) * seqLen * heads * 512 + batch * heads * 512.0;
  record("mha decode h" + std::to_string(heads), shapeOf({batch, seqLen}), us, bytes,
         4.0 * batch * heads * seqLen * 128);
}

void benchFlash(const std::string& label, const FlashCase& c) {
  const long long qRow = static_cast<long long>(c.heads) * c.qkDim;
  const long long vRow = static_cast<long long>(c.heads) * c.vDim;
  Bf16Tensor qBuf = randomBf16(static_cast<size_t>(c.batch) * c.qLen * qRow, 2.0f);
  Bf16Tensor kBuf = randomBf16(static_cast<size_t>(c.batch) * c.kvLen * qRow, 1.0f);
  Bf16Tensor vBuf = randomBf16(static_cast<size_t>(c.batch) * c.kvLen * vRow, 1.0f);
  DeviceBuffer<bf16> out(static_cast<size_t>(c.batch) * c.qLen * vRow);
  vl2::cuda::FlashTensor q{qBuf.device.get(), qRow, c.qkDim, c.qLen * qRow};
  vl2::cuda::FlashTensor k{kBuf.device.get(), qRow, c.qkDim, c.kvLen * qRow};
  vl2::cuda::FlashTensor v{vBuf.device.get(), vRow, c.vDim, c.kvLen * vRow};
  vl2::cuda::FlashOutput o{out.get(), vRow, c.vDim, c.qLen * vRow};
  const double us = timeMedianUs([&](int) {
    vl2::cuda::flashPrefill(q, k, v, o, c.batch, c.heads, c.kvHeads, c.qLen, c.kvLen, c.qkDim, c.vDim, 0.1f,
                            c.causal, nullptr);
  });
  const double pairs = c.causal ? 0.5 * c.qLen * c.kvLen : static_cast<double>(c.qLen) * c.kvLen;
  const double flops = 2.0 * pairs * (c.qkDim + c.vDim) * c.heads * c.batch;
  const std::string shape = shapeOf({c.batch, c.qLen, c.heads, c.qkDim, c.vDim});
  record("flash " + label, shape, us, 0.0, flops,
         std::string("flash ") + (c.causal ? "causal " : "full ") + shape);
}

}  // namespace

void runAttention(bool quick) {
  checkMla({1, 70, 300}, 16);
  checkMla({2000, 64, 129}, 32);
  checkMla({5000}, 16);
  checkMla({37, 4}, 5);
  checkMha({1, 100, 3000}, 10, 10);
  checkMha({65, 700}, 8, 2);
  checkFlash({2, 16, 16, 729, 729, 72, 72, false, true});
  checkFlash({1, 10, 10, 300, 300, 128, 128, true, false});
  checkFlash({1, 16, 16, 200, 260, 192, 128, true, false});
  checkFlash({2, 8, 2, 100, 100, 128, 128, true, false});
  if (quick) return;
  for (int heads : {16, 32}) {
    benchMla(1, 4096, heads);
    benchMla(8, 4096, heads);
    benchMla(64, 1024, heads);
  }
  benchMha(1, 4096, 10);
  benchMha(8, 4096, 10);
  benchMha(64, 1024, 10);
  benchFlash("SigLIP 7 tiles", {7, 16, 16, 729, 729, 72, 72, false, false});
  benchFlash("Tiny prefill", {1, 10, 10, 4096, 4096, 128, 128, true, false});
  benchFlash("MLA prefill expanded", {1, 16, 16, 4096, 4096, 192, 128, true, false});
}

}  // namespace bench

// Variant sweep (kernels --sweep): times other tile shapes of the same kernels on prefill and
// medium-M shapes, each checked against the shipped configuration's output, to choose the
// configurations in gemm/config.h and attention/config.h with numbers.
#include "backend/cuda/attention/flash_prefill.cuh"
#include "backend/cuda/gemm/dispatch.cuh"
#include "harness.h"

namespace bench {

namespace {

using vl2::cuda::gemmk::GemmParams;
using vl2::cuda::gemmk::TileConfig;

double relativeDifference(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    norm += static_cast<double>(b[i]) * b[i];
  }
  return std::isfinite(diff) ? std::sqrt(diff / std::max(norm, 1e-300)) : INFINITY;
}

template <class Cfg>
void sweepTile(const char* name, GemmParams p, const std::vector<float>& reference,
               const DeviceBuffer<bf16>& out) {
  poison(out.get(), out.bytes());
  vl2::cuda::gemmk::launchTiled<Cfg, false, false, bf16>(p, nullptr);
  const double error = relativeDifference(download(out.get(), out.count()), reference);
  const double us =
      timeMedianUs([&](int) { vl2::cuda::gemmk::launchTiled<Cfg, false, false, bf16>(p, nullptr); });
  record(std::string("sweep gemm ") + name + (error < 1e-2 ? "" : " WRONG"), shapeOf({p.m, p.n, p.k}), us, 0,
         2.0 * p.m * p.n * p.k, "gemm " + shapeOf({p.m, p.n, p.k}));
}

void sweepGemm(int m, int n, int k) {
  DeviceBuffer<bf16> x = randomDevice(static_cast<size_t>(m) * k, 1.0f);
  DeviceBuffer<bf16> w = randomDevice(static_cast<size_t>(n) * k, 0.03f);
  DeviceBuffer<bf16> out(static_cast<size_t>(m) * n);
  GemmParams p;
  p.x = x.get();
  p.w = w.get();
  p.m = m;
  p.n = n;
  p.k = k;
  p.out = out.get();
  p.outStride = n;
  vl2::cuda::gemmk::launchTiled<vl2::cuda::gemmk::LargeTile, false, false, bf16>(p, nullptr);
  const std::vector<float> reference = download(out.get(), out.count());
  sweepTile<TileConfig<128, 128, 2, 4, 3>>("128x128 w2x4 s3", p, reference, out);
  sweepTile<TileConfig<128, 128, 2, 4, 4>>("128x128 w2x4 s4", p, reference, out);
  sweepTile<TileConfig<128, 128, 2, 2, 4>>("128x128 w2x2 s4", p, reference, out);
  sweepTile<TileConfig<128, 256, 2, 4, 3>>("128x256 w2x4 s3", p, reference, out);
  sweepTile<TileConfig<256, 128, 4, 2, 3>>("256x128 w4x2 s3", p, reference, out);
  sweepTile<TileConfig<64, 128, 2, 4, 4>>("64x128 w2x4 s4", p, reference, out);
  sweepTile<TileConfig<64, 64, 2, 2, 4>>("64x64 w2x2 s4", p, reference, out);
  if (m <= 256) {  // decode-ish rows: the skinny kernel over token passes of 16
    poison(out.get(), out.bytes());
    vl2::cuda::gemmk::launchSkinny<2, false, false, bf16>(p, nullptr);
    const double error = relativeDifference(download(out.get(), out.count()), reference);
    const double us =
        timeMedianUs([&](int) { vl2::cuda::gemmk::launchSkinny<2, false, false, bf16>(p, nullptr); });
    record(std::string("sweep gemm skinny passes") + (error < 1e-2 ? "" : " WRONG"), shapeOf({m, n, k}), us,
           2.0 * n * k, 2.0 * m * n * k);
  }
}

template <int kQk, int kV, int kWarps>
void sweepFlash(int batch, int len, int heads, bool causal) {
  vl2::cuda::attention::FlashParams p{};
  const long long qRow = static_cast<long long>(heads) * (kQk == 80 ? 72 : kQk);
  const long long vRow = static_cast<long long>(heads) * (kV == 80 ? 72 : kV);
  DeviceBuffer<bf16> q = randomDevice(static_cast<size_t>(batch) * len * qRow, 2.0f);
  DeviceBuffer<bf16> k = randomDevice(static_cast<size_t>(batch) * len * qRow, 1.0f);
  DeviceBuffer<bf16> v = randomDevice(static_cast<size_t>(batch) * len * vRow, 1.0f);
  DeviceBuffer<bf16> out(static_cast<size_t>(batch) * len * vRow);
  p.q = q.get();
  p.k = k.get();
  p.v = v.get();
  p.out = out.get();
  p.qToken = qRow;
  p.qHead = qRow / heads;
  p.qBatch = len * qRow;
  p.kToken = qRow;
  p.kHead = qRow / heads;
  p.kBatch = len * qRow;
  p.vToken = vRow;
  p.vHead = vRow / heads;
  p.vBatch = len * vRow;
  p.oToken = vRow;
  p.oHead = vRow / heads;
  p.oBatch = len * vRow;
  p.heads = heads;
  p.kvHeads = heads;
  p.qLen = len;
  p.kvLen = len;
  p.qkDim = static_cast<int>(qRow / heads);
  p.vDim = static_cast<int>(vRow / heads);
  p.scale = 0.1f;
  p.causal = causal;
  vl2::cuda::attention::launchFlashPrefill<kQk, kV, 4>(p, batch, nullptr, "flashPrefillKernel(sweep)");
  const std::vector<float> reference = download(out.get(), out.count());
  poison(out.get(), out.bytes());
  vl2::cuda::attention::launchFlashPrefill<kQk, kV, kWarps>(p, batch, nullptr, "flashPrefillKernel(sweep)");
  const double error = relativeDifference(download(out.get(), out.count()), reference);
  const double us = timeMedianUs(
      [&](int) { vl2::cuda::attention::launchFlashPrefill<kQk, kV, kWarps>(p, batch, nullptr, "flashPrefillKernel(sweep)"); });
  const double pairs = causal ? 0.5 * len * len : static_cast<double>(len) * len;
  record("sweep flash warps " + std::to_string(kWarps) + (error < 1e-2 ? "" : " WRONG"),
         shapeOf({batch, len, heads, p.qkDim, p.vDim}), us, 0,
         2.0 * pairs * (p.qkDim + p.vDim) * heads * batch);
}

}  // namespace

void runSweep() {
  sweepGemm(4096, 2048, 10944);
  sweepGemm(4096, 10944, 2048);
  sweepGemm(5103, 4304, 1152);
  sweepGemm(8192, 8192, 8192);
  sweepGemm(64, 2048, 10944);
  sweepGemm(256, 2048, 10944);
  sweepGemm(64, 2048, 2048);
  sweepFlash<80, 80, 4>(7, 729, 16, false);
  sweepFlash<80, 80, 8>(7, 729, 16, false);
  sweepFlash<128, 128, 4>(1, 4096, 10, true);
  sweepFlash<128, 128, 8>(1, 4096, 10, true);
  sweepFlash<192, 128, 4>(1, 4096, 16, true);
  sweepFlash<192, 128, 8>(1, 4096, 16, true);
}

}  // namespace bench

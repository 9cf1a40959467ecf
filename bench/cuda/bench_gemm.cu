// GEMM checks (against fp64 host dot products) and timings on the models' real shapes.
#include <cstdlib>

#include "backend/cuda/gemm/gemm.h"
#include "harness.h"

namespace bench {

namespace {

std::vector<int> sampleRows(int m) {
  std::vector<int> picked;
  const int wanted = std::min(m, 48);
  for (int i = 0; i < wanted; ++i)
    picked.push_back(static_cast<int>(static_cast<long long>(i) * (m - 1) / std::max(wanted - 1, 1)));
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  return picked;
}

double dot(const float* a, const float* b, int k) {
  double s = 0.0;
  for (int i = 0; i < k; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

double silu(double v) { return v / (1.0 + std::exp(-v)); }

// aliasOutput: the output starts as the residual and the residual pointer is the output
// (in-place residual add, as the decoder layers do), rows strided wider than n.
void checkGemm(int m, int n, int k, bool withBias, bool withResidual, bool fp32Out,
               bool aliasOutput = false) {
  if (fp32Out && aliasOutput) std::abort();  // the in-place form is bf16 only
  const float scale = 1.0f / std::sqrt(static_cast<float>(k));
  const int stride = aliasOutput ? n + 8 : n;
  Bf16Tensor x = randomBf16(static_cast<size_t>(m) * k, 1.0f);
  Bf16Tensor w = randomBf16(static_cast<size_t>(n) * k, scale * 1.7f);
  Bf16Tensor bias = randomBf16(n, 0.5f);
  Bf16Tensor residual = randomBf16(static_cast<size_t>(m) * stride, 1.0f);
  vl2::cuda::GemmEpilogue epilogue;
  if (withBias) epilogue.bias = bias.device.get();
  if (withResidual) {
    epilogue.residual = residual.device.get();
    epilogue.residualStride = stride;
  }
  std::vector<double> got, want;
  std::vector<float> y;
  if (fp32Out) {
    DeviceBuffer<float> out(static_cast<size_t>(m) * stride);
    poison(out.get(), out.bytes());
    vl2::cuda::gemm(x.device.get(), w.device.get(), out.get(), m, n, k, stride, epilogue, nullptr);
    y = download(out.get(), out.count());
  } else if (aliasOutput) {
    epilogue.residual = residual.device.get();
    epilogue.residualStride = stride;
    vl2::cuda::gemm(x.device.get(), w.device.get(), residual.device.get(), m, n, k, stride, epilogue,
                    nullptr);
    y = download(residual.device.get(), residual.device.count());
  } else {
    DeviceBuffer<bf16> out(static_cast<size_t>(m) * stride);
    poison(out.get(), out.bytes());
    vl2::cuda::gemm(x.device.get(), w.device.get(), out.get(), m, n, k, stride, epilogue, nullptr);
    y = download(out.get(), out.count());
  }
  for (int row = 0; row < m; ++row)
    for (int col = 0; col < n; ++col)
      if (!std::isfinite(y[static_cast<size_t>(row) * stride + col]))
        got.push_back(NAN);  // an unwritten element fails the check
  for (int row : sampleRows(m)) {
    for (int col = 0; col < n; ++col) {
      double ref = dot(&x.host[static_cast<size_t>(row) * k], &w.host[static_cast<size_t>(col) * k], k);
      if (withBias) ref += bias.host[col];
      if (withResidual || aliasOutput) ref += residual.host[static_cast<size_t>(row) * stride + col];
      want.push_back(ref);
      got.push_back(y[static_cast<size_t>(row) * stride + col]);
    }
  }
  want.resize(got.size(), 0.0);
  checkClose("gemm " + shapeOf({m, n, k}) + (withBias ? " +bias" : "") + (withResidual ? " +residual" : "") +
                 (aliasOutput ? " +residual in place" : "") + (fp32Out ? " f32" : ""),
             got, want);
}

void checkGateUp(int m, int n, int k) {
  const float scale = 1.7f / std::sqrt(static_cast<float>(k));
  Bf16Tensor x = randomBf16(static_cast<size_t>(m) * k, 1.0f);
  Bf16Tensor gate = randomBf16(static_cast<size_t>(n) * k, scale);
  Bf16Tensor up = randomBf16(static_cast<size_t>(n) * k, scale);
  DeviceBuffer<bf16> out(static_cast<size_t>(m) * n);
  poison(out.get(), out.bytes());
  vl2::cuda::gemmGateUpSilu(x.device.get(), gate.device.get(), up.device.get(), out.get(), m, n, k, nullptr);
  const std::vector<float> y = download(out.get(), out.count());
  std::vector<double> got, want;
  for (float v : y)
    if (!std::isfinite(v)) got.push_back(NAN);
  for (int row : sampleRows(m)) {
    for (int col = 0; col < n; ++col) {
      const float* xr = &x.host[static_cast<size_t>(row) * k];
      want.push_back(silu(dot(xr, &gate.host[static_cast<size_t>(col) * k], k)) *
                     dot(xr, &up.host[static_cast<size_t>(col) * k], k));
      got.push_back(y[static_cast<size_t>(row) * n + col]);
    }
  }
  want.resize(got.size(), 0.0);
  checkClose("gemm gate-up silu " + shapeOf({m, n, k}), got, want);
}

void benchGemm(const std::string& label, int m, int n, int k) {
  const size_t weightCount = static_cast<size_t>(n) * k;
  const int copies = rotationCount(weightCount * 2);
  std::vector<DeviceBuffer<bf16>> weights;
  for (int i = 0; i < copies; ++i) weights.push_back(randomDevice(weightCount, 0.03f));
  DeviceBuffer<bf16> x = randomDevice(static_cast<size_t>(m) * k, 1.0f);
  DeviceBuffer<bf16> y(static_cast<size_t>(m) * n);
  const double us = timeMedianUs(
      [&](int i) { vl2::cuda::gemm(x.get(), weights[i % copies].get(), y.get(), m, n, k, n, {}, nullptr); });
  const double bytes =
      2.0 * (static_cast<double>(n) * k + static_cast<double>(m) * k + static_cast<double>(m) * n);
  record("gemm " + label, shapeOf({m, n, k}), us, bytes, 2.0 * m * n * k, "gemm " + shapeOf({m, n, k}));
}

void benchGateUp(const std::string& label, int m, int n, int k) {
  const size_t weightCount = static_cast<size_t>(n) * k;
  const int copies = rotationCount(weightCount * 4);
  std::vector<DeviceBuffer<bf16>> gates, ups;
  for (int i = 0; i < copies; ++i) {
    gates.push_back(randomDevice(weightCount, 0.03f));
    ups.push_back(randomDevice(weightCount, 0.03f));
  }
  DeviceBuffer<bf16> x = randomDevice(static_cast<size_t>(m) * k, 1.0f);
  DeviceBuffer<bf16> h(static_cast<size_t>(m) * n);
  const double us = timeMedianUs([&](int i) {
    vl2::cuda::gemmGateUpSilu(x.get(), gates[i % copies].get(), ups[i % copies].get(), h.get(), m, n, k,
                              nullptr);
  });
  const double bytes = 2.0 * (2.0 * n * k + static_cast<double>(m) * k + static_cast<double>(m) * n);
  record("gemm gate-up " + label, shapeOf({m, n, k}), us, bytes, 4.0 * m * n * k,
         "gateup " + shapeOf({m, n, k}));
}

}  // namespace

void runGemmChecks() {
  checkGemm(1, 3072, 2048, false, false, false);
  checkGemm(5, 1000, 4304, true, false, false);
  checkGemm(16, 576, 2048, false, true, false);
  checkGemm(13, 2050, 896, true, true, false);
  checkGemm(8, 64, 2048, false, false, true);
  checkGemm(40, 1536, 2560, false, false, false);
  checkGemm(100, 1152, 4304, true, true, false);
  checkGemm(300, 4304, 1152, true, false, false);
  checkGemm(729, 3456, 1152, true, false, false);
  checkGemm(2048, 2048, 2048, false, true, false);
  checkGemm(1000, 72, 1408, false, false, true);
  checkGemm(517, 1000, 1000, true, false, false, true);
  checkGateUp(1, 1408, 2048);
  checkGateUp(12, 1408, 2048);
  checkGateUp(200, 10944, 2048);
  checkGateUp(3000, 896, 1280);
  // Random tails: odd rows, any even n, k a multiple of 8 (down to one 16-byte chunk).
  std::uniform_int_distribution<int> smallRows(1, 130), rows(131, 1500), features(1, 350), depth(1, 100);
  for (int i = 0; i < 10; ++i) {
    const int m = i % 2 == 0 ? smallRows(rng()) : rows(rng());
    const int n = 2 * features(rng()), k = 8 * depth(rng());
    const bool fp32Out = i % 5 == 2;
    checkGemm(m, n, k, i % 3 == 0, i % 4 == 1, fp32Out, i % 4 == 3 && !fp32Out);
    checkGateUp(m, n, k);
  }
}

// The kernel families this GPU has, each with its check label.
std::vector<std::pair<vl2::cuda::GemmPath, std::string>> gemmPaths() {
  std::vector<std::pair<vl2::cuda::GemmPath, std::string>> paths = {{vl2::cuda::GemmPath::kMmaSync, ""}};
  if (isHopperDevice()) {
    paths.push_back({vl2::cuda::GemmPath::kSm90Wide, "sm90w"});
    paths.push_back({vl2::cuda::GemmPath::kSm90Mid, "sm90m"});
    paths.push_back({vl2::cuda::GemmPath::kSm90Narrow, "sm90n"});
  }
  return paths;
}

void runGemm(bool quick) {
  std::vector<std::pair<vl2::cuda::GemmPath, std::string>> checked = gemmPaths();
  if (isHopperDevice()) checked.push_back({vl2::cuda::GemmPath::kSm90, "sm90"});  // tiles as kAuto chooses
  for (const auto& [path, label] : checked) {
    vl2::cuda::setGemmPath(path);
    pathLabel() = label;
    guarded("gemm checks", runGemmChecks);
  }
  vl2::cuda::setGemmPath(vl2::cuda::GemmPath::kMmaSync);
  pathLabel().clear();
  if (quick) return;

  for (int m : {1, 16, 64}) {
    benchGemm("Small q_proj", m, 3072, 2048);
    benchGemm("Small o_proj", m, 2048, 2048);
    benchGemm("Small down", m, 2048, 10944);
    benchGemm("Tiny down", m, 1280, 6848);
    benchGemm("Base down", m, 2560, 12288);
    benchGateUp("Small dense", m, 10944, 2048);
  }
  for (int m : {1, 16}) {
    benchGemm("Small kv_a", m, 576, 2048);
    benchGemm("Base q_a", m, 1536, 2560);
    benchGemm("Small lm_head", m, 102400, 2048);
    benchGemm("Tiny lm_head", m, 129280, 1280);
  }
  // Prefill sizes on every kernel family: mma.sync, then what the model takes (kAuto: sm90
  // with the tile chosen per shape on Hopper), then each sm90 tile forced.
  std::vector<std::pair<vl2::cuda::GemmPath, std::string>> prefillPaths = gemmPaths();
  if (isHopperDevice()) prefillPaths.insert(prefillPaths.begin() + 1, {vl2::cuda::GemmPath::kAuto, "auto"});
  if (const char* only = std::getenv("VL2_BENCH_GEMM_PATHS"); only != nullptr && std::string(only) == "auto")
    prefillPaths.resize(std::min<size_t>(prefillPaths.size(), 2));
  for (const auto& [path, label] : prefillPaths) {
    vl2::cuda::setGemmPath(path);
    const std::string prefix = label.empty() ? "" : label + " ";
    for (int m : {256, 2048, 4096}) {
      benchGemm(prefix + "Small q_proj", m, 3072, 2048);
      benchGemm(prefix + "Small o_proj", m, 2048, 2048);
      benchGemm(prefix + "Small down", m, 2048, 10944);
      benchGateUp(prefix + "Small dense", m, 10944, 2048);
    }
    benchGemm(prefix + "SigLIP qkv", 729 * 7, 3456, 1152);
    benchGemm(prefix + "SigLIP fc1", 729 * 7, 4304, 1152);
    benchGemm(prefix + "SigLIP fc2", 729 * 7, 1152, 4304);
    benchGemm(prefix + "square", 8192, 8192, 8192);
  }
  vl2::cuda::setGemmPath(vl2::cuda::GemmPath::kAuto);
}

}  // namespace bench

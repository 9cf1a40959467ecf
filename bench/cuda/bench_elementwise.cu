// Checks and timings of the norms, RoPE, activations, embeddings and argmax.
#include "backend/cuda/elementwise/elementwise.h"
#include "harness.h"

namespace bench {

namespace {

using vl2::cuda::GeluKind;
using vl2::cuda::RopeLayout;

void checkRmsNorm(int rows, int dim, int stride) {
  Bf16Tensor x = randomBf16(static_cast<size_t>(rows) * stride, 2.0f);
  Bf16Tensor w = randomBf16(dim, 1.0f);
  DeviceBuffer<bf16> out(static_cast<size_t>(rows) * dim);
  poison(out.get(), out.bytes());
  vl2::cuda::rmsNorm(x.device.get(), stride, w.device.get(), out.get(), dim, rows, dim, 1e-6f, nullptr);
  const std::vector<float> got = download(out.get(), out.count());
  std::vector<double> want;
  for (int r = 0; r < rows; ++r) {
    double squares = 0.0;
    for (int i = 0; i < dim; ++i)
      squares += static_cast<double>(x.host[static_cast<size_t>(r) * stride + i]) *
                 x.host[static_cast<size_t>(r) * stride + i];
    const double inverse = 1.0 / std::sqrt(squares / dim + 1e-6);
    for (int i = 0; i < dim; ++i)
      want.push_back(x.host[static_cast<size_t>(r) * stride + i] * inverse * w.host[i]);
  }
  checkClose("rmsnorm " + shapeOf({rows, dim, stride}), std::vector<double>(got.begin(), got.end()), want);
}

void checkLayerNorm(int rows, int dim) {
  Bf16Tensor x = randomBf16(static_cast<size_t>(rows) * dim, 2.0f);
  Bf16Tensor w = randomBf16(dim, 1.0f);
  Bf16Tensor b = randomBf16(dim, 1.0f);
  DeviceBuffer<bf16> out(static_cast<size_t>(rows) * dim);
  poison(out.get(), out.bytes());
  vl2::cuda::layerNorm(x.device.get(), w.device.get(), b.device.get(), out.get(), rows, dim, 1e-6f, nullptr);
  const std::vector<float> got = download(out.get(), out.count());
  std::vector<double> want;
  for (int r = 0; r < rows; ++r) {
    const float* row = &x.host[static_cast<size_t>(r) * dim];
    double mean = 0.0, variance = 0.0;
    for (int i = 0; i < dim; ++i) mean += row[i];
    mean /= dim;
    for (int i = 0; i < dim; ++i) variance += (row[i] - mean) * (row[i] - mean);
    const double inverse = 1.0 / std::sqrt(variance / dim + 1e-6);
    for (int i = 0; i < dim; ++i) want.push_back((row[i] - mean) * inverse * w.host[i] + b.host[i]);
  }
  checkClose("layernorm " + shapeOf({rows, dim}), std::vector<double>(got.begin(), got.end()), want);
}

void checkRope(int tokens, int heads, int headStride, int offset, int rotary, RopeLayout layout) {
  const int tokenStride = heads * headStride;
  Bf16Tensor x = randomBf16(static_cast<size_t>(tokens) * tokenStride, 1.0f);
  std::vector<int32_t> positions(tokens);
  for (int t = 0; t < tokens; ++t) positions[t] = (t * 397) % 4096;
  DeviceBuffer<int32_t> positionsDevice(tokens);
  VL2_CUDA_CHECK(cudaMemcpy(positionsDevice.get(), positions.data(), tokens * 4, cudaMemcpyHostToDevice));
  vl2::cuda::rope(x.device.get(), tokens, heads, tokenStride, headStride, offset, rotary,
                  positionsDevice.get(), 10000.0f, layout, nullptr);
  const std::vector<float> got = download(x.device.get(), x.host.size());
  std::vector<double> want(x.host.begin(), x.host.end());
  for (int t = 0; t < tokens; ++t)
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < rotary / 2; ++i) {
        const double angle = positions[t] * std::pow(10000.0, -2.0 * i / rotary);
        const size_t base =
            static_cast<size_t>(t) * tokenStride + static_cast<size_t>(h) * headStride + offset;
        const size_t i0 = base + (layout == RopeLayout::kInterleaved ? 2 * i : i);
        const size_t i1 = base + (layout == RopeLayout::kInterleaved ? 2 * i + 1 : i + rotary / 2);
        const double a = x.host[i0], b = x.host[i1];
        want[i0] = a * std::cos(angle) - b * std::sin(angle);
        want[i1] = b * std::cos(angle) + a * std::sin(angle);
      }
  checkClose(std::string("rope ") + (layout == RopeLayout::kInterleaved ? "interleaved " : "half ") +
                 shapeOf({tokens, heads, headStride, offset, rotary}),
             std::vector<double>(got.begin(), got.end()), want);
}

void checkFlat() {
  const size_t count = 4304 * 37;
  Bf16Tensor a = randomBf16(count, 4.0f);
  Bf16Tensor b = randomBf16(count, 2.0f);
  for (GeluKind kind : {GeluKind::kTanh, GeluKind::kErf}) {
    DeviceBuffer<bf16> x(count);
    VL2_CUDA_CHECK(cudaMemcpy(x.get(), a.device.get(), count * 2, cudaMemcpyDeviceToDevice));
    vl2::cuda::gelu(x.get(), count, kind, nullptr);
    const std::vector<float> got = download(x.get(), count);
    std::vector<double> want;
    for (float v : a.host) {
      const double d = v;
      want.push_back(kind == GeluKind::kTanh
                         ? 0.5 * d * (1.0 + std::tanh(0.7978845608028654 * (d + 0.044715 * d * d * d)))
                         : 0.5 * d * (1.0 + std::erf(d / std::sqrt(2.0))));
    }
    checkClose(std::string("gelu ") + (kind == GeluKind::kTanh ? "tanh" : "erf"),
               std::vector<double>(got.begin(), got.end()), want);
  }
  DeviceBuffer<bf16> out(count);
  poison(out.get(), out.bytes());
  vl2::cuda::siluMul(a.device.get(), b.device.get(), out.get(), count, nullptr);
  std::vector<float> got = download(out.get(), count);
  std::vector<double> want;
  for (size_t i = 0; i < count; ++i)
    want.push_back(a.host[i] / (1.0 + std::exp(-static_cast<double>(a.host[i]))) * b.host[i]);
  checkClose("silu-mul", std::vector<double>(got.begin(), got.end()), want);
  poison(out.get(), out.bytes());
  vl2::cuda::add(a.device.get(), b.device.get(), out.get(), count, nullptr);
  got = download(out.get(), count);
  want.clear();
  for (size_t i = 0; i < count; ++i) want.push_back(static_cast<double>(a.host[i]) + b.host[i]);
  checkClose("add", std::vector<double>(got.begin(), got.end()), want);
}

void checkEmbedAndArgmax() {
  const int vocab = 5000, dim = 1280, tokens = 33;
  Bf16Tensor table = randomBf16(static_cast<size_t>(vocab) * dim, 1.0f);
  std::vector<int32_t> ids(tokens);
  for (int t = 0; t < tokens; ++t) ids[t] = (t * 2713) % vocab;
  DeviceBuffer<int32_t> idsDevice(tokens);
  VL2_CUDA_CHECK(cudaMemcpy(idsDevice.get(), ids.data(), tokens * 4, cudaMemcpyHostToDevice));
  DeviceBuffer<bf16> out(static_cast<size_t>(tokens) * dim);
  poison(out.get(), out.bytes());
  vl2::cuda::embed(table.device.get(), idsDevice.get(), out.get(), tokens, dim, nullptr);
  const std::vector<float> got = download(out.get(), out.count());
  std::vector<double> want;
  for (int t = 0; t < tokens; ++t)
    for (int i = 0; i < dim; ++i) want.push_back(table.host[static_cast<size_t>(ids[t]) * dim + i]);
  checkClose("embed", std::vector<double>(got.begin(), got.end()), want, 1e-12);

  const int rows = 5, width = 129280;
  std::vector<float> logits(static_cast<size_t>(rows) * width);
  std::uniform_real_distribution<float> dist(-10.0f, 10.0f);
  for (auto& v : logits) v = dist(rng());
  DeviceBuffer<float> logitsDevice(logits.size());
  VL2_CUDA_CHECK(cudaMemcpy(logitsDevice.get(), logits.data(), logits.size() * 4, cudaMemcpyHostToDevice));
  DeviceBuffer<int32_t> best(rows);
  vl2::cuda::argmax(logitsDevice.get(), rows, width, best.get(), nullptr);
  std::vector<int32_t> bestHost(rows);
  VL2_CUDA_CHECK(cudaMemcpy(bestHost.data(), best.get(), rows * 4, cudaMemcpyDeviceToHost));
  std::vector<double> gotIds, wantIds;
  for (int r = 0; r < rows; ++r) {
    const float* row = &logits[static_cast<size_t>(r) * width];
    wantIds.push_back(static_cast<double>(std::max_element(row, row + width) - row));
    gotIds.push_back(bestHost[r]);
  }
  checkClose("argmax", gotIds, wantIds, 1e-12);
}

}  // namespace

void runElementwise(bool quick) {
  checkRmsNorm(7, 2048, 2048);
  checkRmsNorm(9, 512, 576);
  checkRmsNorm(3, 1536, 1536);
  checkRmsNorm(2, 4608, 4608);
  checkLayerNorm(5, 1152);
  checkRope(9, 10, 128, 0, 128, RopeLayout::kHalf);
  checkRope(9, 16, 192, 128, 64, RopeLayout::kInterleaved);
  checkRope(9, 1, 576, 512, 64, RopeLayout::kInterleaved);
  checkFlat();
  checkEmbedAndArgmax();
  if (quick) return;

  const int rows = 4096, hidden = 2048;
  Bf16Tensor x = randomBf16(static_cast<size_t>(rows) * hidden * 4, 1.0f);
  Bf16Tensor w = randomBf16(hidden, 1.0f);
  DeviceBuffer<bf16> out(static_cast<size_t>(rows) * hidden * 4);
  const size_t slice = static_cast<size_t>(rows) * hidden;
  double us = timeMedianUs([&](int i) {
    vl2::cuda::rmsNorm(x.device.get() + (i % 4) * slice, hidden, w.device.get(), out.get() + (i % 4) * slice,
                       hidden, rows, hidden, 1e-6f, nullptr);
  });
  record("rmsnorm", shapeOf({rows, hidden}), us, 4.0 * slice, 0);
  const int visionRows = 729 * 7, width = 1152;
  const size_t visionSlice = static_cast<size_t>(visionRows) * width;
  us = timeMedianUs([&](int i) {
    vl2::cuda::layerNorm(x.device.get() + (i % 4) * visionSlice, w.device.get(), w.device.get(),
                         out.get() + (i % 4) * visionSlice, visionRows, width, 1e-6f, nullptr);
  });
  record("layernorm", shapeOf({visionRows, width}), us, 4.0 * visionSlice, 0);
  const size_t geluCount = static_cast<size_t>(visionRows) * 4304;
  DeviceBuffer<bf16> activations = randomDevice(2 * geluCount, 3.0f);
  us = timeMedianUs([&](int i) {
    vl2::cuda::gelu(activations.get() + (i % 2) * geluCount, geluCount, GeluKind::kTanh, nullptr);
  });
  record("gelu tanh", shapeOf({visionRows, 4304}), us, 4.0 * geluCount, 0);
  std::vector<int32_t> positionsHost(rows);
  for (int t = 0; t < rows; ++t) positionsHost[t] = t;
  DeviceBuffer<int32_t> positions(rows);
  VL2_CUDA_CHECK(cudaMemcpy(positions.get(), positionsHost.data(), rows * 4, cudaMemcpyHostToDevice));
  const size_t queryValues = static_cast<size_t>(rows) * 16 * 192;
  DeviceBuffer<bf16> queries = randomDevice(2 * queryValues, 1.0f);
  us = timeMedianUs([&](int i) {
    vl2::cuda::rope(queries.get() + (i % 2) * queryValues, rows, 16, 16 * 192, 192, 128, 64, positions.get(),
                    10000.0f, RopeLayout::kInterleaved, nullptr);
  });
  record("rope interleaved q_pe", shapeOf({rows, 16, 64}), us, 4.0 * rows * 16 * 64, 0);
  std::vector<int32_t> ids(rows);
  for (int t = 0; t < rows; ++t) ids[t] = (t * 7919) % 8192;
  DeviceBuffer<int32_t> idsDevice(rows);
  VL2_CUDA_CHECK(cudaMemcpy(idsDevice.get(), ids.data(), rows * 4, cudaMemcpyHostToDevice));
  us = timeMedianUs([&](int i) {
    vl2::cuda::embed(x.device.get() + (i % 2) * slice, idsDevice.get(), out.get(), rows, hidden, nullptr);
  });
  record("embed", shapeOf({rows, hidden}), us, 4.0 * slice, 0);
  std::vector<float> logitsHost(static_cast<size_t>(16) * 129280);
  std::uniform_real_distribution<float> dist(-10.0f, 10.0f);
  for (auto& v : logitsHost) v = dist(rng());
  DeviceBuffer<float> logits(logitsHost.size());
  VL2_CUDA_CHECK(cudaMemcpy(logits.get(), logitsHost.data(), logits.bytes(), cudaMemcpyHostToDevice));
  DeviceBuffer<int32_t> best(16);
  us = timeMedianUs([&](int) { vl2::cuda::argmax(logits.get(), 16, 129280, best.get(), nullptr); });
  record("argmax", shapeOf({16, 129280}), us, 4.0 * 16 * 129280, 0);
}

}  // namespace bench

// MoE checks (routing of every method, the grouped expert pipeline against an fp64 host
// MoE) and timings on Small's and Base's expert shapes.
#include <numeric>
#include <set>

#include "backend/cuda/gemm/gemm.h"
#include "backend/cuda/moe/moe.h"
#include "harness.h"

namespace bench {

namespace {

using vl2::cuda::MoeRouting;
using vl2::cuda::MoeScoring;
using vl2::cuda::MoeTopkMethod;

// SPEC 6 in fp64; ties to the lower id (the random logits have none).
void routeHost(const float* logits, const std::vector<float>& bias, const MoeRouting& r,
               std::vector<int>& ids, std::vector<double>& weights) {
  const int e = r.experts;
  std::vector<double> score(e), choice(e);
  double maxLogit = -1e300, total = 0.0;
  for (int i = 0; i < e; ++i) maxLogit = std::max(maxLogit, static_cast<double>(logits[i]));
  for (int i = 0; i < e; ++i) {
    score[i] = r.scoring == MoeScoring::kSoftmax ? std::exp(logits[i] - maxLogit)
                                                 : 1.0 / (1.0 + std::exp(-logits[i]));
    total += score[i];
  }
  for (int i = 0; i < e; ++i) {
    if (r.scoring == MoeScoring::kSoftmax) score[i] /= total;
    choice[i] = score[i] + (r.method == MoeTopkMethod::kNoauxTc ? bias[i] : 0.0);
  }
  if (r.method != MoeTopkMethod::kGreedy && r.groups > 1) {
    const int per = e / r.groups;
    std::vector<double> groupScore(r.groups);
    for (int g = 0; g < r.groups; ++g) {
      std::vector<double> members(choice.begin() + g * per, choice.begin() + (g + 1) * per);
      std::sort(members.rbegin(), members.rend());
      groupScore[g] = r.method == MoeTopkMethod::kNoauxTc ? members[0] + members[1] : members[0];
    }
    std::vector<int> order(r.groups);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return groupScore[a] > groupScore[b]; });
    std::vector<bool> keep(r.groups, false);
    for (int j = 0; j < r.topkGroups; ++j) keep[order[j]] = true;
    for (int i = 0; i < e; ++i)
      if (!keep[i / per]) choice[i] = 0.0;
  }
  std::vector<int> order(e);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return choice[a] > choice[b]; });
  ids.assign(order.begin(), order.begin() + r.topK);
  weights.clear();
  double sum = 0.0;
  for (int id : ids) {
    weights.push_back(score[id]);
    sum += score[id];
  }
  for (double& w : weights)
    w = (r.topK > 1 && r.normTopkProb) ? w / (sum + 1e-20) * r.routedScalingFactor
                                       : w * r.routedScalingFactor;
}

struct Experts {
  int experts, intermediate, hidden;
  Bf16Tensor gate, up, down;  // [E, I, H], [E, I, H], [E, H, I]
  DeviceBuffer<const bf16*> gatePointers, upPointers, downPointers;
};

// hostCopy: keep the values on the host for a reference (checks); benches skip that.
Experts makeExperts(int experts, int intermediate, int hidden, bool hostCopy) {
  Experts x{experts, intermediate, hidden, {}, {}, {}, {}, {}, {}};
  const size_t per = static_cast<size_t>(intermediate) * hidden;
  const float inScale = 1.7f / std::sqrt(static_cast<float>(hidden));
  const float outScale = 1.7f / std::sqrt(static_cast<float>(intermediate));
  if (hostCopy) {
    x.gate = randomBf16(per * experts, inScale);
    x.up = randomBf16(per * experts, inScale);
    x.down = randomBf16(per * experts, outScale);
  } else {
    x.gate.device = randomDevice(per * experts, inScale);
    x.up.device = randomDevice(per * experts, inScale);
    x.down.device = randomDevice(per * experts, outScale);
  }
  std::vector<const bf16*> g(experts), u(experts), d(experts);
  for (int i = 0; i < experts; ++i) {
    g[i] = x.gate.device.get() + per * i;
    u[i] = x.up.device.get() + per * i;
    d[i] = x.down.device.get() + per * i;
  }
  x.gatePointers = DeviceBuffer<const bf16*>(experts);
  x.upPointers = DeviceBuffer<const bf16*>(experts);
  x.downPointers = DeviceBuffer<const bf16*>(experts);
  VL2_CUDA_CHECK(cudaMemcpy(x.gatePointers.get(), g.data(), experts * sizeof(bf16*), cudaMemcpyHostToDevice));
  VL2_CUDA_CHECK(cudaMemcpy(x.upPointers.get(), u.data(), experts * sizeof(bf16*), cudaMemcpyHostToDevice));
  VL2_CUDA_CHECK(cudaMemcpy(x.downPointers.get(), d.data(), experts * sizeof(bf16*), cudaMemcpyHostToDevice));
  return x;
}

struct MoeBuffers {
  DeviceBuffer<float> logits, weights, y;
  DeviceBuffer<int32_t> ids, offsets, rowSource, slotRow;
  DeviceBuffer<bf16> h, out;
  MoeBuffers(int tokens, int topK, const Experts& e)
      : logits(static_cast<size_t>(tokens) * e.experts),
        weights(static_cast<size_t>(tokens) * topK),
        y(static_cast<size_t>(tokens) * topK * e.hidden),
        ids(static_cast<size_t>(tokens) * topK),
        offsets(e.experts + 1),
        rowSource(static_cast<size_t>(tokens) * topK),
        slotRow(static_cast<size_t>(tokens) * topK),
        h(static_cast<size_t>(tokens) * topK * e.intermediate),
        out(static_cast<size_t>(tokens) * e.hidden) {}
};

void runPipeline(const Experts& e, const MoeRouting& r, int tokens, const float* correctionBias,
                 const bf16* x, const bf16* shared, const bf16* residual, MoeBuffers& b) {
  vl2::cuda::moeRoute(b.logits.get(), correctionBias, tokens, r, b.ids.get(), b.weights.get(), nullptr);
  vl2::cuda::moePermute(b.ids.get(), tokens, r.topK, e.experts, b.offsets.get(), b.rowSource.get(),
                        b.slotRow.get(), nullptr);
  vl2::cuda::moeGateUp(x, b.rowSource.get(), b.offsets.get(), e.gatePointers.get(), e.upPointers.get(),
                       b.h.get(), tokens, r.topK, e.experts, e.intermediate, e.hidden, nullptr);
  vl2::cuda::moeDown(b.h.get(), b.offsets.get(), e.downPointers.get(), b.y.get(), tokens, r.topK, e.experts,
                     e.hidden, e.intermediate, nullptr);
  vl2::cuda::moeCombine(b.y.get(), b.slotRow.get(), b.weights.get(), shared, residual, b.out.get(), tokens,
                        r.topK, e.hidden, nullptr);
}

std::vector<float> randomLogits(size_t count, float scale) {
  std::vector<float> v(count);
  std::uniform_real_distribution<float> dist(-scale, scale);
  for (auto& f : v) f = dist(rng());
  return v;
}

std::string methodName(const MoeRouting& r) {
  const char* m = r.method == MoeTopkMethod::kGreedy    ? "greedy"
                  : r.method == MoeTopkMethod::kNoauxTc ? "noaux_tc"
                                                        : "group_limited";
  return std::string(r.scoring == MoeScoring::kSoftmax ? "softmax " : "sigmoid ") + m + " g" +
         std::to_string(r.groups) + "/" + std::to_string(r.topkGroups) + (r.normTopkProb ? " norm" : "");
}

void checkMoe(int tokens, const MoeRouting& r, int intermediate, int hidden, bool fullPipeline) {
  Experts e = makeExperts(r.experts, intermediate, hidden, true);
  MoeBuffers b(tokens, r.topK, e);
  const std::vector<float> logits = randomLogits(static_cast<size_t>(tokens) * r.experts, 4.0f);
  VL2_CUDA_CHECK(cudaMemcpy(b.logits.get(), logits.data(), logits.size() * 4, cudaMemcpyHostToDevice));
  std::vector<float> bias = randomLogits(r.experts, 0.5f);
  DeviceBuffer<float> biasDevice(r.experts);
  VL2_CUDA_CHECK(cudaMemcpy(biasDevice.get(), bias.data(), bias.size() * 4, cudaMemcpyHostToDevice));
  Bf16Tensor x = randomBf16(static_cast<size_t>(tokens) * hidden, 1.0f);
  Bf16Tensor shared = randomBf16(static_cast<size_t>(tokens) * hidden, 0.5f);
  Bf16Tensor residual = randomBf16(static_cast<size_t>(tokens) * hidden, 1.0f);
  poison(b.out.get(), b.out.bytes());
  poison(b.weights.get(), b.weights.bytes());
  const float* biasPointer = r.method == MoeTopkMethod::kNoauxTc ? biasDevice.get() : nullptr;
  runPipeline(e, r, tokens, biasPointer, x.device.get(), shared.device.get(), residual.device.get(), b);

  std::vector<int32_t> ids(static_cast<size_t>(tokens) * r.topK);
  VL2_CUDA_CHECK(cudaMemcpy(ids.data(), b.ids.get(), ids.size() * 4, cudaMemcpyDeviceToHost));
  const std::vector<float> weights = download(b.weights.get(), b.weights.count());
  std::vector<double> gotW, wantW;
  int idMismatches = 0;
  std::vector<std::vector<int>> refIds(tokens);
  std::vector<std::vector<double>> refWeights(tokens);
  for (int t = 0; t < tokens; ++t) {
    routeHost(&logits[static_cast<size_t>(t) * r.experts], bias, r, refIds[t], refWeights[t]);
    for (int j = 0; j < r.topK; ++j) {
      idMismatches += ids[static_cast<size_t>(t) * r.topK + j] != refIds[t][j];
      gotW.push_back(weights[static_cast<size_t>(t) * r.topK + j]);
      wantW.push_back(refWeights[t][j]);
    }
  }
  if (idMismatches > 0) gotW.push_back(NAN);  // a different expert choice fails the check
  checkClose("moe route " + methodName(r) + " T" + std::to_string(tokens) + " ids+weights", gotW, wantW,
             1e-5);
  if (!fullPipeline) return;

  const std::vector<float> out = download(b.out.get(), b.out.count());
  std::vector<double> got(out.begin(), out.end()), want;
  std::vector<double> h(intermediate);
  for (int t = 0; t < tokens; ++t) {
    std::vector<double> acc(hidden);
    for (int c = 0; c < hidden; ++c)
      acc[c] = static_cast<double>(shared.host[static_cast<size_t>(t) * hidden + c]) +
               residual.host[static_cast<size_t>(t) * hidden + c];
    const float* xr = &x.host[static_cast<size_t>(t) * hidden];
    for (int j = 0; j < r.topK; ++j) {
      const size_t base = static_cast<size_t>(refIds[t][j]) * intermediate * hidden;
      for (int i = 0; i < intermediate; ++i) {
        double g = 0.0, u = 0.0;
        for (int c = 0; c < hidden; ++c) {
          g += static_cast<double>(xr[c]) * e.gate.host[base + static_cast<size_t>(i) * hidden + c];
          u += static_cast<double>(xr[c]) * e.up.host[base + static_cast<size_t>(i) * hidden + c];
        }
        h[i] = g / (1.0 + std::exp(-g)) * u;
      }
      for (int c = 0; c < hidden; ++c) {
        double y = 0.0;
        for (int i = 0; i < intermediate; ++i)
          y += h[i] * e.down.host[base + static_cast<size_t>(c) * intermediate + i];
        acc[c] += refWeights[t][j] * y;
      }
    }
    want.insert(want.end(), acc.begin(), acc.end());
  }
  checkClose("moe pipeline " + methodName(r) + " " + shapeOf({tokens, r.experts, intermediate, hidden}), got,
             want);
}

// The grouped GEMMs alone against fp64, every row: gate-up gathers x rows through a random
// rowSource, down reads its rows in place and writes fp32; `counts` rows per expert (sum =
// tokens x topK) include experts with 0 and 1 rows and tails of every tile size.
void checkGrouped(int tokens, int topK, const std::vector<int>& counts, int intermediate, int hidden) {
  const int experts = static_cast<int>(counts.size());
  const int rows = tokens * topK;
  Experts e = makeExperts(experts, intermediate, hidden, true);
  std::vector<int32_t> offsets(experts + 1, 0), rowSource(rows);
  for (int g = 0; g < experts; ++g) offsets[g + 1] = offsets[g] + counts[g];
  if (offsets[experts] != rows) std::abort();  // the caller's counts must cover every row
  std::uniform_int_distribution<int> token(0, tokens - 1);
  for (auto& r : rowSource) r = token(rng());
  DeviceBuffer<int32_t> offsetsDevice(experts + 1), rowSourceDevice(rows);
  VL2_CUDA_CHECK(cudaMemcpy(offsetsDevice.get(), offsets.data(), offsets.size() * 4, cudaMemcpyHostToDevice));
  VL2_CUDA_CHECK(cudaMemcpy(rowSourceDevice.get(), rowSource.data(), rows * 4, cudaMemcpyHostToDevice));
  Bf16Tensor x = randomBf16(static_cast<size_t>(tokens) * hidden, 1.0f);
  Bf16Tensor hIn = randomBf16(static_cast<size_t>(rows) * intermediate, 1.0f);
  DeviceBuffer<bf16> h(static_cast<size_t>(rows) * intermediate);
  DeviceBuffer<float> y(static_cast<size_t>(rows) * hidden);
  poison(h.get(), h.bytes());
  poison(y.get(), y.bytes());
  vl2::cuda::moeGateUp(x.device.get(), rowSourceDevice.get(), offsetsDevice.get(), e.gatePointers.get(),
                       e.upPointers.get(), h.get(), tokens, topK, experts, intermediate, hidden, nullptr);
  vl2::cuda::moeDown(hIn.device.get(), offsetsDevice.get(), e.downPointers.get(), y.get(), tokens, topK,
                     experts, hidden, intermediate, nullptr);
  const std::vector<float> hGot = download(h.get(), h.count());
  const std::vector<float> yGot = download(y.get(), y.count());
  std::vector<double> gotH(hGot.begin(), hGot.end()), wantH, gotY(yGot.begin(), yGot.end()), wantY;
  for (int g = 0; g < experts; ++g) {
    const size_t base = static_cast<size_t>(g) * intermediate * hidden;
    for (int r = offsets[g]; r < offsets[g + 1]; ++r) {
      const float* xr = &x.host[static_cast<size_t>(rowSource[r]) * hidden];
      for (int i = 0; i < intermediate; ++i) {
        double gate = 0.0, up = 0.0;
        for (int c = 0; c < hidden; ++c) {
          gate += static_cast<double>(xr[c]) * e.gate.host[base + static_cast<size_t>(i) * hidden + c];
          up += static_cast<double>(xr[c]) * e.up.host[base + static_cast<size_t>(i) * hidden + c];
        }
        wantH.push_back(gate / (1.0 + std::exp(-gate)) * up);
      }
      const float* hr = &hIn.host[static_cast<size_t>(r) * intermediate];
      for (int c = 0; c < hidden; ++c) {
        double sum = 0.0;
        for (int i = 0; i < intermediate; ++i)
          sum += static_cast<double>(hr[i]) * e.down.host[base + static_cast<size_t>(c) * intermediate + i];
        wantY.push_back(sum);
      }
    }
  }
  const std::string shape = shapeOf({tokens, experts, topK, intermediate, hidden});
  checkClose("moe grouped gate-up (gather) " + shape, gotH, wantH);
  checkClose("moe grouped down f32 " + shape, gotY, wantY);
}

// Rows per expert as routing spreads them: each of rows picks an expert uniformly, and a few
// experts are left with none.
std::vector<int> spreadRows(int rows, int experts, int emptyExperts) {
  std::vector<int> counts(experts, 0);
  std::uniform_int_distribution<int> pick(emptyExperts, experts - 1);
  for (int r = 0; r < rows; ++r) ++counts[pick(rng())];
  return counts;
}

void benchMoe(const std::string& label, int tokens, const MoeRouting& r, int intermediate, int hidden) {
  Experts e = makeExperts(r.experts, intermediate, hidden, false);
  MoeBuffers b(tokens, r.topK, e);
  const std::vector<float> logits = randomLogits(static_cast<size_t>(tokens) * r.experts, 4.0f);
  VL2_CUDA_CHECK(cudaMemcpy(b.logits.get(), logits.data(), logits.size() * 4, cudaMemcpyHostToDevice));
  DeviceBuffer<float> bias(r.experts);
  VL2_CUDA_CHECK(cudaMemset(bias.get(), 0, bias.bytes()));
  Bf16Tensor x = randomBf16(static_cast<size_t>(tokens) * hidden, 1.0f);
  Bf16Tensor shared = randomBf16(static_cast<size_t>(tokens) * hidden, 0.5f);
  runPipeline(e, r, tokens, bias.get(), x.device.get(), shared.device.get(), shared.device.get(), b);
  std::vector<int32_t> ids(static_cast<size_t>(tokens) * r.topK);
  VL2_CUDA_CHECK(cudaMemcpy(ids.data(), b.ids.get(), ids.size() * 4, cudaMemcpyDeviceToHost));
  const std::set<int32_t> used(ids.begin(), ids.end());
  const double weightBytes = 3.0 * 2.0 * intermediate * hidden * used.size();
  const double flops = 6.0 * tokens * r.topK * intermediate * hidden;
  const std::string shape = shapeOf({tokens, r.experts, r.topK, intermediate, hidden});
  const double gateUpUs = timeMedianUs([&](int) {
    vl2::cuda::moeGateUp(x.device.get(), b.rowSource.get(), b.offsets.get(), e.gatePointers.get(),
                         e.upPointers.get(), b.h.get(), tokens, r.topK, e.experts, intermediate, hidden,
                         nullptr);
  });
  record("moe gate-up " + label, shape, gateUpUs, weightBytes * 2 / 3, flops * 2 / 3, "moe_gateup " + shape);
  const double downUs = timeMedianUs([&](int) {
    vl2::cuda::moeDown(b.h.get(), b.offsets.get(), e.downPointers.get(), b.y.get(), tokens, r.topK, e.experts,
                       hidden, intermediate, nullptr);
  });
  record("moe down " + label, shape, downUs, weightBytes / 3, flops / 3, "moe_down " + shape);
  const double allUs = timeMedianUs([&](int) {
    runPipeline(e, r, tokens, bias.get(), x.device.get(), shared.device.get(), shared.device.get(), b);
  });
  record("moe all " + label, shape, allUs, weightBytes, flops);
}

}  // namespace

void runMoe(bool quick) {
  MoeRouting softmax{64, 6, 1, 1, MoeScoring::kSoftmax, MoeTopkMethod::kGreedy, false, 1.0f};
  MoeRouting sigmoid{72, 6, 1, 1, MoeScoring::kSigmoid, MoeTopkMethod::kNoauxTc, true, 2.0f};
  MoeRouting noauxGroups{64, 6, 8, 3, MoeScoring::kSigmoid, MoeTopkMethod::kNoauxTc, true, 2.5f};
  MoeRouting limited{64, 6, 8, 3, MoeScoring::kSoftmax, MoeTopkMethod::kGroupLimitedGreedy, false, 1.0f};
  std::vector<std::pair<vl2::cuda::GemmPath, std::string>> paths = {{vl2::cuda::GemmPath::kMmaSync, ""}};
  if (isHopperDevice()) {
    paths.push_back({vl2::cuda::GemmPath::kSm90, "sm90"});         // what kAuto takes
    paths.push_back({vl2::cuda::GemmPath::kSm90Wide, "sm90w"});    // 128-row tiles
    paths.push_back({vl2::cuda::GemmPath::kSm90Narrow, "sm90n"});  // 64-row tiles
  }
  for (const auto& [path, label] : paths) {
    vl2::cuda::setGemmPath(path);
    pathLabel() = label;
    guarded("moe checks", [&] {
      checkMoe(1, softmax, 256, 512, true);
      checkMoe(9, sigmoid, 256, 512, true);
      checkMoe(300, softmax, 256, 512, true);
      checkGrouped(200, 2, {0, 1, 150, 0, 64, 65, 1, 0, 119}, 200, 136);
      checkGrouped(150, 6, spreadRows(900, 64, 5), 192, 264);
      checkGrouped(40, 6, spreadRows(240, 72, 0), 136, 128);
    });
  }
  pathLabel().clear();
  vl2::cuda::setGemmPath(vl2::cuda::GemmPath::kAuto);
  checkMoe(500, noauxGroups, 64, 64, false);
  checkMoe(500, limited, 64, 64, false);
  checkMoe(500, sigmoid, 64, 64, false);
  if (quick) return;
  for (int tokens : {1, 8, 64}) benchMoe("Small", tokens, softmax, 1408, 2048);
  benchMoe("Base", 1, sigmoid, 1536, 2560);
  // Timings: mma.sync against what kAuto takes (the forced tiles are checked above).
  paths.resize(std::min<size_t>(paths.size(), 2));
  for (const auto& [path, label] : paths) {
    vl2::cuda::setGemmPath(path);
    const std::string prefix = label.empty() ? "" : label + " ";
    for (int tokens : {1024, 4096}) {
      benchMoe(prefix + "Small", tokens, softmax, 1408, 2048);
      benchMoe(prefix + "Base", tokens, sigmoid, 1536, 2560);
    }
  }
  vl2::cuda::setGemmPath(vl2::cuda::GemmPath::kAuto);
}

}  // namespace bench

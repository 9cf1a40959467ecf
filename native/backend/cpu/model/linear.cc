#include "backend/cpu/model/linear.h"

#include "core/errors.h"

namespace vl2 {

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

Linear Linear::load(const WeightStore& store, const std::string& prefix, std::int64_t out, std::int64_t in,
                    bool withBias) {
  Linear linear;
  linear.weight = store.get(prefix + ".weight", {out, in}).bf16();
  linear.outFeatures = out;
  linear.inFeatures = in;
  if (withBias) linear.bias = widenToFloat(store.get(prefix + ".bias", {out}));
  return linear;
}

}  // namespace vl2

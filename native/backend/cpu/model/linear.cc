#include "backend/cpu/model/linear.h"

#include "core/errors.h"

namespace vl2 {

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

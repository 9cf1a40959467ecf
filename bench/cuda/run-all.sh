#!/usr/bin/env bash
# Every GPU number on the device machine in one go, from the repository root (carry .device,
# staged by scripts/stage-device.sh, and .cuda-bench/kernels, built by bench/cuda/build.sh):
#   1. each kernel at the variants' real shapes against a device-to-device copy and torch's bf16
#      matmul (bench/cuda/kernels + torch_ref.py), after checking every kernel against fp64;
#   2. the whole model per variant (bench/cuda-model.ts): CUDA vs CPU logits, prefill tokens/s,
#      vision tiles/s, decode step time against its bytes-moved floor.
#   usage: bash bench/cuda/run-all.sh [arguments for cuda-model, e.g. --layers 3]
set -euo pipefail
root="$(pwd)"
source .device/env.sh
bash .device/pkg/unpack.sh
out="$(mktemp -d)"
echo "== kernels (checks, then timings against the copy and torch)"
"$root/.cuda-bench/kernels" --tsv "$out/kernels.tsv" | tail -n +1
python3 "$root/bench/cuda/torch_ref.py" "$out/kernels.tsv"
echo "== whole model"
(cd .device/pkg && node out/bench/cuda-model.js "$@")

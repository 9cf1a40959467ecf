#!/usr/bin/env bash
# Builds the kernel check-and-bench program: bench/cuda/build.sh [out-dir] (default .cuda-bench).
# Compiles the launchers of native/backend/cuda with the bench files, sm_90a.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/.cuda-bench}"
mkdir -p "$out/obj"
arch="${VL2_CUDA_GENCODE:--gencode=arch=compute_90a,code=sm_90a}"
flags=(-std=c++17 -O3 $arch --expt-relaxed-constexpr -Xcompiler=-Wall,-Wextra -I "$root/native")
sources=("$root"/bench/cuda/*.cu)
# The kernel families and the counted allocator (the backend's other .cu files need the engine).
while IFS= read -r f; do sources+=("$f"); done < <(find "$root/native/backend/cuda"/{gemm,moe,attention,elementwise} \
  "$root/native/backend/cuda/device_memory.cu" "$root/native/backend/cuda/kernel_tally.cu" -name '*.cu' | sort)
objects=()
pids=()
for src in "${sources[@]}"; do
  obj="$out/obj/$(echo "${src#$root/}" | tr '/' '_').o"
  objects+=("$obj")
  if [[ ! -f "$obj" || "$src" -nt "$obj" || -n "$(find "$root/native/backend/cuda" "$root/bench/cuda" -name '*.h' -newer "$obj" -o -name '*.cuh' -newer "$obj" | head -1)" ]]; then
    nvcc "${flags[@]}" -c "$src" -o "$obj" &
    pids+=($!)
  fi
done
for pid in "${pids[@]}"; do wait "$pid"; done
nvcc "${flags[@]}" "${objects[@]}" -o "$out/kernels"
echo "built $out/kernels"

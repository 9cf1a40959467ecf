#!/usr/bin/env bash
# Copies the golden fixtures of some model variants into .golden-carry/ (ignored) for the GPU
# machine, large files xz-compressed (a device call carries at most 64 MiB); on the device
# `bash .golden-carry/unpack.sh` restores them and VL2_GOLDEN_DIR=.golden-carry points the checks there.
#   usage: bash scripts/stage-golden.sh tiny [small base]
set -euo pipefail
cd "$(dirname "$0")/.."
src=../shared/golden
out=.golden-carry
rm -rf "$out" && mkdir -p "$out/models" "$out/cases" "$out/tiles"
for variant in "$@"; do
  cp -r "$src/models/$variant" "$out/models/"
  cp "$src/cases/$variant"-*.json "$src/cases/$variant"-*.logits_last.f32 "$out/cases/"
done
cp "$src"/tiles/*.u8 "$out/tiles/"
# The storm and the out-of-memory faults send the golden images (0.8 MB); on the device they run on
# Small (test/cuda/check-all.ts), so the images come with Small or Base. The golden Tiny (34 MB) fills
# a call with the package alone: its call runs the golden check only.
if printf '%s\n' "$@" | grep -qxE 'small|base'; then cp -r "$src/images" "$out/"; fi
chmod -R u+w "$out"
find "$out" -type f \( -name '*.safetensors' -o -name '*.u8' \) -size +1M -exec xz -T2 -6 {} \;
printf '%s\n' 'cd "$(dirname "$0")" && find . -name "*.xz" -exec xz -d {} \;' > "$out/unpack.sh"
du -sh "$out"

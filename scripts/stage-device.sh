#!/usr/bin/env bash
# Stages a minimal runnable copy of the package in .device/pkg for the GPU machine
# (no Node.js, npm or network there): the built addon (xz), lib/ + bench/ + the
# device-side checks of test/ compiled to out/, and only the runtime modules they
# load. Golden fixtures go separately (scripts/stage-golden.sh). Run after
# `npm run build:native` and ../shared/device/prepare.sh; carry `.device`; on the
# device: `source .device/env.sh; bash .device/pkg/unpack.sh; cd .device/pkg; node out/...`.
# `--images` adds what image decoding needs (sharp with this platform's libvips, xz-packed, and the
# tokenizer module the processor imports) and what the package index loads (the hub client), for
# bench/processor, bench/batch, bench/multi-gpu and the storm.
# `--server` (after `--images`, or alone) adds what `vl2 serve` and bench/server load (fastify,
# prom-client, the openai client, with their dependencies). node_modules always travels xz-packed.
#   usage: bash scripts/stage-device.sh [--images] [--server] [extra node_modules package...]
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=.device/pkg
rm -rf "$pkg" && mkdir -p "$pkg/build/Release" "$pkg/node_modules"
cp package.json "$pkg/"
npx tsc -p tsconfig.test.json --noEmit false --declaration false --sourceMap false --outDir "$pkg/out"
xz -T2 -6 -c build/Release/deepseek_vl2.node > "$pkg/build/Release/deepseek_vl2.node.xz"
printf '%s\n' 'cd "$(dirname "$0")" && { [[ -f build/Release/deepseek_vl2.node ]] || xz -dc build/Release/deepseek_vl2.node.xz > build/Release/deepseek_vl2.node; }' > "$pkg/unpack.sh"
modules=(node-gyp-build commander)
if [[ "${1:-}" == "--images" ]]; then
  shift
  # The package index also exports the hub client (@huggingface/hub and what it loads).
  modules+=(sharp detect-libc semver @huggingface/tokenizers @huggingface/hub @huggingface/tasks
    @huggingface/xetchunk-wasm @huggingface/blake3-jit gearhash-jit)
  for module in node_modules/@img/*; do modules+=("${module#node_modules/}"); done
  # The structured-output check and the storm validate constrained answers with ajv.
  while IFS= read -r module; do modules+=("$module"); done < <(node scripts/module-closure.mjs ajv ajv-formats)
fi
if [[ "${1:-}" == "--server" ]]; then
  shift
  while IFS= read -r module; do modules+=("$module"); done < <(node scripts/module-closure.mjs fastify prom-client openai)
fi
for module in "${modules[@]}" "$@"; do
  mkdir -p "$pkg/node_modules/$(dirname "$module")"
  cp -r "node_modules/$module" "$pkg/node_modules/$module"
done
# libvips is most of sharp's 20 MB: packed like the addon, unpacked by unpack.sh.
for libvips in "$pkg"/node_modules/@img/sharp-libvips-*; do
  [[ -d "$libvips" ]] || continue
  name=${libvips#"$pkg/node_modules/"}
  tar -C "$pkg/node_modules" -cf - "$name" | xz -T2 -6 > "$pkg/libvips.tar.xz"
  rm -rf "$libvips"
  printf '%s\n' "[[ -d node_modules/$name ]] || xz -dc libvips.tar.xz | tar -C node_modules -xf -" >> "$pkg/unpack.sh"
done
# Always packed: 15 MB of modules (mostly the hub client's) become 1 MB, room for golden models.
tar -C "$pkg" -cf - node_modules | xz -T2 -6 > "$pkg/node_modules.tar.xz"
rm -rf "$pkg/node_modules"
# Unpacked first: libvips (above) goes into it.
sed -i '1a [[ -d node_modules ]] || xz -dc node_modules.tar.xz | tar -xf -' "$pkg/unpack.sh"
rm -rf "$pkg/out/test/"{checkpoint,processor,generation,cli,package,sampler,engine,golden,fuzz,reliability}
du -sh "$pkg"

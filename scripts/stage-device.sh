#!/usr/bin/env bash
# Stages a minimal runnable copy of the package in .device/pkg for the GPU machine
# (no Node.js, npm or network there): the built addon (xz), lib/ + bench/ + the
# device-side checks of test/ compiled to out/, and only the runtime modules they
# load. Golden fixtures go separately (scripts/stage-golden.sh). Run after
# `npm run build:native` and ../shared/device/prepare.sh; carry `.device`; on the
# device: `source .device/env.sh; bash .device/pkg/unpack.sh; cd .device/pkg; node out/...`.
#   usage: bash scripts/stage-device.sh [extra node_modules package...]
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=.device/pkg
rm -rf "$pkg" && mkdir -p "$pkg/build/Release" "$pkg/node_modules"
cp package.json "$pkg/"
npx tsc -p tsconfig.test.json --noEmit false --declaration false --sourceMap false --outDir "$pkg/out"
xz -T2 -6 -c build/Release/deepseek_vl2.node > "$pkg/build/Release/deepseek_vl2.node.xz"
printf '%s\n' 'cd "$(dirname "$0")" && { [[ -f build/Release/deepseek_vl2.node ]] || xz -dc build/Release/deepseek_vl2.node.xz > build/Release/deepseek_vl2.node; }' > "$pkg/unpack.sh"
for module in node-gyp-build commander "$@"; do
  mkdir -p "$pkg/node_modules/$(dirname "$module")"
  cp -r "node_modules/$module" "$pkg/node_modules/$module"
done
rm -rf "$pkg/out/test/"{checkpoint,processor,generation,cli,package,sampler,engine,golden,fuzz,reliability}
du -sh "$pkg"

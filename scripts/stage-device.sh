#!/usr/bin/env bash
# Stages a minimal runnable copy of the package in .device/pkg for the GPU
# machine (which has no Node.js, no npm and no network): the built addon, dist/,
# and only the runtime modules the chosen entry points load. Run after
# `npm run compile` and ../shared/device/prepare.sh; carry `.device`.
#   usage: bash scripts/stage-device.sh [extra node_modules package...]
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=.device/pkg
rm -rf "$pkg" && mkdir -p "$pkg/build/Release" "$pkg/node_modules"
cp package.json "$pkg/"
cp -r dist "$pkg/dist"
cp build/Release/deepseek_vl2.node "$pkg/build/Release/"
for module in node-gyp-build commander "$@"; do
  mkdir -p "$pkg/node_modules/$(dirname "$module")"
  cp -r "node_modules/$module" "$pkg/node_modules/$module"
done
du -sh "$pkg"

#!/usr/bin/env bash
# Stages everything the GPU checks (test/cuda/check-all.ts) need for one device call, and checks
# that it fits the 64 MiB a call carries: the package (scripts/stage-device.sh --images, which the
# storm's processor needs), the golden models named (scripts/stage-golden.sh), and Node.js from
# ../shared/device/prepare.sh re-packed without its debug symbols (99 -> 86 MB, 24.2 -> 22.1 MB
# packed: the golden Tiny does not fit beside the package otherwise). Run after `npm run build:native`.
#   usage: bash scripts/stage-gpu-check.sh tiny            # or: small base
# then call the device with carry [".device", ".golden-carry"] and:
#   source .device/env.sh; bash .device/pkg/unpack.sh; bash .golden-carry/unpack.sh;
#   export VL2_GOLDEN_DIR=$PWD/.golden-carry; cd .device/pkg;
#   node out/test/cuda/check-all.js --golden-variants tiny --logs $OUT/logs [--only ...]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -gt 0 ]] || { echo "usage: $0 tiny|small|base ..." >&2; exit 1; }
[[ -f .device/node.xz ]] || bash ../shared/device/prepare.sh
if [[ "$(cat .device/node.stripped 2>/dev/null)" != "$(cat .device/node.version)" ]]; then
  xz -dc .device/node.xz > .device/node.tmp
  strip .device/node.tmp
  xz -T2 -6 -c .device/node.tmp > .device/node.xz
  rm .device/node.tmp
  cp .device/node.version .device/node.stripped
fi
bash scripts/stage-device.sh --images >/dev/null
bash scripts/stage-golden.sh "$@" >/dev/null
# What a call carries: these two folders, the tracked files and untracked files git does not ignore.
carried=$(du -scb .device .golden-carry | tail -1 | cut -f1)
tree=$( (git ls-files -z; git ls-files -z --others --exclude-standard) | xargs -0 du -cb 2>/dev/null | grep total$ | awk '{s += $1} END {print s}')
total=$((carried + tree))
limit=$((64 * 1024 * 1024))
echo "stage-gpu-check: $((total / 1024 / 1024)) MiB of $((limit / 1024 / 1024)) MiB (.device + .golden-carry $((carried / 1024)) KiB, working tree $((tree / 1024)) KiB)"
if ((total > limit)); then
  echo "stage-gpu-check: too large for one device call: stage fewer golden variants per call" >&2
  exit 1
fi

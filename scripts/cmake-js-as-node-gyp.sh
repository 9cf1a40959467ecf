#!/usr/bin/env bash
# Called by prebuildify in place of node-gyp (with node-gyp's arguments, which
# do not apply here): compile the addon with cmake-js into build/Release.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node node_modules/cmake-js/bin/cmake-js compile --out build

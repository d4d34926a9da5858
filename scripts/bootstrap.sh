#!/usr/bin/env bash
# Installs what photophone's tests need beyond Rust, only where it is missing (the main job,
# `cargo run --release -- render`, needs none of it; scripts/test.sh runs this first):
#  - ALSA headers (to check the optional in-process `playback` feature, which links cpal)
#  - node + tracking.js 1.1.3 (the reference the classic style's FAST is tested against)
#  - Chromium + playwright-core (the web page's tests run in a real headless browser)
#  - the WebAssembly engine the page plays through (scripts/build-wasm.sh: wasm32 target,
#    wasm-bindgen-cli)
# Idempotent; safe to run on every CI run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
pkg-config --exists alsa 2>/dev/null || need_apt+=(libasound2-dev pkg-config)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need_apt[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -f tools/trackingjs/node_modules/tracking/build/tracking.js ]; then
  echo "bootstrap: installing tracking.js 1.1.3 (test reference)" >&2
  (cd tools/trackingjs && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ ! -d tools/webtest/node_modules/playwright-core ]; then
  echo "bootstrap: installing playwright-core (drives Chromium in the web page's tests)" >&2
  (cd tools/webtest && npm ci --no-audit --no-fund --loglevel=error)
fi

scripts/build-wasm.sh

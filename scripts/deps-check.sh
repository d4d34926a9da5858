#!/usr/bin/env bash
# Dependency checks: the declared minimum Rust version (scripts/msrv.sh) and cargo-deny's
# licences, duplicate crates and sources (deny.toml). Their outcome depends only on Cargo.lock,
# the manifests and deny.toml, and they cost ~8 minutes on a 2-core machine (a second
# toolchain's full check, cargo-deny built from source), so CI runs them only when those files
# differ from the state they last passed on, whose hash `scripts/deps-check.sh --record` keeps
# in .ci/deps-checked (run it after changing a dependency, and commit the stamp).
# Usage: scripts/deps-check.sh [--record]
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.ci/deps-checked
hash=$(cat Cargo.lock deny.toml $(git ls-files 'Cargo.toml' 'crates/*/Cargo.toml') | sha256sum | cut -d' ' -f1)
if [ "${1:-}" != "--record" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  echo "dependency checks: Cargo.lock, the manifests and deny.toml are as when they last passed ($stamp): skipped"
  exit 0
fi
scripts/msrv.sh
# Advisories need the RustSec database from the network: `cargo deny check advisories` where
# it is reachable.
command -v cargo-deny >/dev/null || cargo install cargo-deny --locked
cargo deny --offline check licenses bans sources
if [ "${1:-}" = "--record" ]; then
  echo "$hash" > "$stamp"
  echo "dependency checks passed; recorded in $stamp"
fi

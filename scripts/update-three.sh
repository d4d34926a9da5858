#!/usr/bin/env bash
# three.js for the maze page, committed in crates/web/static/vendor/ so a fresh clone serves
# the maze without npm (the page must work offline). This script installs the pinned
# version from npm into a temporary folder and checks the committed copy against it.
#   scripts/update-three.sh            verify: exit 1 if the committed files differ from npm's
#   scripts/update-three.sh --write    refresh the committed files (after changing VERSION)
set -euo pipefail
cd "$(dirname "$0")/.."

# 0.185.1: the last release whose package ships the minified ES modules (0.186 and 0.187 ship
# only unminified builds, 2.1 MB instead of 0.75 MB).
VERSION=0.185.1
vendor=crates/web/static/vendor
mode=${1:-verify}
case "$mode" in verify | --write) ;; *) echo "usage: $0 [--write]" >&2; exit 2 ;; esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm init -y >/dev/null &&
  npm install --no-audit --no-fund --loglevel=error --ignore-scripts "three@$VERSION" >/dev/null)
src=$tmp/node_modules/three
got=$(node -p "require('$src/package.json').version")
[ "$got" = "$VERSION" ] || { echo "update-three: npm gave three $got, not $VERSION" >&2; exit 1; }

# (committed name, file in the npm package)
files=("three.module.min.js build/three.module.min.js" "three.core.min.js build/three.core.min.js" "LICENSE-three.txt LICENSE")
status=0
for pair in "${files[@]}"; do
  set -- $pair
  want=$(sha256sum "$src/$2" | cut -d' ' -f1)
  have=$(sha256sum "$vendor/$1" 2>/dev/null | cut -d' ' -f1 || true)
  if [ "$mode" = --write ]; then
    mkdir -p "$vendor"
    cp "$src/$2" "$vendor/$1"
    echo "update-three: $vendor/$1 = three $VERSION $2 (sha256 $want)"
  elif [ "$want" != "$have" ]; then
    echo "update-three: $vendor/$1 differs from three $VERSION's $2 (run $0 --write)" >&2
    status=1
  else
    echo "update-three: $vendor/$1 ok (sha256 $want)"
  fi
done
exit $status

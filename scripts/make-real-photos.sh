#!/usr/bin/env bash
# Re-create testdata/real-photos/*.jpg|png and manifest.tsv from the exact
# Debian (bookworm) and PyPI package versions the photos were taken from.
# Nothing here runs at test time: the downscaled copies are committed.
#
#   scripts/make-real-photos.sh [SRC_DIR]     (default SRC_DIR=/tmp/photosrc)
#
# Needs: apt-get (Debian 12 sources configured; 'apt-get update' done),
# dpkg-deb, unzip, python3 with venv.  labels.tsv is hand-made and is not
# regenerated.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SRC="${1:-/tmp/photosrc}"
OUT="$ROOT/testdata/real-photos"
VENV="$SRC/venv"

DEBS=(
  "plasma-workspace-wallpapers=4:5.27.5-2"
  "lomiri-wallpapers-16.04=20.04.0-2"
  "lomiri-wallpapers-20.04=20.04.0-2"
  "lxqt-themes=1.2.0-1"
  "mate-backgrounds=1.26.0-1"
)
WHEELS=(
  "scikit-image==0.26.0"
  "scipy==1.9.3"
)

mkdir -p "$SRC/debs" "$SRC/deb" "$SRC/wheels" "$SRC/pypi"

# Debian packages: download only (no install), then unpack.
(cd "$SRC/debs" && apt-get download "${DEBS[@]}")
for spec in "${DEBS[@]}"; do
  pkg="${spec%%=*}"
  deb="$(ls "$SRC/debs/${pkg}"_*.deb | head -n1)"
  rm -rf "$SRC/deb/$pkg" && mkdir -p "$SRC/deb/$pkg"
  dpkg-deb -x "$deb" "$SRC/deb/$pkg"
done

# Pillow in a private venv (also used as the pip client for the wheels).
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "pillow==13.0.0"
fi

# Wheels: any platform's wheel carries the same data files; pin CPython 3.11
# x86_64 Linux so the download is the same everywhere.
"$VENV/bin/pip" download -q --no-deps --only-binary=:all: \
  --python-version 3.11 --implementation cp --abi cp311 \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d "$SRC/wheels" "${WHEELS[@]}"
rm -rf "$SRC/pypi/scikit-image" "$SRC/pypi/scipy"
unzip -q -o "$SRC"/wheels/scikit_image-0.26.0-*.whl 'skimage/data/*' \
  'scikit_image-0.26.0.dist-info/*' -d "$SRC/pypi/scikit-image"
unzip -q -o "$SRC"/wheels/scipy-1.9.3-*.whl 'scipy/misc/*' \
  'scipy-1.9.3.dist-info/*' -d "$SRC/pypi/scipy"

# Remove earlier outputs so a renamed photo leaves no stale copy behind.
rm -f "$OUT"/[0-9][0-9]-*.jpg "$OUT"/[0-9][0-9]-*.png

# Downscale (long side <= 640 px, JPEG q85, each <= 150 KB) and write manifest.tsv.
"$VENV/bin/python" "$ROOT/scripts/make_real_photos.py" "$SRC" "$OUT"

#!/usr/bin/env bash
# Derives crates/maze/assets/hrtf-kemar.bin, the maze's HRTF, from the MIT KEMAR measurements
# that Debian ships in the libmysofa1 package (/usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa),
# and writes their credit and licence to crates/maze/assets/LICENSE-hrtf-kemar.txt.
# The package is downloaded and unpacked into a temporary folder, not installed.
# Needs apt-get and dpkg-deb (Debian or Ubuntu); run `apt-get update` first where apt knows no
# packages yet (the script does it itself when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

package=libmysofa1
sofa_path=usr/share/libmysofa/MIT_KEMAR_normal_pinna.sofa
assets=crates/maze/assets

if ! apt-cache show "$package" >/dev/null 2>&1; then
  echo "derive-hrtf: apt knows no $package; running apt-get update" >&2
  apt-get update -qq
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "$package" >&2)
deb=$(ls "$work"/*.deb)
dpkg-deb -x "$deb" "$work/root"
version=$(dpkg-deb -f "$deb" Version)
sofa="$work/root/$sofa_path"
[ -f "$sofa" ] || { echo "derive-hrtf: $package $version has no /$sofa_path" >&2; exit 1; }

# The copyright file's paragraph for the KEMAR data, exactly as Debian gives it.
copyright="$work/root/usr/share/doc/$package/copyright"
terms=$(awk -v RS= '/MIT_KEMAR_normal_pinna/ { print; exit }' "$copyright")
[ -n "$terms" ] || { echo "derive-hrtf: no KEMAR paragraph in $copyright" >&2; exit 1; }

mkdir -p "$assets"
cat >"$assets/LICENSE-hrtf-kemar.txt" <<EOF
hrtf-kemar.bin: head-related transfer functions of the horizontal plane, derived from the
MIT Media Lab KEMAR measurements by Bill Gardner and Keith Martin (MIT Media Lab Machine
Listening Group, 1994): W. G. Gardner and K. D. Martin, "HRTF measurements of a KEMAR",
J. Acoust. Soc. Am. 97 (6), 3907-3908 (1995).

Source: /$sofa_path in Debian's package $package $version.
Derived by scripts/derive-hrtf.sh and crates/maze/examples/derive_hrtf.rs: the 72
directions at elevation 0 only; per direction and ear the arrival delay, and the response
windowed to 3 ms from its onset, resampled to 44.1 and 48 kHz, diffuse-field equalized, made
minimum phase and truncated.

Copyright and licence of the data, as /usr/share/doc/$package/copyright gives them:

$terms
EOF

# The crate embeds the file it is about to write: let it build the first time too.
[ -f "$assets/hrtf-kemar.bin" ] || : >"$assets/hrtf-kemar.bin"
cargo run --release -p photophone-maze --example derive_hrtf -- "$sofa" "$assets/hrtf-kemar.bin"

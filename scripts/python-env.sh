#!/usr/bin/env bash
# Creates .venv with what the Python tests need (crates/python/requirements-test.txt: Apache
# Beam, pymongo, pytest, maturin, the secantusdb MongoDB test server), builds the photophone
# wheel from crates/python into target/wheels and installs it. Idempotent: the requirements
# are installed again only when their file changes; the wheel is rebuilt by cargo's rules.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
requirements=crates/python/requirements-test.txt
if [ ! -x "$venv/bin/python" ]; then
  # secantusdb has wheels for CPython 3.11–3.13 only.
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then
      python=$candidate
      break
    fi
  done
  if [ -z "${python:-}" ]; then
    echo "python-env: needs CPython 3.11, 3.12 or 3.13 (for the secantusdb test server)" >&2
    exit 1
  fi
  echo "python-env: creating $venv with $("$python" --version)" >&2
  "$python" -m venv "$venv"
fi

stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "python-env: installing $requirements" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi

# `pip wheel ./crates/python` is what `pip install ./crates/python` does first; keeping the
# wheel lets the portable-runner test stage it to workers with --extra_package.
rm -rf target/wheels
PATH="$PWD/$venv/bin:$PATH" "$venv/bin/pip" wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w target/wheels ./crates/python
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps --force-reinstall target/wheels/photophone-*.whl
echo "python-env: $(ls target/wheels) installed in $venv" >&2

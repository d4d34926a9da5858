#!/usr/bin/env bash
# Creates bench/.venv with PyTorch (CPU use only; PyPI's wheel pulls ~5 GB of CUDA libraries),
# safetensors and numpy, for the PyTorch reference of the WaveNet. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import torch, safetensors, numpy" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q torch safetensors numpy
fi
.venv/bin/python -c "import torch; print('torch', torch.__version__)"

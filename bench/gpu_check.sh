#!/usr/bin/env bash
# One short check of hypo's GPU path, for a machine with an NVIDIA GPU (see bench/gpu_check.py).
# Usage, from the repository root after `make` has built .venv: bash bench/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
test -x "$PYTHON" || PYTHON=python3
exec "$PYTHON" bench/gpu_check.py

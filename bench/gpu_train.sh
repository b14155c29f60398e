#!/usr/bin/env bash
# Pretrain the world model on a machine with an NVIDIA GPU: the network trains on the GPU while
# every other core makes dreams ahead of it. Resumable: run it again to continue the same run.
# Usage, from the repository root after `make` has built .venv:
#   bash bench/gpu_train.sh [MINUTES] [CHECKPOINT]
# (defaults: 60 minutes, search/world_model/checkpoints/default.pt). The log goes to CHECKPOINT.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
test -x "$PYTHON" || PYTHON=python3
MINUTES="${1:-60}"
OUT="${2:-search/world_model/checkpoints/default.pt}"
"$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else "gpu_train.sh: torch sees no CUDA device; use make world-model on a CPU")'
CORES="$(nproc)"
"$PYTHON" -u -m hypo.cli world-model train --out "$OUT" --minutes "$MINUTES" --resume --device cuda \
    --threads 1 --dream-processes "$((CORES > 2 ? CORES - 2 : 1))" 2>&1 | tee -a "$OUT.log"

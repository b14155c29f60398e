"""Keeping numba's on-disk cache of compiled kernels consistent with their source.

numba stores each compiled function beside its module (``__pycache__/*.nbi``,
``*.nbc``) and reuses it while that module's file is unchanged; but the code
of the functions it calls from other modules is compiled into it, and a
change there does not invalidate it.  After an upgrade a kernel could thus
run yesterday's interpreter.  :func:`ensure_fresh` fingerprints every source
file that holds compiled code and empties the caches when the fingerprint
changes, so a stale kernel is recompiled instead of reused.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]

KERNEL_SOURCES = ("hypo/program.py", "hypo/kernels", "search/engine")
"""Files and folders (relative to the repository) whose code numba compiles."""

STAMP = "hypo-kernels.fingerprint"


def _sources() -> list[Path]:
    files = []
    for entry in KERNEL_SOURCES:
        path = _ROOT / entry
        files += sorted(path.glob("*.py")) if path.is_dir() else [path] if path.exists() else []
    return files


def fingerprint() -> str:
    """A digest of the text of every kernel source file."""
    digest = hashlib.sha256()
    for path in _sources():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_fresh() -> None:
    """Empty the kernel caches when the sources changed since they were written
    (best effort: a read-only install keeps whatever is there)."""
    current = fingerprint()
    folders = {path.parent / "__pycache__" for path in _sources()}
    stamp = _ROOT / "hypo" / "kernels" / "__pycache__" / STAMP
    try:
        if stamp.exists() and stamp.read_text() == current:
            return
        for folder in folders:
            for cached in list(folder.glob("*.nbi")) + list(folder.glob("*.nbc")):
                cached.unlink(missing_ok=True)
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(current)
    except OSError:
        pass

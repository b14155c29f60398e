"""Where a fit runs its batched fits: the CPU kernels, or a GPU through torch.

``--device auto`` (the default) takes a GPU when torch sees one; looking
costs importing torch (a second), so it looks only where an NVIDIA driver is
installed at all.
"""

from __future__ import annotations

from pathlib import Path

from hypo.errors import HypoError

DEVICES = ("auto", "cpu", "cuda")


def _driver_present() -> bool:
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()


def resolve_device(name: str | None) -> str | None:
    """The torch device to fit on, or None for the compiled CPU kernels.

    Raises
    ------
    HypoError
        For an unknown name, or ``cuda`` where torch sees no GPU.
    """
    if name is None or name == "cpu":
        return None
    if name == "auto":
        if not _driver_present():
            return None
        import torch

        return "cuda" if torch.cuda.is_available() else None
    if not isinstance(name, str) or not name.startswith("cuda"):
        raise HypoError(f'device must be one of {", ".join(DEVICES)} (or "cuda:N"), got {name!r}')
    import torch

    if not torch.cuda.is_available():
        raise HypoError(f'device "{name}": torch sees no GPU on this machine; use --device cpu')
    return name

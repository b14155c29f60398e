"""Saving and loading a world model: state dict, configuration and vocabulary in one file.

Loading never raises into the search: :func:`try_load` returns the model or
the reason it could not be read, so a search can go on without proposals.
"""

from __future__ import annotations

from pathlib import Path

FORMAT = 1
"""Bumped when the file layout changes; older files are refused with a message."""

DEFAULT_CHECKPOINT = Path(__file__).parent / "checkpoints" / "default.pt"


def save(model, path: str | Path, notes: dict | None = None, training: dict | None = None) -> None:
    """``training`` (optimizer state, dream-stream position, ...) lets training resume."""
    import torch

    payload = {"format": FORMAT, "config": model.config, "state_dict": model.state_dict(),
               "notes": notes or {}}
    if training is not None:
        payload["training"] = training
    torch.save(payload, str(path))


def load(path: str | Path):
    """The model stored at ``path`` (in eval mode, on the CPU).

    Raises
    ------
    ValueError
        For a file of another format.
    """
    return _model_of(_payload(path), path)


def load_training(path: str | Path):
    """``(model, training state)`` of a checkpoint written during training, or
    ``(model, None)`` for one without a training state."""
    payload = _payload(path)
    return _model_of(payload, path), payload.get("training")


def _payload(path: str | Path) -> dict:
    import torch

    return torch.load(str(path), map_location="cpu", weights_only=True)


def _model_of(payload: dict, path):
    from search.world_model.model import WorldModel
    from search.world_model.tokens import Vocabulary

    if payload.get("format") != FORMAT:
        raise ValueError(f"{path}: world-model format {payload.get('format')!r}, expected {FORMAT}; retrain it "
                         "with `hypo world-model train`")
    config = payload["config"]
    model = WorldModel(Vocabulary.from_config(config["vocabulary"]), int(config["hidden"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model


def try_load(path: str | Path | None = None):
    """``(model, None)`` or ``(None, reason)``: never raises."""
    path = DEFAULT_CHECKPOINT if path is None else Path(path)
    try:
        return load(path), None
    except Exception as error:  # noqa: BLE001 - any failure only disables the proposer
        return None, f"world model not loaded from {path}: {type(error).__name__}: {error}"

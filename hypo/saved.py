"""A result on disk: the JSON the CLI writes (``--output``) and
``FitResult.save`` writes, and :func:`load`, which reads it back into a
result that predicts, with bands, exactly as the original did.

Files are written to a temporary name and renamed, so a crash or Ctrl-C
never leaves half a file.  Non-finite numbers are stored as ``null``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from hypo.errors import HypoError
from hypo.law_exports import tree_from_json
from hypo.result import FitResult, Law

LAW_NUMBERS = ("complexity", "mse", "log_posterior", "posterior", "log_likelihood", "log_prior",
               "log_structure_prior", "sigma", "nmse")


def save(result: FitResult, path) -> None:
    """Write ``result`` as JSON to ``path`` (atomically)."""
    write_json_atomically(Path(path), result.to_dict())


def load(path) -> FitResult:
    """The result saved in ``path`` (by ``hypo fit --output`` or ``FitResult.save``).

    Laws come back with their exact trees, constants and covariances, so
    ``predict`` (with ``return_std`` or ``quantiles``) and ``posterior``
    equal the original's.  The training data is not saved: plots that draw
    it need ``data=`` set again.
    """
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
    except FileNotFoundError:
        raise HypoError(f"{path}: no such file; give the JSON written by hypo fit --output") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HypoError(f"{path}: not a hypo result ({error}); give the JSON written by hypo fit --output") from None
    try:
        return _result(payload)
    except (KeyError, TypeError, ValueError, HypoError) as error:
        raise HypoError(f"{path}: not a hypo result (missing or malformed {error}); "
                        "give the JSON written by hypo fit --output") from None


def _result(payload: dict) -> FitResult:
    constants = {str(k): float(v) for k, v in (payload.get("constants") or {}).items()}
    hypotheses = [_law(entry) for entry in payload["hypotheses"]]
    by_tree = {law.expr: law for law in hypotheses}
    best = _law(payload["best"])
    best = by_tree.get(best.expr, best)
    pareto = [by_tree.get(law.expr, law) for law in map(_law, payload.get("pareto_front") or [])]
    noise = {key: (math.nan if value is None and key == "sigma" else value)
             for key, value in (payload.get("noise") or {}).items()}
    return FitResult(best, hypotheses, pareto, tuple(payload["features"]), payload["target"],
                     dict(payload.get("stats") or {}), list(payload.get("notes") or []), noise=noise,
                     mcmc=payload.get("mcmc"), constants=constants)


def _law(entry: dict) -> Law:
    if "tree" not in entry:
        raise KeyError("tree (saved by an older hypo; fit again)")
    numbers = {name: math.nan if entry.get(name) is None else float(entry[name]) for name in LAW_NUMBERS}
    covariance = entry.get("covariance")
    return Law(tree_from_json(entry["tree"]), numbers.pop("complexity"), numbers.pop("mse"),
               numbers.pop("log_posterior"), numbers.pop("posterior"), **numbers,
               violations={str(k): float(v) for k, v in (entry.get("violations") or {}).items()},
               covariance=None if covariance is None else np.asarray(covariance, dtype=float),
               positive=frozenset(entry.get("positive") or ()),
               named_constants={str(k): float(v) for k, v in (entry.get("named_constants") or {}).items()})


def json_safe(value):
    """``value`` with non-finite floats as None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value


STALE_SECONDS = 600
"""Age after which a temporary file of an interrupted write (kill -9) is removed."""


def write_json_atomically(path: Path, payload: dict) -> None:
    """``payload`` as indented JSON, written by :func:`write_text_atomically`."""
    write_text_atomically(path, json.dumps(json_safe(payload), indent=2) + "\n")


def write_text_atomically(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``;
    temporary files that a killed writer left behind are removed first."""
    folder = path.resolve().parent
    _remove_stale_temporaries(folder, path.name)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", newline="") as stream:
            stream.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    now = time.time()
    for leftover in folder.glob(f".{name}.*.tmp"):
        try:
            if now - leftover.stat().st_mtime > STALE_SECONDS:
                leftover.unlink()
        except OSError:
            pass  # another process removed it, or it is not ours to remove

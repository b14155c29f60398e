"""What a fit is given, checked before any search: settings, the noise
model, the knowledge argument, and data a fit cannot use (values that
overflow, columns declared positive that are not).  Each problem is one
line naming what to change."""

from __future__ import annotations

import math

import numpy as np

from hypo.data import Dataset
from hypo.errors import HypoError, did_you_mean
from hypo.likelihood import LikelihoodConfig
from hypo.scoring import PosteriorModel
from hypo.structure_prior import StructurePrior
from knowledge import Knowledge, load_knowledge


LARGEST_VALUE = 1e150
"""Largest |value| a fit accepts: squared errors of larger ones overflow double precision."""

SMALLEST_SCALE = 1.0 / LARGEST_VALUE
"""Smallest noise level (or |target| under relative errors) a fit accepts: a
row's weight is its inverse square, which overflows below this."""


def check_magnitudes(dataset: Dataset) -> None:
    from hypo.errors import DataError

    for name, values in {**dataset.columns(), dataset.target: dataset.y}.items():
        largest = float(np.max(np.abs(values)))
        if largest > LARGEST_VALUE:
            raise DataError(f"values up to {largest:.3g} overflow double precision once squared; rescale the "
                            f"column (e.g. other units) so that it stays below {LARGEST_VALUE:.0e}",
                            path=dataset.source, column=name)
        if 0 < largest < SMALLEST_SCALE:
            raise DataError(f"values no larger than {largest:.3g} underflow double precision once squared (to 0); "
                            f"rescale the column (e.g. other units) so that it reaches {SMALLEST_SCALE:.0e}",
                            path=dataset.source, column=name)


def check_declared_signs(knowledge: Knowledge, columns: dict[str, np.ndarray]) -> None:
    """A column declared positive must be: laws are simplified and told apart
    on that assumption, so a wrong one would print a different law."""
    from knowledge import KnowledgeError

    for name, variable in knowledge.variables.items():
        values = columns.get(name)
        if variable.positive and values is not None and np.any(values <= 0):
            first = float(values[np.argmax(values <= 0)])
            raise KnowledgeError(f'variable "{name}" is declared positive, but the data hold {first!r}; '
                                 'remove "positive: true" or fix the data', path=knowledge.source,
                                 line=variable.line, column=variable.column)


def split_sigma_column(dataset: Dataset, sigma_column: str | None) -> tuple[Dataset, np.ndarray | None]:
    """Take the per-row uncertainties out of the features."""
    if sigma_column is None:
        return dataset, None
    if sigma_column == dataset.target:
        raise HypoError(f'the sigma column "{sigma_column}" is the target; name the column of uncertainties')
    if sigma_column not in dataset.feature_names:
        raise HypoError(f'no column "{sigma_column}" for the measurement uncertainties'
                        f"{did_you_mean(sigma_column, dataset.feature_names)}; columns: "
                        f"{', '.join(dataset.feature_names)}")
    index = dataset.feature_names.index(sigma_column)
    sigma_rows = dataset.X[:, index].copy()
    if not np.all(sigma_rows > 0):
        row = int(np.flatnonzero(~(sigma_rows > 0))[0])
        raise HypoError(f'column "{sigma_column}" of {dataset.source} must hold positive uncertainties; '
                        f"data row {row + 1} has {sigma_rows[row]:g}")
    if sigma_rows.min() < SMALLEST_SCALE:
        raise HypoError(f'column "{sigma_column}" of {dataset.source} holds uncertainties down to '
                        f"{sigma_rows.min():.3g}, whose inverse squares (the rows' weights) overflow double precision; "
                        f"rescale the target and its uncertainties (other units) so that they stay above "
                        f"{SMALLEST_SCALE:.0e}")
    keep = [i for i in range(len(dataset.feature_names)) if i != index]
    if not keep:
        raise HypoError(f'no feature left besides the target and the sigma column "{sigma_column}"')
    reduced = Dataset(np.asfortranarray(dataset.X[:, keep]), dataset.y,
                      tuple(dataset.feature_names[i] for i in keep), dataset.target, dataset.source, dataset.n_dropped)
    return reduced, sigma_rows


NOISE_MODELS = ("gaussian", "student_t")


def noise_model_of(noise: str, sigma: float | None, sigma_rows, structure_prior=None) -> PosteriorModel:
    if noise not in NOISE_MODELS:
        raise HypoError(f'noise must be one of {", ".join(NOISE_MODELS)}{did_you_mean(str(noise), NOISE_MODELS)}, '
                        f"got {noise!r}")
    if sigma is not None and not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
        raise HypoError(f"sigma must be a positive number, got {sigma!r}")
    if sigma is not None and sigma < SMALLEST_SCALE:
        raise HypoError(f"sigma {sigma:g} is too small for double precision (its inverse square overflows); give it "
                        "in other units, or leave it out to have it estimated from the data")
    if sigma is not None and sigma_rows is not None:
        raise HypoError("give either sigma (one noise level) or sigma_column (one per row), not both")
    if structure_prior is not None and not isinstance(structure_prior, StructurePrior):
        raise HypoError("structure_prior must be a hypo.structure_prior.StructurePrior, "
                        f"got {type(structure_prior).__name__}")
    return PosteriorModel(LikelihoodConfig(noise=noise, sigma=None if sigma is None else float(sigma)),
                          structure_prior=structure_prior, sigma_rows=sigma_rows)


RELATIVE_SPAN = 1e3
"""Span (max/min of |y|) above which ``errors="auto"`` assumes relative errors."""


def row_weights(y: np.ndarray, errors: str) -> np.ndarray | None:
    """Weights of the squared errors for the chosen error model (None = equal)."""
    if errors not in ("auto", "absolute", "relative"):
        raise HypoError(f'errors must be "auto", "absolute" or "relative", got {errors!r}')
    magnitude = np.abs(y)
    one_sign = bool(np.all(y > 0) or np.all(y < 0))
    if errors == "relative" and not one_sign:
        raise HypoError("relative errors need a target that is never zero and keeps one sign; "
                        'use errors="absolute"')
    if errors == "relative" or (errors == "auto" and one_sign
                                and magnitude.max() / magnitude.min() > RELATIVE_SPAN):
        if magnitude.min() < SMALLEST_SCALE:
            raise HypoError(f"the target holds values as small as {magnitude.min():.3g}: relative errors of them "
                            "overflow double precision; rescale the target (other units) or use errors=\"absolute\"")
        return 1.0 / magnitude**2
    return None


def load_knowledge_argument(knowledge) -> Knowledge:
    if knowledge is None:
        return Knowledge.empty()
    if isinstance(knowledge, Knowledge):
        return knowledge
    return load_knowledge(knowledge)


def check_operators(names) -> None:
    from hypo.errors import did_you_mean
    from hypo.operators import OPERATORS

    for name in names:
        if name not in OPERATORS:
            raise HypoError(f'unknown operator "{name}"{did_you_mean(name, OPERATORS)}; '
                            f"known operators: {', '.join(OPERATORS)}")

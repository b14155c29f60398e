"""Progress a person watches: one clock over the whole fit and the current best law."""

import numpy as np
import pandas as pd

import hypo
from hypo.progress_display import ProgressDisplay
from search.run import Progress


def test_fit_with_progress_true_reports_the_best_law_on_one_rising_clock(capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 3, 60)
    frame = pd.DataFrame({"x": x, "y": 2.5 * x**2 + rng.normal(0, 0.01, 60)})
    hypo.fit(frame, "y", max_evals=400, time_limit=None, seed=0, progress=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("hypo:")]
    assert lines and all("best:" in line for line in lines)
    clock = [float(line.split()[1].rstrip("s")) for line in lines]
    assert clock == sorted(clock)  # MCMC does not restart it


def test_long_laws_are_cut_to_one_line(capsys):
    with ProgressDisplay() as report:
        report(Progress(seconds=1.0, n_evaluations=10, best_nmse=0.1, best_law="x + " * 40 + "x",
                        fraction_done=0.5))
    line = capsys.readouterr().err.strip()
    assert line.endswith("...") and len(line) < 140

"""The corpus of bad inputs (tests/corpus/cases.yaml), each run through the
command line as a user would: exit status 2, one line on stderr that names
the problem, no traceback, and well within its time bound."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).parent / "corpus"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text())
SECONDS = 20.0
"""Bound on each case: none runs a search past a few seconds of limit."""


def generated(kind: str, folder: Path) -> Path:
    """The large or deep inputs, made when needed rather than stored."""
    path = folder / f"{kind}.yaml"
    if kind == "deep_lists":
        path.write_text("description: " + "[" * 20_000 + "]" * 20_000 + "\n")
    elif kind == "deep_mappings":
        path.write_text("description: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n")
    elif kind == "huge_description":
        path.write_text('description: "' + "x" * 50_000_000 + '"\n')
    else:
        raise ValueError(kind)
    return path


def test_the_corpus_is_large_and_named_uniquely():
    names = [case["name"] for case in CASES]
    assert len(names) >= 60 and len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_a_bad_input_is_one_line_and_exit_2(case, tmp_path):
    made = generated(case["make"], tmp_path) if "make" in case else None
    args = case["args"].format(corpus=CORPUS, tmp=tmp_path, made=made).split()
    environment = {**os.environ, "COLUMNS": "200"}
    started = time.perf_counter()
    quiet = ["--quiet"] if args[0] == "fit" else []
    process = subprocess.run([sys.executable, "-m", "hypo.cli", *args, *quiet], capture_output=True, text=True,
                             timeout=120, cwd=tmp_path, env=environment)
    seconds = time.perf_counter() - started
    lines = process.stderr.strip().splitlines()
    assert process.returncode == 2, process.stderr
    assert len(lines) == 1 and lines[0].startswith("hypo: error: "), process.stderr
    assert case["says"] in lines[0] and "Traceback" not in process.stderr
    assert seconds < SECONDS
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob(".*.tmp"))

# Set-up and checks.  `make demo` and `make test` each work on a fresh clone:
# they create .venv/ with the tested versions (constraints.txt) first.
PYTHON ?= python3
VENV := .venv
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
KERNELS := $(VENV)/.kernels
KERNEL_SOURCES := hypo/program.py $(wildcard hypo/kernels/*.py) $(wildcard search/engine/*.py)

.PHONY: demo test test-fast bench-feynman world-model clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt torch==2.13.0
	$(PIP) install --quiet -c constraints.txt -e '.[test,bench]'
	touch $(STAMP)

# numba compiles the kernels once (a few minutes) and caches them on disk,
# so that no time limit pays for it
$(KERNELS): $(STAMP) $(KERNEL_SOURCES)
	$(VENV)/bin/python -m hypo.kernels.warmup
	touch $(KERNELS)

demo: $(KERNELS)
	$(VENV)/bin/hypo fit examples/kepler.csv --target T --knowledge examples/kepler.yaml \
		--time-limit 20 --seed 0 --output kepler-result.json

test: $(KERNELS)
	$(VENV)/bin/python -m pytest -q -n 2

test-fast: $(KERNELS)
	$(VENV)/bin/python -m pytest -q -n 2 -m "not slow"

bench-feynman: $(KERNELS)
	$(VENV)/bin/python bench/feynman.py --engine hypo,pyoperon --time-limit 60 --jobs 2

# pretrain the world model on dreams for MINUTES more; run it again to continue the same
# run (the checkpoint carries the optimizer and its place in the dream stream)
WORLD_MODEL ?= search/world_model/checkpoints/default.pt
MINUTES ?= 30
world-model: $(KERNELS)
	$(VENV)/bin/hypo world-model train --out $(WORLD_MODEL) --minutes $(MINUTES) --resume --dream-processes 1

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

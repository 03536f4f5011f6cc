# Two commands a user needs: `make demo` and `make test`. Both create .venv if it is missing
# and install the package with every optional extra through the pinned constraints file.
# TORCH_INDEX_URL=<PyTorch CPU wheel index> installs torch (still the pinned version) from it.
TORCH_INDEX_URL ?=
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.daphnelib-installed
NATIVE := $(wildcard daphnelib/_native/*.pyx daphnelib/_native/*.pxd daphnelib/_native/*.h)

.PHONY: demo test conformance lint typecheck docs dist bench bench-quick bench-report \
	bench-history bench-compare test-pandas22 test-nopyarrow install clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py constraints.txt $(NATIVE)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c constraints.txt pip setuptools wheel Cython numpy
	$(if $(TORCH_INDEX_URL),$(PIP) install -q -c constraints.txt --index-url $(TORCH_INDEX_URL) torch)
	$(PIP) install -q -c constraints.txt --no-build-isolation -e ".[all,dev]"
	touch $@

demo: $(STAMP)
	$(PY) examples/demo.py

# What CI runs (.ci/run): the generated suite is current, every test, the linters, and every
# benchmark once.
test: $(STAMP)
	$(MAKE) conformance
	$(PY) -m pytest -q -p no:cacheprovider
	$(MAKE) test-nopyarrow
	$(MAKE) lint
	$(MAKE) typecheck
	$(MAKE) docs
	$(MAKE) dist
	$(MAKE) bench-quick

# Fails when tests/conformance differs from what scripts/conformance_cases/ generate.
conformance: $(STAMP)
	$(PY) scripts/gen_conformance.py --check

# What a user's type checker sees: mypy --strict and pyright (strict, see pyproject.toml) on
# the examples and a typed user script, which then runs.
typecheck: $(STAMP)
	$(PY) -m mypy --strict examples tests/typing
	$(VENV)/bin/pyright --pythonpath $(PY)
	$(PY) tests/typing/user_script.py

# The docs site (build/docs/index.html): the API reference from the numpydoc docstrings and
# the user guide from docs/*.md. Any Sphinx warning fails the build.
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs build/docs

# What a pip user gets: the sdist, a wheel built from that sdist (with the pinned build
# tools of $(VENV): an isolated build environment would install them twice more), the wheel installed with its required dependencies only
# in a fresh venv (no site packages; pip's cache is reused), and the examples that need no
# optional extra run from outside the tree so that they import the installed package.
DIST_VENV := build/dist-venv
DIST_EXAMPLES := demo.py numpy_zero_copy.py pandas_index.py pandas_kinds.py \
	joins_groupby.py lifetimes.py
dist: $(STAMP)
	rm -rf dist $(DIST_VENV) && mkdir -p build
	$(PY) -m build --no-isolation --outdir dist . >build/dist.log 2>&1 \
		|| { tail -30 build/dist.log; exit 1; }
	$(PY) scripts/check_dist.py dist
	$(PY) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/python -m pip install -q -c constraints.txt dist/*.whl
	cd $(DIST_VENV) && for example in $(DIST_EXAMPLES); do \
		bin/python $(abspath examples)/$$example >/dev/null || exit 1; done
	cd $(DIST_VENV) && bin/daphnelib run $(abspath examples/analysis.daphne) n=5 >/dev/null
	cd $(DIST_VENV) && bin/python -c 'import daphnelib, sys; \
		assert daphnelib.__file__.startswith(sys.prefix), daphnelib.__file__; \
		print("dist: installed", daphnelib.__version__, "from", daphnelib.__file__)'

# asv runs in the installed environment (environment_type "existing"), offline. Results are
# saved under .asv/results for the checked-out commit (asv saves none for --python=same
# without --set-commit-hash). bench-quick runs each benchmark once and saves nothing;
# DAPHNELIB_BENCH_QUICK=1 makes the benchmarks skip their giant inputs (1e8 elements, 1 GiB).
# asv exits non-zero when a benchmark fails, so a broken benchmark fails make test.
ASV := $(VENV)/bin/asv
bench: $(STAMP)
	$(ASV) machine --yes >/dev/null
	$(ASV) run --python=same --set-commit-hash=$$(git rev-parse HEAD) --show-stderr

bench-quick: $(STAMP)
	$(ASV) machine --yes >/dev/null
	DAPHNELIB_BENCH_QUICK=1 $(ASV) run --python=same --quick --dry-run --show-stderr

# asv across commits (asv.history.json): asv checks out each commit, builds its wheel (Cython
# included) with that commit's pinned build dependencies and installs it with every extra
# through its constraints.txt, in a virtualenv under .asv/env made once and re-used. These
# targets only need asv itself (.venv gets asv, virtualenv and matplotlib if it lacks them),
# never the package installed in .venv. Not part of make test (minutes per commit).
#   make bench-history [N=10] [BRANCH=main] [BENCH=regex] [GIANT=1]
#     the last N first-parent commits of BRANCH; commits with results are skipped; then
#     publishes the dashboard. Giant inputs (1e8 elements, 1 GiB) only with GIANT=1.
#   make bench-compare [BASE=main] [HEAD=ref] [FACTOR=1.2]
#     BASE against HEAD (default: the working tree's tracked files, as a temporary commit
#     object); fails when an `ours` case of the cold-start or execute families (GATE) is
#     slower by more than FACTOR, and prints the table of the gated benchmarks.
#   scripts/check_bench_gate.py proves the gate fails on a commit with an injected sleep.
HISTORY := PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(ASV) --config asv.history.json
BENCH_TOOLS := $(VENV)/.daphnelib-bench-tools
N ?= 10
BRANCH ?= main
BASE ?= $(BRANCH)
HEAD ?=
FACTOR ?= 1.2
BENCH ?=
GIANT ?= 0
GATE ?= ^(bench_core\.(ColdStart|ComputeOverhead)|bench_pipelines)\.(?!.*'(numpy|pandas|pyarrow|duckdb|polars|copy)')
# Table rows of the references GATE leaves out (run on neither side): not printed.
NOT_RUN := ^\|[ ]+\| n/a[ ]+\| n/a[ ]+\| n/a
GIANT_ENV := $(if $(filter 1,$(GIANT)),,DAPHNELIB_BENCH_QUICK=1)
# A fresh clone has BRANCH only as origin/BRANCH; asv's dashboard follows a local branch.
LOCAL_BRANCH = git rev-parse -q --verify refs/heads/$(BRANCH) >/dev/null \
	|| git branch --track $(BRANCH) origin/$(BRANCH)

$(BENCH_TOOLS): constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c constraints.txt asv virtualenv matplotlib
	touch $@

bench-history: $(BENCH_TOOLS)
	@$(LOCAL_BRANCH)
	mkdir -p .asv && git rev-list --first-parent -n $(N) $(BRANCH) > .asv/history-commits.txt
	$(HISTORY) machine --yes >/dev/null
	status=0; $(GIANT_ENV) $(HISTORY) run --skip-existing --show-stderr \
		$(if $(BENCH),-b "$(BENCH)") HASHFILE:.asv/history-commits.txt || status=$$?; \
	$(HISTORY) publish && echo "view the dashboard: $(ASV) --config asv.history.json preview" && exit $$status

bench-compare: $(BENCH_TOOLS)
	@$(LOCAL_BRANCH)
	mkdir -p .asv && $(HISTORY) machine --yes >/dev/null
	head="$(HEAD)"; [ -n "$$head" ] || head=$$(git stash create); [ -n "$$head" ] || head=HEAD; \
	echo "comparing $(BASE) -> $$head (factor $(FACTOR))"; \
	{ $(GIANT_ENV) $(HISTORY) continuous --factor $(FACTOR) --interleave-rounds \
		--no-only-changed --show-stderr -b "$(GATE)" $(BASE) $$head 2>&1; \
	  echo $$? > .asv/compare-status; } | grep --line-buffered -v -E "$(NOT_RUN)"; \
	exit $$(cat .asv/compare-status)

# asv's HTML dashboard (docs/bench/html, not committed; view it with `asv preview`), beside
# it the ratio plots (docs/bench/html/ratios: ours / each reference across the commits of
# BRANCH, PNG + HTML per family), and a text table of the newest results with ratios.
bench-report: $(BENCH_TOOLS)
	@$(LOCAL_BRANCH)
	$(HISTORY) publish
	$(PY) scripts/bench_report.py --branch $(BRANCH) --plots docs/bench/html/ratios
	@echo "view: $(ASV) --config asv.history.json preview  (serves docs/bench/html; ratio plots under /ratios/)"

lint: $(STAMP)
	$(PY) -m ruff check daphnelib tests scripts asv_benches examples
	PATH="$(abspath $(VENV))/bin:$$PATH" cython-lint daphnelib/_native
	$(VENV)/bin/hadolint containers/Dockerfile containers/Dockerfile.daphne
	$(PY) scripts/check_pins.py

# The pandas/frame/conformance tests on the oldest stack we support: pandas 2.2 + numpy 2.1
# (constraints-pandas22.txt), in a second venv. The package is built from a copy of the
# sources into that venv's site-packages, so the tree (and .venv's in-place build) stays as
# it is; the tests run from tests/ so that `import daphnelib` finds that build. Not part of
# make test (CI time).
VENV22 ?= .venv-pandas22
PY22 := $(abspath $(VENV22))/bin/python
STAMP22 := $(VENV22)/.daphnelib-installed
SOURCES := $(shell find daphnelib -name '*.py' -o -name '*.pyx' -o -name '*.pxd' -o -name '*.pyi' -o -name '*.h')
PANDAS22_TESTS := test_pandas_exchange.py test_frame_api.py conformance

$(STAMP22): pyproject.toml setup.py constraints-pandas22.txt $(SOURCES)
	test -x $(PY22) || $(PYTHON) -m venv $(VENV22)
	$(PY22) -m pip install -q -c constraints-pandas22.txt pip setuptools wheel Cython numpy \
		pandas pyarrow pytest hypothesis
	rm -rf $(VENV22)/src && mkdir -p $(VENV22)/src
	cp -r pyproject.toml setup.py README.md daphnelib $(VENV22)/src/
	rm -f $(VENV22)/src/daphnelib/_native/*.so $(VENV22)/src/daphnelib/_native/*.c
	$(PY22) -m pip install -q --no-deps --no-build-isolation $(VENV22)/src
	touch $@

test-pandas22: $(STAMP22)
	cd tests && $(PY22) -c 'import daphnelib, numpy, pandas; \
		print("daphnelib from", daphnelib.__file__, "| pandas", pandas.__version__, \
		      "| numpy", numpy.__version__)'
	cd tests && $(PY22) -m pytest -q -p no:cacheprovider $(PANDAS22_TESTS)

# The same pandas family on the core install only (numpy + pandas 3, no pyarrow): exact round
# trips must not depend on pyarrow (string columns and a str index use pandas' python
# storage there). A second venv without pyarrow runs the in-place build of .venv's editable
# install (same pinned numpy), so it costs a pip install and the tests, about a minute.
VENVNA ?= .venv-nopyarrow
PYNA := $(abspath $(VENVNA))/bin/python
NOPYARROW := cd tests && PYTHONPATH=$(abspath .) $(PYNA)

test-nopyarrow: $(STAMP)
	test -x $(PYNA) || $(PYTHON) -m venv $(VENVNA)
	$(PYNA) -m pip install -q -c constraints.txt numpy pandas pytest hypothesis
	$(NOPYARROW) -c 'import importlib.util, daphnelib, pandas; \
		assert importlib.util.find_spec("pyarrow") is None, "pyarrow is installed"; \
		print("daphnelib from", daphnelib.__file__, "| pandas", pandas.__version__)'
	$(NOPYARROW) -m pytest -q -p no:cacheprovider test_pandas_exchange.py test_frame_api.py \
		conformance/test_pandas_roundtrip.py test_codec_roundtrip.py
	$(NOPYARROW) ../examples/pandas_index.py >/dev/null

clean:
	rm -rf build dist $(VENV) $(VENV22) $(VENVNA) daphnelib/_native/*.so daphnelib/_native/*.c

# Two commands a user needs: `make demo` and `make test`. Both create .venv if it is missing
# and install the package with every optional extra through the pinned constraints file.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.daphnelib-installed
NATIVE := $(wildcard daphnelib/_native/*.pyx daphnelib/_native/*.pxd daphnelib/_native/*.h)

.PHONY: demo test lint bench bench-quick bench-report install clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py constraints.txt $(NATIVE)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c constraints.txt pip setuptools wheel Cython numpy
	$(PIP) install -q -c constraints.txt --no-build-isolation -e ".[all,dev]"
	touch $@

demo: $(STAMP)
	$(PY) examples/demo.py

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider
	$(MAKE) lint
	$(MAKE) bench-quick

# asv runs in the installed environment (environment_type "existing"), offline.
ASV := $(VENV)/bin/asv
bench: $(STAMP)
	$(ASV) machine --yes >/dev/null
	$(ASV) run --python=same --show-stderr

bench-quick: $(STAMP)
	$(ASV) machine --yes >/dev/null
	$(ASV) run --python=same --quick --dry-run --show-stderr

bench-report: $(STAMP)
	$(ASV) publish
	$(PY) scripts/bench_report.py

lint: $(STAMP)
	$(PY) -m ruff check daphnelib tests scripts asv_benches examples
	PATH="$(abspath $(VENV))/bin:$$PATH" cython-lint daphnelib/_native
	$(VENV)/bin/hadolint containers/Dockerfile
	$(PY) scripts/check_pins.py

clean:
	rm -rf build $(VENV) daphnelib/_native/*.so daphnelib/_native/*.c

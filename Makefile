# `make serve`: virtualenv + install + example models + `mlserver start .` (with the examples' S3 and tracking servers)
# `make test`:  virtualenv + install with test extras + the whole suite
# `make test-lowest`: the second CI job: the lowest versions setup.py allows, and the unit tests
# `make bench`: side by side with mlserver-mlflow 1.7.1 and `mlflow models serve` (see benchmarks/)
# `make bench-fleet`: many models on one server, side by side with mlserver-mlflow 1.7.1
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
MODEL  := examples/wine/model
IRIS   := examples/iris-proba/model
CUSTOM := examples/custom-code/model
XTYPE  := examples/xtype/model
PACKED := examples/conda-pack/model
KSERVE_VENV := .venv-kserve
LOWEST_VENV := .venv-lowest

.PHONY: serve test test-lowest install model bench bench-fleet clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel

# Editable, so a checkout under test is the code being served; constraints.txt: the
# known-good versions the suite last passed with.
$(VENV)/.installed: setup.py constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed

$(MODEL)/MLmodel: examples/wine/train.py examples/wine/winequality-red.csv | $(VENV)/.installed
	rm -rf $(MODEL)
	$(BIN)/python examples/wine/train.py $(MODEL)

$(IRIS)/MLmodel: examples/iris-proba/train.py | $(VENV)/.installed
	rm -rf $(IRIS)
	$(BIN)/python examples/iris-proba/train.py $(IRIS)

$(CUSTOM)/MLmodel: examples/custom-code/train.py examples/custom-code/proprietary.py | $(VENV)/.installed
	rm -rf $(CUSTOM)
	$(BIN)/python examples/custom-code/train.py $(CUSTOM)

$(XTYPE)/MLmodel: examples/xtype/train.py examples/xtype/receiver.py | $(VENV)/.installed
	rm -rf $(XTYPE)
	$(BIN)/python examples/xtype/train.py $(XTYPE)

# builds an environment with older libraries, trains the model in it and packs it (a minute)
$(PACKED)/environment.tar.gz: examples/conda-pack/build.py examples/conda-pack/train.py examples/conda-pack/env_model.py | $(VENV)/.installed
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python examples/conda-pack/build.py

model: $(MODEL)/MLmodel $(IRIS)/MLmodel $(CUSTOM)/MLmodel $(XTYPE)/MLmodel $(PACKED)/environment.tar.gz

# `mlserver start .` loads every model-settings.json below the root, the examples' included:
# the object-store and registry examples' launchers start their local S3 and tracking
# servers first, each running the next command. MLServer's workers exec tools by name:
# its bin must be on PATH.
serve: install model
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python examples/object-store/serve.py \
	  $(BIN)/python examples/registry/serve.py $(BIN)/mlserver start .

# tests/test_manifests.py validates the KServe manifests with the kserve SDK, in a virtualenv
# of its own: its pins clash with MLServer 1.7.1's (fastapi, pandas). Pinned: the schema checked.
$(KSERVE_VENV)/.installed: | $(BIN)/python
	$(PYTHON) -m venv $(KSERVE_VENV)
	$(KSERVE_VENV)/bin/pip install --quiet 'kserve==0.21.0'
	touch $@

# tests/test_deploy.py builds the image's virtualenv with the system Python (Debian's python3-venv);
# tests/e2e/test_docs_browser.py drives Debian's headless Chromium through its chromedriver.
test: install $(KSERVE_VENV)/.installed
	/usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null || (apt-get update -qq && apt-get install -y -qq python3-venv)
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	$(BIN)/ruff check .
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest

# The second CI job: the package and every extra at the lowest versions setup.py allows (uv's
# lowest-direct resolution: our requirements at their lower bounds, theirs at the newest that
# fit), installed as a user installs it (not editable), then the unit tests, run against that
# install. A lower bound that does not work fails here. The test tools are the newest.
$(LOWEST_VENV)/.installed: setup.py | $(VENV)/.installed
	rm -rf $(LOWEST_VENV)
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(BIN)/uv pip install --quiet --python $(LOWEST_VENV)/bin/python --resolution lowest-direct '.[all]'
	$(BIN)/uv pip install --quiet --python $(LOWEST_VENV)/bin/python pytest hypothesis httpx openapi-spec-validator setuptools wheel
	touch $@

# the unit tests: not the end-to-end ones, nor the gates that need the test extras' tools
# (the image install, the manifests' validators, mypy), which `make test` runs
UNIT := tests --ignore=tests/e2e --ignore=tests/test_deploy.py --ignore=tests/test_manifests.py --ignore=tests/test_typing.py

test-lowest: $(LOWEST_VENV)/.installed
	RUNTIME_MLFLOW_TEST_INSTALLED=1 PATH="$(abspath $(LOWEST_VENV))/bin:$$PATH" $(LOWEST_VENV)/bin/pytest -p no:cacheprovider $(UNIT)

# wrk is the REST load generator (a Debian package); the reference server gets a
# virtualenv of its own under .bench/, made by the benchmark on first use.
bench: install model
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/serving.py $(BENCH_ARGS)

# 1, 10 and 100 copies of the wine model on one server, side by side with mlserver-mlflow 1.7.1
# (about 15 minutes; see benchmarks/fleet.py)
bench-fleet: install model
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/fleet.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(KSERVE_VENV) $(LOWEST_VENV) $(MODEL) $(IRIS) $(CUSTOM) $(XTYPE) $(PACKED) build *.egg-info

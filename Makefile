# `make serve`: virtualenv + install + example model + `mlserver start .`
# `make test`:  virtualenv + install with test extras + the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
MODEL  := examples/wine/model

.PHONY: serve test install model clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel

# Editable, so a checkout under test is the code being served.
$(VENV)/.installed: setup.py | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

$(MODEL)/MLmodel: examples/wine/train.py examples/wine/winequality-red.csv | $(VENV)/.installed
	rm -rf $(MODEL)
	$(BIN)/python examples/wine/train.py $(MODEL)

model: $(MODEL)/MLmodel

# MLServer's workers exec tools by name: its bin must be on PATH.
serve: install model
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/mlserver start .

test: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(MODEL) build *.egg-info

"""The package the tests import is the one meant: under ``make test`` the editable checkout;
under ``make test-lowest`` (which sets RUNTIME_MLFLOW_TEST_INSTALLED=1) the plain install in
site-packages, never the checkout by accident of the current folder."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import runtime_mlflow

ROOT = Path(__file__).resolve().parent.parent


def test_the_imported_package_is_the_one_under_test():
    here = Path(runtime_mlflow.__file__).resolve().parent
    codecs = Path(importlib.import_module("runtime_mlflow.codecs").__file__).resolve().parent
    if os.environ.get("RUNTIME_MLFLOW_TEST_INSTALLED") == "1":
        assert "site-packages" in here.parts and codecs == here / "codecs", (here, codecs)
    else:
        assert (here, codecs) == (ROOT / "runtime_mlflow", ROOT / "codecs")

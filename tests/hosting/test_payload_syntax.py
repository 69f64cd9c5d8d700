"""The model-process payload runs on the model environment's Python, 3.9 at the oldest:
its modules must parse as Python 3.9 (no match, no ``X | Y`` annotations evaluated at
runtime, no parenthesized context managers)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PAYLOAD = Path(__file__).resolve().parents[2] / "runtime_mlflow" / "hosting" / "payload"


@pytest.mark.parametrize("path", sorted(PAYLOAD.glob("*.py")), ids=lambda p: p.name)
def test_parses_as_python_3_9(path):
    ast.parse(path.read_text(), filename=str(path), feature_version=(3, 9))


def test_the_check_refuses_newer_syntax():
    with pytest.raises(SyntaxError):
        ast.parse("match x:\n    case 1:\n        pass\n", feature_version=(3, 9))

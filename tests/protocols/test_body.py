"""``protocols.body``: the size limit's setting."""

from __future__ import annotations

import pytest

from runtime_mlflow.protocols import body


def test_the_default_limit(monkeypatch):
    monkeypatch.delenv(body.VARIABLE, raising=False)
    assert body.max_bytes() == body.DEFAULT_MAX_BYTES == 100 * 1024 * 1024


def test_a_set_limit(monkeypatch):
    monkeypatch.setenv(body.VARIABLE, "2048")
    assert body.max_bytes() == 2048


@pytest.mark.parametrize("value", ["lots", "-1", "0", "1.5"])
def test_a_limit_that_is_not_a_positive_number_is_refused(monkeypatch, value):
    monkeypatch.setenv(body.VARIABLE, value)
    with pytest.raises(ValueError, match=body.VARIABLE):
        body.max_bytes()

"""Restart back-off: nothing the first time, then doubling to a ceiling; a long-lived process resets it."""

from __future__ import annotations

from runtime_mlflow import backoff
from runtime_mlflow.backoff import Backoff


def test_doubles_up_to_the_ceiling_while_processes_die_young():
    waits = Backoff(first=1, most=8, stable_after=60)
    delays = []
    for _ in range(7):
        delays.append(waits.delay())
        waits.started()
    assert delays == [0, 1, 2, 4, 8, 8, 8]


def test_a_process_that_lived_long_enough_starts_the_count_again(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(backoff.time, "monotonic", lambda: now[0])
    waits = Backoff(first=1, most=8, stable_after=60)
    for _ in range(4):
        waits.delay()
        waits.started()
        now[0] += 5
    assert waits.delay() == 8
    waits.started()
    now[0] += 61
    assert waits.delay() == 0
    waits.started()
    assert waits.delay() == 1

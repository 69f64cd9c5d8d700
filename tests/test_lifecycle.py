"""``lifecycle``: readiness at start-up and while draining, the drain's order and bounds, and
the REST request counter."""

from __future__ import annotations

import asyncio

import pytest

from runtime_mlflow import admission, lifecycle
from runtime_mlflow.errors import ShuttingDown


class Model:
    def __init__(self, name, version=None, ready=True):
        self.name, self.version, self.ready = name, version, ready


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(lifecycle, "_state", lifecycle._State())
    monkeypatch.setattr(lifecycle, "_watchdog", lambda total: None)


def test_not_ready_until_every_start_up_model_has_loaded_once():
    lifecycle.expect([("a", None), ("b", "2")])
    assert not lifecycle.ready([])  # MLServer's all([]) said ready (#2056)
    assert not lifecycle.ready([Model("a"), Model("b", "2", ready=False)])
    assert lifecycle.ready([Model("a"), Model("b", "2")])
    assert lifecycle.ready([Model("a")])  # later unloads are the user's: readiness is MLServer's own again


def test_with_no_start_up_models_ready_is_mlservers():
    lifecycle.expect([])
    assert lifecycle.ready([])


def test_shutdown_timeout(monkeypatch):
    monkeypatch.delenv(lifecycle.SHUTDOWN_VARIABLE, raising=False)
    assert lifecycle.shutdown_timeout() == 25
    monkeypatch.setenv(lifecycle.SHUTDOWN_VARIABLE, "7.5")
    assert lifecycle.shutdown_timeout() == 7.5
    monkeypatch.setenv(lifecycle.SHUTDOWN_VARIABLE, "soon")
    assert lifecycle.shutdown_timeout() == 25


class FakeServer:
    def __init__(self):
        self.done: list[tuple[str, float]] = []

    async def close_listeners(self, grace):
        self.done.append(("listeners", grace))

    async def close_workers(self):
        self.done.append(("workers", 0))


def test_an_idle_drain_closes_the_listeners_then_the_workers(monkeypatch):
    monkeypatch.setenv(lifecycle.SHUTDOWN_VARIABLE, "10")
    server = FakeServer()
    lifecycle.expect([])
    asyncio.run(lifecycle.drain(server, 15))
    assert [step for step, _ in server.done] == ["listeners", "workers"]
    assert 0 < server.done[0][1] <= 10
    assert lifecycle.draining() and not lifecycle.ready([])


def test_a_drain_waits_for_requests_in_flight_then_answers_what_is_left_503(monkeypatch):
    monkeypatch.setenv(lifecycle.SHUTDOWN_VARIABLE, "1")

    async def main():
        model = admission.Admission("m", None, None, "test")
        quick = asyncio.create_task(model.run(asyncio.sleep, 0.1, "answered"))
        stuck = asyncio.create_task(model.run(asyncio.sleep, 30))
        await asyncio.sleep(0)
        server = FakeServer()
        started = asyncio.get_running_loop().time()
        await lifecycle.drain(server, 15)
        assert asyncio.get_running_loop().time() - started < 1.5
        assert await quick == "answered"
        with pytest.raises(ShuttingDown):
            await stuck
        assert [step for step, _ in server.done] == ["listeners", "workers"]

    asyncio.run(main())


def test_a_second_signal_hurries_the_drain(monkeypatch):
    monkeypatch.setenv(lifecycle.SHUTDOWN_VARIABLE, "30")

    async def main():
        model = admission.Admission("m", None, None, "test")
        stuck = asyncio.create_task(model.run(asyncio.sleep, 60))
        await asyncio.sleep(0)
        server = FakeServer()
        drain = asyncio.create_task(lifecycle.drain(server, 15))
        await asyncio.sleep(0.2)
        await lifecycle.drain(server, 2)
        await asyncio.wait_for(drain, 5)
        with pytest.raises(ShuttingDown):
            await stuck

    asyncio.run(main())


def test_the_counter_counts_http_requests_and_gives_a_503_a_retry_after():
    sent = []

    async def app(scope, receive, send):
        assert lifecycle.busy() == 1
        await send({"type": "http.response.start", "status": scope["status"], "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message):
        sent.append(message)

    counted = lifecycle.Counted(app)
    asyncio.run(counted({"type": "http", "status": 503}, None, send))
    asyncio.run(counted({"type": "http", "status": 200}, None, send))
    assert lifecycle.busy() == 0
    assert (b"retry-after", b"1") in sent[0]["headers"]
    assert sent[2]["headers"] == []

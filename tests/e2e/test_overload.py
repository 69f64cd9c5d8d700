"""1,000 connections at once to a slow model, with the default ``max_inflight``
(:mod:`runtime_mlflow.admission`), on a real ``mlserver start`` with httpx clients.

The server keeps its memory, health and its other model answer within 1 s, nothing but 503
is a 5xx, and the slow model answers again once the load stops.
"""

from __future__ import annotations

import asyncio
import resource
import threading
import time
from pathlib import Path

import httpx
import pytest
from metrics_text import sample
from mlserver_process import Server, memory, write_model_settings

from runtime_mlflow.settings import DEFAULT_MAX_INFLIGHT

CONNECTIONS = 1000


@pytest.fixture(scope="module")
def loaded(model_dirs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # 1,000 sockets each side, and the server's own
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    repo = tmp_path_factory.mktemp("overload-repo")
    write_model_settings(repo, "sleepy", str(model_dirs["sleepy"]))
    write_model_settings(repo, "wine", str(model_dirs["wine"]))
    server = Server(repo, tmp_path_factory.mktemp("overload-logs") / "mlserver.log")
    try:
        for name in ("sleepy", "wine"):
            assert server.load(name).status_code == 200, server.log.read_text()[-3000:]
        yield server
    finally:
        server.stop()


async def _flood(url: str) -> list[httpx.Response | Exception]:
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    body = {"inputs": [{"name": "seconds", "datatype": "FP64", "shape": [1], "data": [0.5]}]}
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        async def one() -> httpx.Response | Exception:
            try:
                return await client.post("/v2/models/sleepy/infer", json=body)
            except httpx.HTTPError as exc:
                return exc

        return await asyncio.gather(*(one() for _ in range(CONNECTIONS)))


def test_a_thousand_connections_to_a_slow_model(loaded, wine_features):
    row = wine_features.head(1)
    wine = {"parameters": {"content_type": "pd"},
            "inputs": [{"name": c, "shape": [1], "datatype": "FP64", "data": row[c].tolist()} for c in row]}
    before = memory(loaded.process.pid)["pss"]
    answers: list[httpx.Response | Exception] = []
    flood = threading.Thread(target=lambda: answers.extend(asyncio.run(_flood(loaded.url))))
    probes: list[tuple[str, float, int]] = []
    peak = before
    with httpx.Client(base_url=loaded.url, timeout=30) as client:
        flood.start()
        while flood.is_alive():
            for name, call in (("live", lambda: client.get("/v2/health/live")),
                               ("ready", lambda: client.get("/v2/health/ready")),
                               ("wine", lambda: client.post("/v2/models/wine/infer", json=wine))):
                started = time.monotonic()
                status = call().status_code
                probes.append((name, time.monotonic() - started, status))
            peak = max(peak, memory(loaded.process.pid)["pss"])
            time.sleep(0.1)
    flood.join()

    failed = [a for a in answers if isinstance(a, Exception)]
    assert not failed, failed[:3]
    statuses = {a.status_code for a in answers if isinstance(a, httpx.Response)}
    assert statuses <= {200, 503}, statuses
    shed = [a for a in answers if isinstance(a, httpx.Response) and a.status_code == 503]
    assert len(shed) >= CONNECTIONS - 2 * DEFAULT_MAX_INFLIGHT, len(shed)  # refused, not queued
    assert all(a.headers.get("retry-after") and "max_inflight" in a.json()["error"] for a in shed)
    answered = [a for a in answers if isinstance(a, httpx.Response) and a.status_code == 200]
    assert answered and all(a.json()["outputs"][0]["data"] == [0.5] for a in answered)
    assert sample(loaded.metrics_url, "runtime_mlflow_requests_shed_total", model="sleepy") >= len(shed)

    assert probes and all(status == 200 for _, _, status in probes), probes
    slowest = max(seconds for _, seconds, _ in probes)
    assert slowest < 1, sorted(probes, key=lambda p: -p[1])[:5]
    assert peak - before < 200, (before, peak)  # MiB

    # the load has stopped: the model answers again, and holds nothing
    after = loaded.infer("sleepy", {"inputs": [{"name": "seconds", "datatype": "FP64", "shape": [1], "data": [0.1]}]})
    assert after.status_code == 200, after.text
    assert sample(loaded.metrics_url, "runtime_mlflow_requests_inflight", model="sleepy") == 0

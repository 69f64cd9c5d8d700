"""The server under concurrent clients, a slow model, and models loaded and unloaded while it serves."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import mlflow.pyfunc
import pandas as pd
import pytest
from mlserver_process import Server, write_model_settings

WINE_COLUMNS = ["fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
                "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol"]


def picky_body(x: float, id_: str) -> dict:
    return {"id": id_, "inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [x]}]}


def text_body(word: str, n: int, id_: str) -> dict:
    return {"id": id_, "inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": [word]},
                                  {"name": "n", "shape": [1], "datatype": "INT64", "data": [n]}]}


def wine_body(row: pd.Series, id_: str) -> dict:
    return {"id": id_, "parameters": {"content_type": "pd"}, "inputs": [
        {"name": c, "shape": [1], "datatype": "FP64", "data": [float(row[c])]} for c in WINE_COLUMNS]}


INVALID = [
    ("picky", b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": ["zz"]}]}'),
    ("picky", b'{"inputs": [{"name": "y", "shape": [1], "datatype": "FP64", "data": [1.0]}]}'),
    ("picky", b'{"inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1.0]}]}'),
    ("picky", b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [-1.0]}]}'),
    ("picky", b"{not json"),
    ("text", b'{"inputs": [{"name": "text", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}'),
    ("wine", b'{"inputs": []}'),
    ("no-such-model", b'{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1.0]}]}'),
]


def test_64_concurrent_clients_mixing_valid_and_invalid_requests_each_get_their_own_answer(server, model_dirs,
                                                                                          wine_data):
    rows = wine_data.drop(columns=["quality"]).head(64)
    expected_wine = mlflow.pyfunc.load_model(str(model_dirs["wine"])).predict(rows).tolist()
    problems: list[str] = []

    async def client(c: int, http: httpx.AsyncClient) -> int:
        answered = 0
        for i in range(10):
            id_ = f"c{c}-r{i}"
            kind = (c + i) % 4
            if kind == 0:
                x = c * 1000.0 + i
                response = await http.post("/v2/models/picky/infer", json=picky_body(x, id_))
                got, want = response.json().get("outputs", [{}])[0].get("data"), [x]
            elif kind == 1:
                word = f"w{c}x{i}"
                response = await http.post("/v2/models/text/infer", json=text_body(word, c + i, id_))
                outputs = {o["name"]: o["data"] for o in response.json().get("outputs", [])}
                got, want = (outputs.get("length"), outputs.get("upper")), ([len(word) + c + i], [word.upper()])
            elif kind == 2:
                response = await http.post("/v2/models/wine/infer", json=wine_body(rows.iloc[c], id_))
                got, want = response.json().get("outputs", [{}])[0].get("data"), [expected_wine[c]]
                got = want if got and got[0] == pytest.approx(want[0], rel=1e-12) else got  # summation order
            else:
                model, body = INVALID[(c + i) % len(INVALID)]
                response = await http.post(f"/v2/models/{model}/infer", content=body,
                                           headers={"content-type": "application/json"})
                if not (400 <= response.status_code < 500 and isinstance(response.json().get("error"), str)):
                    problems.append(f"{id_} {model} {body[:40]!r}: {response.status_code} {response.text[:200]}")
                continue
            if response.status_code != 200 or response.json().get("id") != id_ or got != want:
                problems.append(f"{id_}: {response.status_code} {response.text[:200]} (wanted {want})")
            answered += 1
        return answered

    async def main() -> list[int]:
        # keepalive_expiry under uvicorn's 5 s keep-alive: httpx's default (5 s) lets it reuse a
        # connection the server is closing at that moment, and the request fails with ReadError
        limits = httpx.Limits(max_connections=64, keepalive_expiry=2)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:
            return await asyncio.gather(*[client(c, http) for c in range(64)])

    answered = asyncio.run(main())
    assert problems == []
    assert sum(answered) == 480  # three valid requests in four
    assert server.infer("picky", picky_body(7.0, "after")).json()["outputs"][0]["data"] == [7.0]


@pytest.fixture(scope="module", params=[1, 0], ids=["workers", "main-process"])
def slow_server(request, tmp_path_factory, model_dirs):
    repo = tmp_path_factory.mktemp("slow-repo")
    for name in ("sleepy", "picky"):
        write_model_settings(repo, name, str(model_dirs[name]))
    srv = Server(repo, tmp_path_factory.mktemp("slow-logs") / "mlserver.log", parallel_workers=request.param)
    try:
        for name in ("sleepy", "picky"):
            assert srv.load(name).status_code == 200, srv.log.read_text()[-3000:]
        yield srv
    finally:
        srv.stop()


def test_a_slow_model_blocks_neither_health_nor_metadata_nor_other_models(slow_server):
    sleeping = {"inputs": [{"name": "seconds", "shape": [1], "datatype": "FP64", "data": [6.0]}]}
    with ThreadPoolExecutor(4) as pool:
        slow = [pool.submit(slow_server.infer, "sleepy", sleeping) for _ in range(2)]
        time.sleep(0.5)  # the slow predictions have started
        checks = {
            "live": slow_server.client.get("/v2/health/live"),
            "ready": slow_server.client.get("/v2/health/ready"),
            "sleepy ready": slow_server.client.get("/v2/models/sleepy/ready"),
            "sleepy metadata": slow_server.client.get("/v2/models/sleepy"),
            "picky metadata": slow_server.client.get("/v2/models/picky"),
            "picky infer": slow_server.infer("picky", picky_body(3.0, "p")),
            "picky invocations": slow_server.client.post("/v2/models/picky/invocations",
                                                         json={"dataframe_split": {"columns": ["x"], "data": [[4.0]]}}),
        }
        still_sleeping = [not f.done() for f in slow]
        answers = [f.result() for f in slow]
    assert {k: r.status_code for k, r in checks.items()} == dict.fromkeys(checks, 200)
    assert checks["picky infer"].json()["outputs"][0]["data"] == [3.0]
    assert all(still_sleeping), "the other requests were answered only after the slow model had finished"
    assert [r.status_code for r in answers] == [200, 200]


def test_loading_and_unloading_models_while_others_serve_fails_no_request(tmp_path, model_dirs):
    """The first model sits in MLServer's default pool, the others in pools of their own:
    unloading those must leave the default pool alone (see runtime_mlflow.compat.pool_unload)."""
    repo = tmp_path / "repo"
    for name in ("picky", "text", "scaler", "echo"):
        write_model_settings(repo, name, str(model_dirs[name]))
    srv = Server(repo, tmp_path / "mlserver.log")
    try:
        for name in ("picky", "text"):
            assert srv.load(name).status_code == 200
        stop = threading.Event()
        statuses: dict[str, list[int]] = {"picky": [], "text": [], "churned": []}
        wrong: list[str] = []

        def traffic(model: str) -> None:
            n = 0
            with httpx.Client(base_url=srv.url, timeout=60) as http:
                while not stop.is_set():
                    n += 1
                    x = n + 0.5  # never 13, which picky refuses
                    body = picky_body(x, str(n)) if model == "picky" else text_body("ab", n, str(n))
                    try:
                        response = http.post(f"/v2/models/{model}/infer", json=body)
                    except httpx.TransportError as exc:
                        wrong.append(f"{model} {n}: {exc!r}")
                        continue
                    statuses[model].append(response.status_code)
                    if response.status_code == 200:
                        data = response.json()["outputs"][0]["data"]
                        if data != ([x] if model == "picky" else [2 + n]):
                            wrong.append(f"{model} {n}: {data}")
                    else:
                        wrong.append(f"{model} {n}: {response.status_code} {response.text[:300]}")

        def churned_traffic() -> None:
            with httpx.Client(base_url=srv.url, timeout=60) as http:
                while not stop.is_set():
                    response = http.post("/v2/models/scaler/infer", json={"inputs": [
                        {"name": "x", "shape": [1], "datatype": "FP64", "data": [2.0]}]})
                    statuses["churned"].append(response.status_code)
                    if response.status_code not in (200, 404, 503):
                        wrong.append(f"scaler: {response.status_code} {response.text[:300]}")
                    time.sleep(0.05)

        threads = [threading.Thread(target=traffic, args=(m,)) for m in ("picky", "text")]
        threads.append(threading.Thread(target=churned_traffic))
        for thread in threads:
            thread.start()
        try:
            for _ in range(3):
                for name in ("scaler", "echo"):
                    assert srv.load(name).status_code == 200, srv.log.read_text()[-3000:]
                for name in ("scaler", "echo"):
                    assert srv.client.post(f"/v2/repository/models/{name}/unload").status_code == 200
                assert srv.load("picky").status_code == 200  # a reload of a serving model, too
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert wrong == []
        assert statuses["picky"] and set(statuses["picky"]) == {200}, sorted(set(statuses["picky"]))
        assert statuses["text"] and set(statuses["text"]) == {200}, sorted(set(statuses["text"]))
        # the churned model answers, or says it is not there (never a 5xx other than 503)
        assert 200 in statuses["churned"] and set(statuses["churned"]) <= {200, 404, 503}, set(statuses["churned"])
        log = srv.log.read_text()
        assert log.count("Model 'scaler': its model process") >= 3 and "stopped" in log  # each unload ended it
    finally:
        srv.stop()

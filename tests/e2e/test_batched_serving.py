"""Adaptive batching owned by the runtime: concurrent requests are predicted together only
with requests that carry the same params, and each client gets exactly its own rows."""

from __future__ import annotations

import asyncio
import json

import httpx
import mlflow.pyfunc
import pyfuncs
import pytest
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema
from mlserver_process import Server, write_model_settings


@pytest.fixture(scope="module", params=[0, 1], ids=["main-process", "worker"])
def batching_server(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("batching")
    model = root / "probe-model"
    mlflow.pyfunc.save_model(
        str(model), python_model=pyfuncs.BatchProbe(), code_paths=[pyfuncs.__file__],
        signature=ModelSignature(Schema([ColSpec("double", "x")]),
                                 Schema([ColSpec("double", "scaled"), ColSpec("long", "batch_rows")]),
                                 ParamSchema([ParamSpec("scale", "double", 1.0)])),
    )
    repo = root / "repo"
    write_model_settings(repo, "probe", str(model))
    settings = json.loads((repo / "probe" / "model-settings.json").read_text())
    settings.update(max_batch_size=64, max_batch_time=0.2)
    (repo / "probe" / "model-settings.json").write_text(json.dumps(settings))
    server = Server(repo, root / "mlserver.log", parallel_workers=request.param)
    try:
        assert server.load("probe").status_code == 200, server.log.read_text()[-3000:]
        yield server
    finally:
        server.stop()


def _body(client: int, rows: int, scale: float | None) -> dict:
    body = {"id": f"c{client}", "inputs": [{"name": "x", "shape": [rows], "datatype": "FP64",
                                            "data": [client * 100 + i for i in range(rows)]}]}
    if scale is not None:
        body["parameters"] = {"scale": scale}
    return body


async def _concurrently(url: str, bodies: list[dict]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return await asyncio.gather(*(client.post("/v2/models/probe/infer", json=b) for b in bodies))


def test_each_client_gets_its_own_rows_with_its_own_params(batching_server):
    scales = [None, 2.0, 3.0, 0.5]
    bodies = [_body(i, 1 + i % 3, scales[i % 4]) for i in range(16)]
    responses = asyncio.run(_concurrently(batching_server.url, bodies))
    batched = 0
    for body, response in zip(bodies, responses):
        assert response.status_code == 200, response.text
        answer = response.json()
        outputs = {o["name"]: o for o in answer["outputs"]}
        x = body["inputs"][0]["data"]
        scale = body.get("parameters", {}).get("scale", 1.0)
        assert answer["id"] == body["id"]
        assert outputs["scaled"]["data"] == [v * scale for v in x]
        assert outputs["scaled"]["shape"][0] == len(x)
        batched += outputs["batch_rows"]["data"][0] > len(x)
    assert batched > 0, "no request was predicted together with another"


def test_a_bad_request_in_a_batch_fails_alone(batching_server):
    good = [_body(i, 2, 2.0) for i in range(6)]
    bad = {"id": "bad", "inputs": [{"name": "x", "shape": [2], "datatype": "FP64", "data": [1, "zz"]}],
           "parameters": {"scale": 2.0}}
    responses = asyncio.run(_concurrently(batching_server.url, [*good, bad]))
    assert [r.status_code for r in responses[:-1]] == [200] * 6
    assert responses[-1].status_code == 400 and "'zz'" in responses[-1].json()["error"]
    for body, response in zip(good, responses):
        assert response.json()["outputs"][0]["data"] == [v * 2.0 for v in body["inputs"][0]["data"]]

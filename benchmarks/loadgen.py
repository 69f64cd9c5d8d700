"""Closed-loop load: ``wrk`` for REST, a grpc.aio client for gRPC; both report the same figures.

    python benchmarks/loadgen.py grpc HOST:PORT MODEL BODY.json --connections 8 --seconds 8

The gRPC client runs in a process of its own (tritonclient's protobuf messages cannot share
a process with mlserver's) and sends ``raw_input_contents``, as tritonclient does. Like
wrk, it takes as little of the machine as it can: the request is serialised once and sent
as bytes, and answers are not parsed (a failed call still counts as an error; the
benchmark compares both servers' answers before any timing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent


def wrk(url: str, body: Path, connections: int, seconds: float) -> dict[str, float]:
    """rps and p50/p99/p99.9 (ms) of ``seconds`` of POSTs of ``body`` over ``connections``."""
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(HERE / "post.lua"), url],
        env={**os.environ, "BODY_FILE": str(body)}, capture_output=True, text=True, check=True,
    )
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("{"))
    return _figures(json.loads(line))


def _figures(raw: dict[str, Any]) -> dict[str, float]:
    seconds = raw["duration_us"] / 1e6
    return {"rps": raw["requests"] / seconds, "p50": raw["p50"] / 1000, "p99": raw["p99"] / 1000,
            "p999": raw["p999"] / 1000, "errors": raw["errors"] + raw["non2xx"]}


async def _grpc(target: str, model: str, body: dict, connections: int, seconds: float) -> dict[str, Any]:
    import grpc
    from tritonclient.grpc import service_pb2, service_pb2_grpc

    request = service_pb2.ModelInferRequest(model_name=model)
    request.parameters["content_type"].string_param = body.get("parameters", {}).get("content_type", "pd")
    for tensor in body["inputs"]:
        item = request.inputs.add(name=tensor["name"], datatype=tensor["datatype"], shape=tensor["shape"])
        del item  # the data goes in raw_input_contents, in order
        request.raw_input_contents.append(np.asarray(tensor["data"], dtype=np.float64).tobytes())
    latencies: list[float] = []
    errors = 0
    async with grpc.aio.insecure_channel(target) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        assert (await stub.ModelInfer(request)).outputs, "the model answered no outputs"
        infer = channel.unary_unary("/inference.GRPCInferenceService/ModelInfer")  # bytes in, bytes out
        payload = request.SerializeToString()
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    await infer(payload)
                except grpc.aio.AioRpcError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    ms = np.asarray(latencies) * 1000
    return {"rps": len(latencies) / elapsed, "p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)),
            "p999": float(np.percentile(ms, 99.9)), "errors": errors}


def grpc_load(python: Path, target: str, model: str, body: Path, connections: int, seconds: float) -> dict[str, float]:
    """The gRPC figures, measured by ``python`` running this file (a process without mlserver)."""
    done = subprocess.run(
        [str(python), __file__, "grpc", target, model, str(body), "--connections", str(connections),
         "--seconds", str(seconds)], capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["grpc"])
    parser.add_argument("target")
    parser.add_argument("model")
    parser.add_argument("body", type=Path)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    result = asyncio.run(_grpc(args.target, args.model, json.loads(args.body.read_text()), args.connections, args.seconds))
    print(json.dumps(result))

"""In-process cost of one V2 request, no HTTP: JSON body -> request -> runtime.predict -> JSON.

    PYTHON benchmarks/inprocess.py IMPLEMENTATION MODEL_DIR [--rounds N]

Run by each side's own interpreter (this runtime's, and mlserver-mlflow's in its own
virtualenv), each doing the steps its server's V2 route does around the runtime: parse and
validate the body, ``await model.predict``, dump the response to JSON. This runtime's route
parses with :func:`runtime_mlflow.protocols.v2_body.parse_request`. For mlserver-mlflow the
body is parsed with orjson and pydantic, which is less than MLServer's route does (it
parses with the standard library's ``json``, and FastAPI validates the response again):
its figure is a lower bound.
With ``--floor`` it also times the model alone (native predict on an array, ``pyfunc.predict``).
Prints one JSON object of medians in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import statistics
import time
import warnings
from functools import partial
from pathlib import Path
from typing import Any, Callable

import orjson
import pandas as pd
from mlserver.codecs.json import encode_to_json_bytes
from mlserver.settings import ModelParameters, ModelSettings
from mlserver.types import InferenceRequest

WINE = Path(__file__).resolve().parents[1] / "examples" / "wine" / "winequality-red.csv"
SIZES = {"batch 1": 1, "batch 10,000": 10_000}


def rows(count: int) -> pd.DataFrame:
    features = pd.read_csv(WINE).drop(columns=["quality"])
    return pd.concat([features] * (count // len(features) + 1)).head(count).reset_index(drop=True)


def v2_body(frame: pd.DataFrame) -> dict:
    return {"parameters": {"content_type": "pd"},
            "inputs": [{"name": c, "shape": [len(frame)], "datatype": "FP64", "data": frame[c].tolist()}
                       for c in frame.columns]}


async def _median_ms(call: Callable[[], Any], rounds: int) -> float:
    """Median of ``rounds`` calls (awaited when ``call`` returns an awaitable), after a warm-up."""
    samples = []
    for i in range(max(5, rounds // 10) + rounds):
        started = time.perf_counter()
        result = call()
        if inspect.isawaitable(result):
            await result
        if i >= max(5, rounds // 10):
            samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def request_parser(implementation: str) -> Callable[[bytes], InferenceRequest]:
    if implementation.startswith("runtime_mlflow."):
        from runtime_mlflow.protocols.v2_body import parse_request

        return parse_request
    return lambda body: InferenceRequest.model_validate(orjson.loads(body))


async def measure(implementation: str, model: str, rounds: int, floor: bool) -> dict[str, float]:
    module, _, name = implementation.rpartition(".")
    runtime_class = getattr(importlib.import_module(module), name)
    runtime = runtime_class(ModelSettings(name="wine", implementation=runtime_class,
                                          parameters=ModelParameters(uri=model)))
    await runtime.load()
    parse = request_parser(implementation)
    results = {}
    for label, count in SIZES.items():
        frame = rows(count)
        body = orjson.dumps(v2_body(frame))

        async def once(body: bytes = body) -> bytes:
            response = await runtime.predict(parse(body))
            return encode_to_json_bytes(response.model_dump())

        n = rounds if count == 1 else max(20, rounds // 20)
        results[label] = await _median_ms(once, n)
        if floor:
            import mlflow.pyfunc

            pyfunc = mlflow.pyfunc.load_model(model)
            native = pyfunc._model_impl.sklearn_model
            array = frame.to_numpy()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # sklearn: an array has no feature names
                results[f"native predict, {label}"] = await _median_ms(partial(native.predict, array), n)
            results[f"pyfunc.predict, {label}"] = await _median_ms(partial(pyfunc.predict, frame), n)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("implementation")
    parser.add_argument("model")
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--floor", action="store_true")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(measure(args.implementation, args.model, args.rounds, args.floor))))

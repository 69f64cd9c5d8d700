"""Soak: minutes of mixed traffic against one server, reporting memory growth and errors.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--clients 16] [--ours-from-dev]

Serves two models from a real ``mlserver start`` with MLServer's defaults: the wine
ElasticNet (examples/wine/model, MLServer's default pool) and a string pyfunc (a pool of
its own). ``--clients`` asyncio clients send, in a closed loop, a weighted mix of V2 REST
requests of 1 and 100 rows, the string model, ``/invocations``, Seldon's protocol, and
bad requests that must be 4xx; a gRPC client (raw contents, in its own process) runs
beside them. Every successful wine answer is compared with the one expected.

The server's process tree is sampled every 10 s (VmRSS and RssAnon, as in ``serving.py``).
The first minute (or tenth of the run, whichever is longer) is warm-up; growth is the last
minute's median against the first minute's after warm-up. Targets: growth under 5%, no 5xx,
no transport error, no wrong answer. This is a benchmark, not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests" / "e2e"), str(ROOT / "tests")]

import loadgen  # noqa: E402
import reference  # noqa: E402
from inprocess import rows, v2_body  # noqa: E402
from mlserver_process import Server, write_model_settings  # noqa: E402
from serving import MODEL, tree_rss_mb  # noqa: E402

SAMPLE_EVERY = 10.0


def text_model(folder: Path) -> Path:
    import mlflow.pyfunc
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    path = folder / "text"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's advice on type hints and input examples, per class
        import pyfuncs

        mlflow.pyfunc.save_model(str(path), python_model=pyfuncs.Text(), code_paths=[pyfuncs.__file__],
                                 signature=ModelSignature(Schema([ColSpec("string", "text"), ColSpec("long", "n")]),
                                                          Schema([ColSpec("long", "length"),
                                                                  ColSpec("string", "upper")])))
    return path


def mix(one: dict, hundred: dict) -> list[tuple[int, str, str, bytes, str]]:
    """(weight, kind, path, body, content type) of each request in the mix."""
    frame = rows(1)
    split = {"dataframe_split": {"columns": list(frame.columns), "data": frame.to_numpy().tolist()}}
    seldon = {"data": {"names": list(frame.columns), "ndarray": frame.to_numpy().tolist()}}
    text = {"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["soak", "Zürich"]},
                       {"name": "n", "shape": [2], "datatype": "INT64", "data": [1, 2]}]}
    js = "application/json"
    return [
        (40, "wine", "/v2/models/wine/infer", json.dumps(one).encode(), js),
        (8, "wine-100", "/v2/models/wine/infer", json.dumps(hundred).encode(), js),
        (15, "text", "/v2/models/text/infer", json.dumps(text).encode(), js),
        (10, "invocations", "/v2/models/wine/invocations", json.dumps(split).encode(), js),
        (10, "seldon", "/v2/models/wine/api/v1.0/predictions", json.dumps(seldon).encode(), js),
        (4, "bad-json", "/v2/models/wine/infer", b"{not json", js),
        (4, "bad-column", "/v2/models/wine/infer",
         json.dumps({"inputs": [{**one["inputs"][0], "name": "nope"}]}).encode(), js),
        (3, "bad-range", "/v2/models/text/infer", json.dumps(
            {"inputs": [text["inputs"][0], {**text["inputs"][1], "datatype": "INT8", "data": [1, 300]}]}).encode(), js),
        (3, "bad-invocations", "/v2/models/wine/invocations", b'{"foo": 1}', js),
        (3, "unknown-model", "/v2/models/nope/infer", json.dumps(one).encode(), js),
    ]


async def clients(url: str, count: int, deadline: float, one: dict, hundred: dict, expected: float,
                  counts: Counter, wrong: list[str]) -> None:
    requests = mix(one, hundred)
    weights = [w for w, *_ in requests]

    async def client(seed: int, http: httpx.AsyncClient) -> None:
        chooser = random.Random(seed)
        while time.monotonic() < deadline:
            _, kind, path, body, content_type = chooser.choices(requests, weights)[0]
            try:
                response = await http.post(path, content=body, headers={"content-type": content_type})
            except httpx.TransportError as exc:
                counts["transport error"] += 1
                wrong.append(f"{kind}: {exc!r}")
                continue
            status = response.status_code
            bad = kind.startswith("bad") or kind == "unknown-model"
            if status >= 500:
                counts["5xx"] += 1
                wrong.append(f"{kind}: {status} {response.text[:200]}")
            elif bad:
                counts["4xx (expected)" if 400 <= status < 500 else "bad request answered 2xx"] += 1
            elif status != 200:
                counts["4xx (unexpected)"] += 1
                wrong.append(f"{kind}: {status} {response.text[:200]}")
            else:
                counts["2xx"] += 1
                if kind == "wine" and abs(response.json()["outputs"][0]["data"][0] - expected) > 1e-9:
                    counts["wrong answer"] += 1
                    wrong.append(f"wine answered {response.json()['outputs'][0]['data']}, not {expected}")

    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(i, http) for i in range(count)))


def grpc_beside(python: Path, target: str, body: Path, deadline: float, counts: Counter) -> None:
    while (left := deadline - time.monotonic()) > 5:
        result = loadgen.grpc_load(python, target, "wine", body, 2, min(60.0, left - 1))
        counts["grpc calls"] += round(result["rps"] * min(60.0, left - 1))
        counts["grpc errors"] += int(result["errors"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--ours-from-dev", action="store_true",
                        help="serve from the development virtualenv rather than a pip install of the checkout")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent if args.ours_from_dev else reference.ours()
    seconds = args.minutes * 60
    warmup = max(60.0, seconds / 10)

    with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
        work = Path(scratch)
        repo = work / "repo"
        write_model_settings(repo, "wine", str(MODEL))
        write_model_settings(repo, "text", str(text_model(work)))
        server = Server(repo, work / "mlserver.log", bin_dir=bin_dir)
        try:
            for name in ("wine", "text"):
                assert server.load(name).status_code == 200, server.log.read_text()[-3000:]
            one, hundred = v2_body(rows(1)), v2_body(rows(100))
            expected = server.infer("wine", one).json()["outputs"][0]["data"][0]
            grpc_body = work / "grpc.json"
            grpc_body.write_text(json.dumps(one))
            counts: Counter = Counter()
            wrong: list[str] = []
            samples: list[tuple[float, float, float]] = []
            started = time.monotonic()
            deadline = started + seconds
            grpc = threading.Thread(target=grpc_beside, args=(ROOT / ".venv" / "bin" / "python", server.grpc,
                                                               grpc_body, deadline, counts))
            grpc.start()

            def sample() -> None:
                while time.monotonic() < deadline:
                    samples.append((time.monotonic() - started, tree_rss_mb(server.process.pid),
                                    tree_rss_mb(server.process.pid, "RssAnon:")))
                    time.sleep(SAMPLE_EVERY)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            asyncio.run(clients(server.url, args.clients, deadline, one, hundred, expected, counts, wrong))
            grpc.join()
        finally:
            server.stop()

    def window(start: float, end: float, column: int) -> float:
        return statistics.median(s[column] for s in samples if start <= s[0] < end)

    after = [s for s in samples if s[0] >= warmup]
    first, last = (warmup, warmup + 60), (after[-1][0] - 60, after[-1][0] + 1)
    growth = {label: window(*last, column) / window(*first, column) - 1
              for label, column in (("VmRSS", 1), ("RssAnon", 2))}
    http_total = sum(v for k, v in counts.items() if not k.startswith("grpc"))
    print(f"## Soak: {args.minutes:g} min, {args.clients} REST clients + 2 gRPC connections\n")
    print("| figure | value | target |\n|---|---:|---:|")
    print(f"| REST requests | {http_total} ({http_total / seconds:.0f}/s) | |")
    for key in ("2xx", "4xx (expected)", "4xx (unexpected)", "bad request answered 2xx", "5xx", "transport error",
                "wrong answer", "grpc calls", "grpc errors"):
        target = "0" if key in ("4xx (unexpected)", "bad request answered 2xx", "5xx", "transport error",
                                "wrong answer", "grpc errors") else ""
        print(f"| {key} | {counts.get(key, 0)} | {target} |")
    for label, column in (("VmRSS", 1), ("RssAnon", 2)):
        print(f"| {label} MB: after warm-up / at the end | {window(*first, column):.0f} / {window(*last, column):.0f} "
              f"| |")
        print(f"| {label} growth after warm-up | {growth[label]:+.1%} | < 5% |")
    for line in wrong[:10]:
        print(f"- {line}")
    failed = [key for key in ("4xx (unexpected)", "bad request answered 2xx", "5xx", "transport error",
                              "wrong answer", "grpc errors") if counts.get(key)]
    if growth["RssAnon"] >= 0.05:
        failed.append("RssAnon growth")
    print(f"\n{'PASS' if not failed else 'FAIL: ' + ', '.join(failed)}")


if __name__ == "__main__":
    main()

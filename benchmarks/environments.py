"""Cost of serving a model from its own environment, side by side with the alternatives.

    .venv/bin/python benchmarks/environments.py [--rounds 200]

One run builds a packed environment with the server's own versions of MLflow, numpy,
pandas and scikit-learn (plus runtime_mlflow, so MLServer's own ``environment_tarball``
path can use the same archive), saves the wine ElasticNet, and serves it four ways
through a real ``mlserver start``, over REST with httpx:

- ``in-process``      environment none, parallel_workers 0: no hop at all (the baseline)
- ``mlserver-worker`` environment none, parallel_workers 1: MLServer's worker-process hop
- ``own-process``     environment.tar.gz beside the model: this runtime's model process
- ``mlserver-env``    MLServer's environment_tarball with runtime_mlflow inside (reference)

It prints median latencies for batch 1 and 10,000 rows and their ratio to the baseline,
and the load time of an environment model on a cold and on a warm cache.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

import envkit  # noqa: E402
from mlserver_process import Server, write_model_settings  # noqa: E402

WINE = ROOT / "examples" / "wine"


def request(rows: pd.DataFrame) -> dict:
    return {"parameters": {"content_type": "pd"},
            "inputs": [{"name": c, "shape": [len(rows)], "datatype": "FP64", "data": rows[c].tolist()}
                       for c in rows.columns]}


def timed_load(server: Server, name: str) -> float:
    started = time.perf_counter()
    response = server.load(name)
    assert response.status_code == 200, response.text
    return time.perf_counter() - started


def latencies(server: Server, name: str, body: dict, rounds: int) -> float:
    for _ in range(5):
        assert server.infer(name, body).status_code == 200
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = server.infer(name, body)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    sys.path.insert(0, str(WINE))
    import train  # the example's own trainer

    with tempfile.TemporaryDirectory(prefix="bench-env-") as scratch:
        tmp = Path(scratch)
        model = train.train(tmp / "model")
        pins = [f"{p}=={version(p)}" for p in ("mlflow", "numpy", "pandas", "scikit-learn")]
        print("building the environment:", ", ".join(pins), flush=True)
        prefix = envkit.make_venv(sys.executable, tmp / "env", [str(ROOT), *pins], installer="uv")
        tarball = envkit.conda_pack(prefix, tmp / "environment.tar.gz")
        shutil.rmtree(prefix)
        own = tmp / "own"
        shutil.copytree(model, own)
        (own / "environment.tar.gz").hardlink_to(tarball)

        features = pd.read_csv(WINE / "winequality-red.csv").drop(columns=["quality"])
        batch1 = request(features.head(1))
        big = request(pd.concat([features] * 7, ignore_index=True).head(10_000))
        setups = {
            "in-process": (dict(parallel_workers=0), dict(environment="none"), model),
            "mlserver-worker": (dict(parallel_workers=1), dict(environment="none"), model),
            "own-process": (dict(parallel_workers=1), dict(cache_dir=str(tmp / "cache")), own),
            "mlserver-env": (dict(parallel_workers=1, environments_dir=str(tmp / "envs")),
                             dict(environment_tarball=str(tarball)), model),
        }
        results, loads = {}, {}
        for label, (server_settings, params, folder) in setups.items():
            repo = tmp / f"repo-{label}"
            write_model_settings(repo, "wine", str(folder), **params)
            server = Server(repo, tmp / f"{label}.log", **server_settings)
            try:
                loads[label] = timed_load(server, "wine")
                results[label] = (latencies(server, "wine", batch1, args.rounds),
                                  latencies(server, "wine", big, max(args.rounds // 10, 10)))
            finally:
                server.stop()
            if label in ("own-process", "mlserver-env"):  # the same again, as after a restart
                server = Server(repo, tmp / f"{label}-again.log", **server_settings)
                try:
                    loads[label + " (restart)"] = timed_load(server, "wine")
                finally:
                    server.stop()

    base1, base10k = results["in-process"]
    print(f"\n{'setup':<18}{'batch 1 ms':>12}{'ratio':>8}{'10k rows ms':>14}{'ratio':>8}")
    for label, (one, many) in results.items():
        print(f"{label:<18}{one:>12.2f}{one / base1:>8.2f}{many:>14.1f}{many / base10k:>8.2f}")
    print(f"\n{'load':<28}{'seconds':>8}")
    for label, seconds in loads.items():
        print(f"{label:<28}{seconds:>8.1f}")


if __name__ == "__main__":
    main()

"""MLflow's scoring protocol on this runtime, side by side with ``mlflow models serve``.

    .venv/bin/python benchmarks/protocols.py [--rounds 200] [--reference-env VENV]

One run saves nothing new: it serves examples/wine/model (``make serve`` builds it) with
MLflow's own scoring server and with a real ``mlserver start`` of this runtime (in
MLServer's main process and in one worker), and sends each the same ``POST /invocations``
(``dataframe_split``) over httpx, sequentially, at batch 1 and 10,000 rows. For context it
also times this runtime's V2 ``/infer`` and Seldon's ``/api/v1.0/predictions`` on the same
rows. With ``--reference-env`` (a virtualenv with mlserver 1.7.1 and mlserver-mlflow 1.7.1)
it also times the reference runtime's ``/invocations``. It prints median latencies and
their ratio to ``mlflow models serve``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

from mlserver_process import Server, write_model_settings  # noqa: E402
from services import mlflow_serve  # noqa: E402

WINE = ROOT / "examples" / "wine"


def median_ms(client: httpx.Client, path: str, body: dict, rounds: int) -> float:
    for _ in range(5):
        response = client.post(path, json=body)
        assert response.status_code == 200, response.text
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.post(path, json=body)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(samples) * 1000


def bodies(rows: pd.DataFrame) -> dict[str, dict]:
    return {
        "invocations": {"dataframe_split": {"columns": list(rows.columns), "data": rows.to_numpy().tolist()}},
        "v2": {"parameters": {"content_type": "pd"},
               "inputs": [{"name": c, "shape": [len(rows)], "datatype": "FP64", "data": rows[c].tolist()}
                          for c in rows.columns]},
        "seldon": {"data": {"names": list(rows.columns), "ndarray": rows.to_numpy().tolist()}},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--reference-env", type=Path, help="a virtualenv with mlserver-mlflow 1.7.1")
    args = parser.parse_args()
    model = WINE / "model"
    if not (model / "MLmodel").exists():
        sys.exit("examples/wine/model is missing: run `make serve` (or examples/wine/train.py) first")
    features = pd.read_csv(WINE / "winequality-red.csv").drop(columns=["quality"])
    sizes = {"batch 1": features.head(1), "10,000 rows": pd.concat([features] * 7).head(10_000)}
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        reference = mlflow_serve(model, tmp_path)
        try:
            with httpx.Client(base_url=reference.url, timeout=120) as client:
                results["mlflow models serve /invocations"] = {
                    size: median_ms(client, "/invocations", bodies(rows)["invocations"], args.rounds)
                    for size, rows in sizes.items()}
        finally:
            reference.stop()
        for workers in (0, 1):
            repo = tmp_path / f"repo{workers}"
            write_model_settings(repo, "wine", str(model))
            server = Server(repo, tmp_path / f"mlserver{workers}.log", parallel_workers=workers)
            try:
                assert server.load("wine").status_code == 200
                where = "main process" if workers == 0 else "1 worker"
                for label, path, kind in (("/invocations", "/v2/models/wine/invocations", "invocations"),
                                          ("V2 /infer", "/v2/models/wine/infer", "v2"),
                                          ("Seldon /predictions", "/v2/models/wine/api/v1.0/predictions", "seldon")):
                    results[f"runtime_mlflow {label} ({where})"] = {
                        size: median_ms(server.client, path, bodies(rows)[kind], args.rounds)
                        for size, rows in sizes.items()}
            finally:
                server.stop()
        if args.reference_env is not None:
            repo = tmp_path / "reference"
            (repo / "wine").mkdir(parents=True)
            (repo / "wine" / "model-settings.json").write_text(json.dumps(
                {"name": "wine", "implementation": "mlserver_mlflow.MLflowRuntime", "parameters": {"uri": str(model)}}))
            server = Server(repo, tmp_path / "reference.log", bin_dir=args.reference_env / "bin", parallel_workers=0)
            try:
                assert server.load("wine").status_code == 200, server.log.read_text()[-2000:]
                results["mlserver-mlflow 1.7.1 /invocations (main process)"] = {
                    size: median_ms(server.client, "/invocations", bodies(rows)["invocations"], args.rounds)
                    for size, rows in sizes.items()}
            finally:
                server.stop()
    base = results["mlflow models serve /invocations"]
    print(f"| setup | {' | '.join(f'{s} (ms) | ratio' for s in sizes)} |")
    print("|---|" + "---:|---:|" * len(sizes))
    for setup, row in results.items():
        cells = " | ".join(f"{row[s]:.2f} | {row[s] / base[s]:.2f}" for s in sizes)
        print(f"| {setup} | {cells} |")


if __name__ == "__main__":
    main()

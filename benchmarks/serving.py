"""This runtime side by side with mlserver-mlflow 1.7.1 and ``mlflow models serve``.

    make bench            # or: .venv/bin/python benchmarks/serving.py [--rounds 3] [--seconds 8]

Serves examples/wine/model (the seed's ElasticNet) from real ``mlserver start`` processes:
this runtime and mlserver-mlflow 1.7.1, each installed by :mod:`reference` in a virtualenv
of its own (this checkout with ``pip install .``), each with MLServer's default settings and again with ``parallel_workers: 0``,
plus ``mlflow models serve`` for ``/invocations``. All servers run at once; every round
loads each of them in turn with the same payloads (interleaved, so drift on this noisy
machine hits both sides alike). Prints a markdown table of medians over rounds and the
ratio ours/theirs; ``/invocations`` is also timed against ``mlflow models serve``.
``--null`` serves this runtime on both sides instead, to show the spread
that a real difference must exceed. Speed is never asserted in tests; CI does not run this.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests" / "e2e")]

import loadgen  # noqa: E402
import reference  # noqa: E402
from inprocess import rows, v2_body  # noqa: E402
from mlserver_process import free_ports, memory, stop_process  # noqa: E402
from services import mlflow_serve  # noqa: E402

MODEL = ROOT / "examples" / "wine" / "model"
OURS = "runtime_mlflow.MLflowRuntime"
THEIRS = "mlserver_mlflow.MLflowRuntime"


class Served:
    """One ``mlserver start`` of one implementation, the model loaded at start-up."""

    def __init__(self, label: str, bin_dir: Path, implementation: str, workdir: Path,
                 model_settings: dict[str, Any] | None = None, **settings: Any) -> None:
        self.label, self.bin_dir = label, bin_dir
        repo = workdir / label.replace(" ", "-").replace(":", "")
        (repo / "wine").mkdir(parents=True)
        http, grpc, metrics = free_ports(3)
        self.url, self.grpc = f"http://127.0.0.1:{http}", f"127.0.0.1:{grpc}"
        (repo / "settings.json").write_text(json.dumps(
            {"debug": False, "host": "127.0.0.1", "http_port": http, "grpc_port": grpc, "metrics_port": metrics,
             **settings}))
        (repo / "wine" / "model-settings.json").write_text(json.dumps(
            {"name": "wine", "implementation": implementation, "parameters": {"uri": str(MODEL)},
             **(model_settings or {})}))
        self.log = (workdir / f"{repo.name}.log").open("w")
        started = time.perf_counter()
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        self.process = subprocess.Popen([str(bin_dir / "mlserver"), "start", str(repo)], stdout=self.log,
                                        stderr=subprocess.STDOUT, env=env, cwd=repo)
        self.start_seconds = self._wait_ready(started)
        time.sleep(2)  # let start-up work settle before reading memory
        self.idle = memory(self.process.pid)  # PSS and RSS of the process tree

    def _wait_ready(self, started: float) -> float:
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while time.perf_counter() - started < 180:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.label} exited; see {self.log.name}")
                try:
                    if client.get("/v2/models/wine/ready").status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        raise RuntimeError(f"{self.label} was not ready after 180 s; see {self.log.name}")

    def stop(self) -> None:
        stop_process(self.process, 30)
        self.log.close()


def write_bodies(workdir: Path) -> dict[str, Path]:
    bodies = {}
    for size in (1, 100, 10_000):
        bodies[f"v2-{size}"] = workdir / f"v2-{size}.json"
        bodies[f"v2-{size}"].write_text(json.dumps(v2_body(rows(size))))
    one = rows(1)
    bodies["invocations-1"] = workdir / "invocations-1.json"
    bodies["invocations-1"].write_text(json.dumps(
        {"dataframe_split": {"columns": list(one.columns), "data": one.to_numpy().tolist()}}))
    return bodies


def same_answers(servers: list[Served], body: Path) -> None:
    """Every server must answer the same predictions before any is timed."""
    answers = []
    for server in servers:
        response = httpx.post(f"{server.url}/v2/models/wine/infer", content=body.read_bytes(),
                              headers={"content-type": "application/json"}, timeout=60)
        response.raise_for_status()
        answers.append([v for out in response.json()["outputs"] for v in out["data"]])
    if any(a != answers[0] for a in answers):
        raise SystemExit("the servers answer different predictions; refusing to compare their speed")



FIGURES: list[tuple[str, list[str], Callable[[Served, dict[str, Path], float], dict[str, float]]]] = [
    ("REST V2 batch 1, 8 connections", ["rps", "p50", "p99", "p999"],
     lambda s, b, t: loadgen.wrk(f"{s.url}/v2/models/wine/infer", b["v2-1"], 8, t)),
    ("REST V2 batch 1, 32 connections", ["rps", "p50", "p99", "p999"],
     lambda s, b, t: loadgen.wrk(f"{s.url}/v2/models/wine/infer", b["v2-1"], 32, t)),
    ("REST V2 batch 100, 8 connections", ["rps", "p50", "p99", "p999"],
     lambda s, b, t: loadgen.wrk(f"{s.url}/v2/models/wine/infer", b["v2-100"], 8, t)),
    ("REST V2 batch 10,000, 1 connection", ["rps", "p99"],
     lambda s, b, t: loadgen.wrk(f"{s.url}/v2/models/wine/infer", b["v2-10000"], 1, t)),
    ("gRPC batch 1, 8 connections", ["rps", "p99"],
     lambda s, b, t: loadgen.grpc_load(Path(sys.executable), s.grpc, "wine", b["v2-1"], 8, t)),
    ("REST /invocations batch 1, 8 connections", ["rps", "p99"],
     lambda s, b, t: loadgen.wrk(f"{s.url}/invocations", b["invocations-1"], 8, t)),
]
BATCHING = {"max_batch_size": 32, "max_batch_time": 0.005}
SETTINGS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("MLServer defaults", {}, {}),
    ("parallel_workers 0", {}, {"parallel_workers": 0}),
    ("defaults + batching 32 / 5 ms", BATCHING, {}),
]
"""(label, model-settings.json additions, settings.json additions): both sides get the same."""


def figures(settings_label: str) -> list:
    """With batching on, only the load it is for: batch 1 over 32 connections."""
    if "batching" in settings_label:
        return [f for f in FIGURES if f[0] == "REST V2 batch 1, 32 connections"]
    return FIGURES


def run(args: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    theirs_bin = args.ours_bin if args.null else reference.ensure(args.reference_env)
    theirs_impl = OURS if args.null else THEIRS
    rows_out: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bodies = write_bodies(workdir)
        for settings_label, model_settings, settings in SETTINGS:
            pair = [Served(f"theirs {settings_label}", theirs_bin, theirs_impl, workdir, model_settings, **settings),
                    Served(f"ours {settings_label}", args.ours_bin, OURS, workdir, model_settings, **settings)]
            try:
                same_answers(pair, bodies["v2-100"])
                rows_out += [("start to ready", settings_label + " · s", pair[0].start_seconds, pair[1].start_seconds),
                             ("idle PSS", settings_label + " · MiB", pair[0].idle["pss"], pair[1].idle["pss"]),
                             ("idle RSS", settings_label + " · MiB", pair[0].idle["rss"], pair[1].idle["rss"])]
                samples: dict[tuple[str, str, int], list[float]] = {}
                for round_ in range(args.rounds):
                    for name, keys, measure in figures(settings_label):
                        for side, server in enumerate(pair if round_ % 2 == 0 else pair[::-1]):
                            index = side if round_ % 2 == 0 else 1 - side
                            result = measure(server, bodies, args.seconds)
                            if result.get("errors"):
                                print(f"warning: {server.label}, {name}: {result['errors']} errors", file=sys.stderr)
                            for key in keys:
                                samples.setdefault((name, key, index), []).append(result[key])
                    print(f"{settings_label}: round {round_ + 1} of {args.rounds} done", file=sys.stderr)
                for name, keys, _ in figures(settings_label):
                    for key in keys:
                        rows_out.append((name, f"{settings_label} · {key}",
                                         statistics.median(samples[(name, key, 0)]),
                                         statistics.median(samples[(name, key, 1)])))
            finally:
                for server in pair:
                    server.stop()
    return rows_out


def against_mlflow(args: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    """``/invocations`` of ``mlflow models serve`` beside this runtime's (MLServer's defaults)."""
    name = "REST /invocations batch 1, 8 connections · theirs: mlflow models serve"
    samples: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bodies = write_bodies(workdir)
        mlflow_server = mlflow_serve(MODEL, workdir)
        ours = Served("ours vs mlflow", args.ours_bin, OURS, workdir)
        try:
            urls = [f"{mlflow_server.url}/invocations", f"{ours.url}/invocations"]
            for round_ in range(args.rounds):
                for index in ((0, 1) if round_ % 2 == 0 else (1, 0)):
                    result = loadgen.wrk(urls[index], bodies["invocations-1"], 8, args.seconds)
                    for key in ("rps", "p99"):
                        samples.setdefault((key, index), []).append(result[key])
        finally:
            ours.stop()
            mlflow_server.stop()
    return [(name, f"MLServer defaults · {key}", statistics.median(samples[(key, 0)]),
             statistics.median(samples[(key, 1)])) for key in ("rps", "p99")]


def in_process(args: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    theirs_bin = args.ours_bin if args.null else reference.ensure(args.reference_env)
    script = str(HERE / "inprocess.py")

    def measure(python: Path, implementation: str, floor: bool) -> dict[str, float]:
        command = [str(python), script, implementation, str(MODEL), "--rounds", str(args.inprocess_rounds)]
        done = subprocess.run(command + (["--floor"] if floor else []), capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    samples: dict[tuple[str, int], list[float]] = {}
    for _ in range(args.rounds):
        for index, (python, implementation) in enumerate(((theirs_bin / "python", OURS if args.null else THEIRS),
                                                          (args.ours_bin / "python", OURS))):
            for key, value in measure(python, implementation, floor=index == 1).items():
                samples.setdefault((key, index), []).append(value)
    out = []
    for (key, index), values in samples.items():
        if index == 0:
            out.append((f"in-process {key}", "ms", statistics.median(values),
                        statistics.median(samples[(key, 1)])))
        elif (key, 0) not in samples:
            out.append((f"floor: {key}", "ms", float("nan"), statistics.median(values)))
    return out


def table(results: list[tuple[str, str, float, float]], null: bool) -> str:
    theirs = "runtime_mlflow (null run)" if null else "mlserver-mlflow 1.7.1"
    lines = [f"| figure | settings · measure | {theirs} | runtime_mlflow | ratio (ours/theirs) |",
             "|---|---|---:|---:|---:|"]
    for name, measure, a, b in results:
        ratio = "" if a != a or a == 0 else f"{b / a:.2f}"
        lines.append(f"| {name} | {measure} | {_fmt(a)} | {_fmt(b)} | {ratio} |")
    return "\n".join(lines)


def _fmt(value: float) -> str:
    if value != value:
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8, help="length of one load run")
    parser.add_argument("--inprocess-rounds", type=int, default=500)
    parser.add_argument("--null", action="store_true", help="this runtime on both sides (the noise floor)")
    parser.add_argument("--reference-env", type=Path, default=reference.DEFAULT)
    parser.add_argument("--only", choices=["in-process", "serving", "mlflow"], help="run one part")
    parser.add_argument("--ours-from-dev", action="store_true",
                        help="serve this runtime from the development virtualenv (quicker; test extras loaded)")
    args = parser.parse_args()
    args.ours_bin = Path(sys.executable).parent if args.ours_from_dev else reference.ours()
    if not (MODEL / "MLmodel").exists():
        sys.exit("examples/wine/model is missing: run `make model` first")
    results = []
    if args.only in (None, "in-process"):
        results += in_process(args)
    if args.only in (None, "serving"):
        results += run(args)
    if args.only in (None, "mlflow") and not args.null:
        results += against_mlflow(args)
    print(table(results, args.null))


if __name__ == "__main__":
    main()

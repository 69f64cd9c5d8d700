"""Many models on one server: this runtime side by side with mlserver-mlflow 1.7.1.

    make bench-fleet      # or: .venv/bin/python benchmarks/fleet.py [--sizes 1 10 100] [--rounds 2]

For each size N, both implementations serve N copies of examples/wine/model (the seed's
ElasticNet, one folder, N names) from real ``mlserver start`` processes with MLServer's
default settings (``--settings`` adds to them), installed as :mod:`reference` installs them.
Every figure is taken for one side, then the other; rounds alternate which side goes first.
Reported per size (medians over rounds):

* PSS and RSS of the server's process tree once all N are ready and idle, and its process
  count. PSS (proportional set size, ``/proc/<pid>/smaps_rollup``) counts a page shared by
  k processes as 1/k in each, so the tree's PSS counts every page once: the memory the
  server really takes. RSS counts shared pages in every process that maps them;
* start to ready: from ``mlserver start`` to every model answering ready;
* unload and load one model through the REST and the gRPC repository API;
* rps and p99 of V2 REST batch 1 on one model (8 connections) while the others idle;
* PSS after unloading all but one model.

``--group NAME`` puts all of this runtime's models in one process group (shared processes,
as mlserver-mlflow shares its worker). ``--crash`` adds, at the largest size up to 10, a model that kills its own process
(SIGKILL) while the other models are under load, and counts the failed requests to the
others and how long the crashed model took to answer again.
Speed and memory are never asserted in tests; CI does not run this.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests" / "e2e"), str(ROOT / "tests")]

import loadgen  # noqa: E402
import reference  # noqa: E402
from inprocess import rows, v2_body  # noqa: E402
from mlserver_process import free_ports, memory, stop_process  # noqa: E402

MODEL = ROOT / "examples" / "wine" / "model"
OURS = "runtime_mlflow.MLflowRuntime"
THEIRS = "mlserver_mlflow.MLflowRuntime"
GROUP_VARIABLE = "RUNTIME_MLFLOW_PROCESS_GROUP"


def names(count: int) -> list[str]:
    return [f"wine-{i:03d}" for i in range(count)]


class Fleet:
    """One ``mlserver start`` of one implementation serving ``count`` copies of the wine model."""

    def __init__(self, label: str, bin_dir: Path, implementation: str, count: int, workdir: Path,
                 settings: dict[str, Any], extra_models: dict[str, dict[str, Any]] | None = None) -> None:
        self.label, self.names = label, names(count)
        repo = workdir / f"{label}-{count}-{time.monotonic_ns()}"
        models = {name: {"name": name, "implementation": implementation, "parameters": {"uri": str(MODEL)}}
                  for name in self.names}
        models.update(extra_models or {})
        for name, model_settings in models.items():
            (repo / name).mkdir(parents=True)
            (repo / name / "model-settings.json").write_text(json.dumps(model_settings))
        http, grpc, metrics = free_ports(3)
        self.url, self.grpc = f"http://127.0.0.1:{http}", f"127.0.0.1:{grpc}"
        (repo / "settings.json").write_text(json.dumps(
            {"debug": False, "host": "127.0.0.1", "http_port": http, "grpc_port": grpc, "metrics_port": metrics,
             "metrics_dir": str(repo / ".metrics"), **settings}))
        self.log_path = workdir / f"{repo.name}.log"
        self.log = self.log_path.open("w")
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        started = time.perf_counter()
        self.process = subprocess.Popen([str(bin_dir / "mlserver"), "start", str(repo)], stdout=self.log,
                                        stderr=subprocess.STDOUT, env=env, cwd=repo)
        self.client = httpx.Client(base_url=self.url, timeout=120)
        self.start_seconds = self._wait_ready(started, list(models))

    def _wait_ready(self, started: float, expected: list[str], timeout: float = 900) -> float:
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited; see {self.log_path}")
            try:
                index = self.client.post("/v2/repository/index", json={}).json()
                ready = {m["name"] for m in index if m.get("state") == "READY"}
                if ready.issuperset(expected):
                    return time.perf_counter() - started
            except (httpx.TransportError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.label} was not ready after {timeout} s; see {self.log_path}")

    def memory(self) -> dict[str, float]:
        return memory(self.process.pid)

    def rest_reload(self, name: str) -> tuple[float, float]:
        """Seconds to unload ``name`` and to load it again, through the REST repository API."""
        return (_timed(lambda: self.client.post(f"/v2/repository/models/{name}/unload").raise_for_status()),
                _timed(lambda: self.client.post(f"/v2/repository/models/{name}/load").raise_for_status()))

    def grpc_reload(self, name: str) -> tuple[float, float]:
        """The same through the gRPC repository API (``RepositoryModelUnload``/``Load``)."""
        import grpc
        from mlserver.grpc import dataplane_pb2 as pb
        from mlserver.grpc import dataplane_pb2_grpc as stubs

        with grpc.insecure_channel(self.grpc) as channel:
            stub = stubs.GRPCInferenceServiceStub(channel)
            return (_timed(lambda: stub.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name=name))),
                    _timed(lambda: stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name=name))))

    def unload(self, models: list[str]) -> None:
        for name in models:
            self.client.post(f"/v2/repository/models/{name}/unload").raise_for_status()

    def stop(self) -> None:
        self.client.close()
        stop_process(self.process, 30)
        self.log.close()


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def crash_figures(fleet: Fleet, seconds: float = 6.0) -> dict[str, float]:
    """Failed requests to the other models while ``crasher`` kills its own process, and the
    seconds until ``crasher`` answers 200 again."""
    body = {"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1.0]}]}
    wine = v2_body(rows(1))
    failed = sent = 0
    stop = threading.Event()
    lock = threading.Lock()

    def load(name: str) -> None:
        nonlocal failed, sent
        with httpx.Client(base_url=fleet.url, timeout=30) as client:
            while not stop.is_set():
                try:
                    status = client.post(f"/v2/models/{name}/infer", json=wine).status_code
                except httpx.TransportError:  # the server closed the connection: a failed request too
                    status = 0
                with lock:
                    sent += 1
                    failed += status != 200

    threads = [threading.Thread(target=load, args=(name,)) for name in fleet.names]
    for thread in threads:
        thread.start()
    time.sleep(1)
    crashed = fleet.client.post("/v2/models/crasher/infer", json={**body, "inputs": [{**body["inputs"][0], "data": [9.0]}]})
    started = time.perf_counter()
    while fleet.client.post("/v2/models/crasher/infer", json=body).status_code != 200:
        if time.perf_counter() - started > 120:
            break
        time.sleep(0.05)
    back = time.perf_counter() - started
    time.sleep(max(0.0, seconds - back))
    stop.set()
    for thread in threads:
        thread.join()
    return {"crash: failed requests to the other models": failed, "crash: requests to the other models": sent,
            "crash: the crashing request's status": crashed.status_code, "crash: seconds until it answers again": back}


def crasher_model(workdir: Path) -> Path:
    import mlflow.pyfunc
    import pyfuncs
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    path = workdir / "crasher-model"
    if not path.exists():
        # with an output schema: mlserver-mlflow 1.7.1 cannot load a signature without one
        mlflow.pyfunc.save_model(str(path), python_model=pyfuncs.Crasher(), code_paths=[pyfuncs.__file__],
                                 signature=ModelSignature(Schema([ColSpec("double", "x")]), Schema([ColSpec("double")])))
    return path


def measure(fleet: Fleet, body: Path, seconds: float) -> dict[str, float]:
    time.sleep(3)  # let start-up work settle before reading memory
    figures: dict[str, float] = {"start to ready (s)": fleet.start_seconds}
    mem = fleet.memory()
    figures.update({"PSS (MiB)": mem["pss"], "RSS (MiB)": mem["rss"], "processes": mem["processes"]})
    target = fleet.names[-1]
    unloads, loads = zip(*(fleet.rest_reload(target) for _ in range(3)))
    figures.update({"REST unload one (s)": statistics.median(unloads), "REST load it again (s)": statistics.median(loads)})
    unloads, loads = zip(*(fleet.grpc_reload(target) for _ in range(3)))
    figures.update({"gRPC unload one (s)": statistics.median(unloads), "gRPC load it again (s)": statistics.median(loads)})
    result = loadgen.wrk(f"{fleet.url}/v2/models/{fleet.names[0]}/infer", body, 8, seconds)
    figures.update({"REST batch 1 rps, one model, others idle": result["rps"], "its p99 (ms)": result["p99"]})
    if result["errors"]:
        print(f"warning: {fleet.label}: {result['errors']} errors under load", file=sys.stderr)
    if len(fleet.names) > 1:
        fleet.unload(fleet.names[1:])
        time.sleep(5)
        figures["PSS after unloading all but one (MiB)"] = fleet.memory()["pss"]
    return figures


def run(args: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    theirs_bin = args.ours_bin if args.null else reference.ensure(args.reference_env)
    sides = [("theirs", theirs_bin, OURS if args.null else THEIRS), ("ours", args.ours_bin, OURS)]
    settings = json.loads(args.settings)
    out: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        body = workdir / "v2-1.json"
        body.write_text(json.dumps(v2_body(rows(1))))
        per_size: dict[int, list[dict[str, float]]] = {}
        for size in args.sizes:
            samples: list[list[dict[str, float]]] = [[], []]
            for round_ in range(args.rounds if size <= 10 else 1):
                order = (0, 1) if round_ % 2 == 0 else (1, 0)
                for index in order:
                    label, bin_dir, implementation = sides[index]
                    fleet = Fleet(label, bin_dir, implementation, size, workdir, settings)
                    try:
                        samples[index].append(measure(fleet, body, args.seconds))
                    finally:
                        fleet.stop()
                    print(f"{size} models, {label}: round {round_ + 1} done", file=sys.stderr)
            per_size[size] = [_medians(s) for s in samples]
            for key in per_size[size][0]:
                out.append((f"{size} models", key, per_size[size][0][key], per_size[size][1][key]))
        if 1 in per_size:
            for size in (s for s in per_size if s > 1):
                marginal = [(per_size[size][i]["PSS (MiB)"] - per_size[1][i]["PSS (MiB)"]) / (size - 1) for i in (0, 1)]
                out.append((f"{size} models", "marginal PSS per extra model (MiB)", *marginal))
                starts = [per_size[size][i]["start to ready (s)"] / per_size[1][i]["start to ready (s)"] for i in (0, 1)]
                out.append((f"{size} models", "start to ready, × one model's", *starts))
        if args.crash:
            size = max([s for s in args.sizes if s <= 10] or [1])
            crasher = {"name": "crasher", "implementation": "", "parameters": {"uri": str(crasher_model(workdir))}}
            crashes = []
            for label, bin_dir, implementation in sides:
                fleet = Fleet(label, bin_dir, implementation, size, workdir, settings,
                              {"crasher": {**crasher, "implementation": implementation}})
                try:
                    crashes.append(crash_figures(fleet))
                finally:
                    fleet.stop()
            for key in crashes[0]:
                out.append((f"{size} models + crasher", key, crashes[0][key], crashes[1][key]))
    return out


def _medians(samples: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def table(results: list[tuple[str, str, float, float]], null: bool) -> str:
    theirs = "runtime_mlflow (null run)" if null else "mlserver-mlflow 1.7.1"
    lines = [f"| models | figure | {theirs} | runtime_mlflow | ratio (ours/theirs) |", "|---|---|---:|---:|---:|"]
    for size, name, a, b in results:
        ratio = "" if not a else f"{b / a:.2f}"
        lines.append(f"| {size} | {name} | {_fmt(a)} | {_fmt(b)} | {ratio} |")
    return "\n".join(lines)


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--rounds", type=int, default=2, help="rounds for sizes up to 10 (larger ones: one)")
    parser.add_argument("--seconds", type=float, default=5, help="length of the load run")
    parser.add_argument("--settings", default="{}", help="JSON added to both sides' settings.json")
    parser.add_argument("--crash", action="store_true", help="add the crash figures")
    parser.add_argument("--null", action="store_true", help="this runtime on both sides (the noise floor)")
    parser.add_argument("--group", help="put all of this runtime's models in this process group "
                        "(RUNTIME_MLFLOW_PROCESS_GROUP), as mlserver-mlflow puts them all in one worker")
    parser.add_argument("--reference-env", type=Path, default=reference.DEFAULT)
    parser.add_argument("--ours-from-dev", action="store_true", help="serve this runtime from the development virtualenv")
    args = parser.parse_args()
    if args.group:
        os.environ[GROUP_VARIABLE] = args.group  # mlserver-mlflow does not read it
    args.ours_bin = Path(sys.executable).parent if args.ours_from_dev else reference.ours()
    if not (MODEL / "MLmodel").exists():
        sys.exit("examples/wine/model is missing: run `make model` first")
    print(table(run(args), args.null))


if __name__ == "__main__":
    main()

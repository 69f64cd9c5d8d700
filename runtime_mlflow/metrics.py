"""The runtime's Prometheus metrics, on MLServer's metrics endpoint (``metrics_port``, ``/metrics``).

MLServer counts V2 inference per model (``model_infer_request_*``), and its HTTP middleware
counts other routes by path only. These count every protocol's requests per model:

- ``runtime_mlflow_requests_total{model, version, protocol, code}`` and
  ``runtime_mlflow_request_duration_seconds{model, version, protocol}`` (a histogram), where
  ``protocol`` is ``v2_rest``, ``v2_grpc``, ``v2_stream`` (REST ``infer_stream``),
  ``invocations`` or ``seldon`` and
  ``code`` the HTTP status (for gRPC, the one MLServer maps to the gRPC code; for a stream,
  its start, and the duration is the time to its first response);
- ``runtime_mlflow_model_restarts_total{model}``: a model's process or worker restarted;
- ``runtime_mlflow_requests_inflight{model}``: requests a model holds (see :mod:`.admission`),
  ``runtime_mlflow_requests_shed_total{model}``: requests refused at its ``max_inflight``
  (503), ``runtime_mlflow_requests_timed_out_total{model}``: requests past its
  ``request_timeout`` (504);
- ``runtime_mlflow_cache_fill_seconds{kind, step}``: how long making a cache entry took,
  by ``kind`` (``model``, ``environment``) and ``step`` (``download``, ``unpack`` of an
  ``environment.tar.gz``, ``build`` of an environment from the model's requirements);
- ``runtime_mlflow_cache_lookups_total{kind, result}`` (``hit`` or ``miss``).

Metrics are made at first use, in the process that uses them: MLServer switches
prometheus_client to its multi-process mode (``metrics_dir``) when it runs workers, and
values made before that switch would be lost. They are registered in MLServer's registry,
which its endpoint reads when there are no workers.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

PROTOCOL: contextvars.ContextVar[str] = contextvars.ContextVar("runtime_mlflow_protocol", default="v2_grpc")
"""The protocol of the request being answered; MLServer's gRPC servicer sets none."""


@lru_cache(maxsize=None)
def _metric(kind: str) -> Any:
    from mlserver.metrics.registry import REGISTRY
    from prometheus_client import Counter, Gauge, Histogram

    if kind == "requests":
        return Counter("runtime_mlflow_requests", "Requests answered by runtime_mlflow's models, by protocol",
                       ["model", "version", "protocol", "code"], registry=REGISTRY)
    if kind == "duration":
        return Histogram("runtime_mlflow_request_duration_seconds", "Time to answer a request, by protocol",
                         ["model", "version", "protocol"], registry=REGISTRY)
    if kind == "restarts":
        return Counter("runtime_mlflow_model_restarts", "Restarts of a model's process or worker", ["model"],
                       registry=REGISTRY)
    if kind == "inflight":
        return Gauge("runtime_mlflow_requests_inflight", "Requests a model holds (max_inflight caps it)", ["model"],
                     registry=REGISTRY, multiprocess_mode="livesum")
    if kind == "shed":
        return Counter("runtime_mlflow_requests_shed", "Requests refused at a model's max_inflight (503)", ["model"],
                       registry=REGISTRY)
    if kind == "timed_out":
        return Counter("runtime_mlflow_requests_timed_out", "Requests past a model's request_timeout (504)",
                       ["model"], registry=REGISTRY)
    if kind == "fill":
        return Histogram("runtime_mlflow_cache_fill_seconds", "Time to make a cache entry (download, unpack, build)",
                         ["kind", "step"], registry=REGISTRY, buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))
    if kind == "lookups":
        return Counter("runtime_mlflow_cache_lookups", "Cache lookups by result", ["kind", "result"],
                       registry=REGISTRY)
    raise KeyError(kind)


def request(model: str, version: str | None, protocol: str, code: int | str, seconds: float) -> None:
    _metric("requests").labels(model, version or "", protocol, str(code)).inc()
    _metric("duration").labels(model, version or "", protocol).observe(seconds)


@contextmanager
def protocol(name: str) -> Iterator[None]:
    """Requests answered inside are counted under ``name``."""
    token = PROTOCOL.set(name)
    try:
        yield
    finally:
        PROTOCOL.reset(token)


def restarted(model: str) -> None:
    _metric("restarts").labels(model).inc()


def inflight(model: str) -> Any:
    """The gauge of the requests ``model`` holds."""
    return _metric("inflight").labels(model)


def shed(model: str) -> None:
    _metric("shed").labels(model).inc()


def timed_out(model: str) -> None:
    _metric("timed_out").labels(model).inc()


def cache_lookup(kind: str, hit: bool) -> None:
    _metric("lookups").labels(kind, "hit" if hit else "miss").inc()


def cache_filled(kind: str, step: str, seconds: float) -> None:
    _metric("fill").labels(kind, step).observe(seconds)


def status_of(exc: BaseException) -> int:
    """The HTTP status an exception is answered with (500 unless MLServer says otherwise)."""
    return getattr(exc, "status_code", 500)


def count_infer(data_plane: Any) -> None:
    """Count ``data_plane.infer`` (V2 over REST and gRPC) per model and protocol (once)."""
    infer = data_plane.infer
    if getattr(infer, "_runtime_mlflow_counted", False):
        return

    async def counted(payload: Any, name: str, version: str | None = None) -> Any:
        started, code = time.perf_counter(), 200
        try:
            return await infer(payload, name, version)
        except BaseException as exc:
            code = status_of(exc)
            raise
        finally:
            request(name, version, PROTOCOL.get(), code, time.perf_counter() - started)

    counted._runtime_mlflow_counted = True  # type: ignore[attr-defined]
    data_plane.infer = counted

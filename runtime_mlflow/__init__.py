"""runtime_mlflow: an MLServer runtime serving MLflow pyfunc models over the V2 protocol."""

from .version import __version__

__all__ = ["MLflowRuntime", "__version__"]


def __getattr__(name: str):
    # The runtime imports mlflow; keep `import runtime_mlflow.codecs` and the
    # version lookup in setup.py free of that cost.
    if name == "MLflowRuntime":
        from .runtime import MLflowRuntime

        return MLflowRuntime
    raise AttributeError(f"module 'runtime_mlflow' has no attribute {name!r}")

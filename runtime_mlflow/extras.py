"""The optional parts of the install, and the error naming the extra a feature needs.

``pip install runtime-mlflow`` installs what serving a local model needs. What a feature
adds comes with an extra (``setup.py``'s ``extras_require``):

* ``s3``: ``s3://`` model URIs, and MLflow artifact stores on S3 (boto3);
* ``gcs``: ``gs://`` model URIs, and MLflow artifact stores on GCS (google-cloud-storage);
* ``build``: ``environment: build`` and ``runtime-mlflow pack`` (uv, conda-pack);
* ``parquet``: ``application/vnd.apache.parquet`` bodies on ``/invocations`` (pyarrow);
* ``tracking-db``: ``models:/`` and ``runs:/`` from a database tracking store
  (``sqlite:``, ``postgresql:``, ... tracking URIs; SQLAlchemy and Alembic);
* ``all``: every one of them.
"""

from __future__ import annotations

import importlib.util

from .errors import MissingExtra

MODULES = {
    "s3": ("boto3", "botocore"),
    "gcs": ("google.cloud.storage",),
    "build": ("uv", "conda_pack"),
    "parquet": ("pyarrow",),
    "tracking-db": ("sqlalchemy", "alembic"),
}
"""The modules each extra brings, as imported."""

SCHEMES = {"s3": "s3", "gs": "gcs"}
"""The extra that reads each URI scheme (for models, and for MLflow's artifact stores)."""


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent package is missing (google.cloud without google)
        return False


def available(extra: str) -> bool:
    """Whether every module of ``extra`` can be imported here."""
    return all(_importable(module) for module in MODULES[extra])


def message(extra: str, feature: str) -> str:
    missing = ", ".join(m for m in MODULES[extra] if not _importable(m)) or ", ".join(MODULES[extra])
    return (f"{feature} needs the runtime's {extra!r} extra ({missing} not installed): "
            f"pip install 'runtime-mlflow[{extra}]'")


def need(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtra` naming ``extra`` if its modules are not installed."""
    if not available(extra):
        raise MissingExtra(message(extra, feature))


def need_scheme(scheme: str, feature: str) -> None:
    """:func:`need` the extra that reads ``scheme`` URIs, if one does."""
    extra = SCHEMES.get(scheme)
    if extra is not None:
        need(extra, feature)


def extra_of(module: str | None) -> str | None:
    """The extra that brings ``module`` (a missing module's name, as ImportError gives it)."""
    if not module:
        return None
    for extra, modules in MODULES.items():
        if any(module == m or module.startswith(m + ".") or m.startswith(module + ".") for m in modules):
            return extra
    return None

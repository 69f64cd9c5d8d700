"""Where a model comes from: a local folder, an object store, a URL or MLflow's tracking server.

``fetch`` turns ``parameters.uri`` into a local MLflow model folder. Remote models are
downloaded into the cache (``cache_dir``), keyed by the source pinned to one version
(the object listing's ETags, the archive's ETag, the run id, the registry version), made
in a temporary folder and published atomically, so a restart, a second worker or a
second model on the same source downloads nothing. Each download or listing is tried up
to ``ATTEMPTS`` times on transient errors (on top of the clients' own retries); a missing
or forbidden source fails at once. Downloads report their progress in the log, and
credentials never reach logs, errors or metadata.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from .. import extras
from ..errors import MissingExtra, ModelLoadError, SourceRefused
from ..infra import cache
from . import archives, buckets, registry
from .redact import redact_uri, text

logger = logging.getLogger("mlserver.runtime_mlflow")

ATTEMPTS = 3
PROGRESS_EVERY = 5.0
"""Seconds between progress lines while a download runs."""

T = TypeVar("T")


@dataclass(frozen=True)
class Fetched:
    path: Path
    entry: cache.Entry
    """The download in the cache, in use until released."""
    described: dict[str, str] = field(default_factory=dict)
    """What is served, for metadata: ``source_uri`` (redacted), and the registry version or run id."""


def fetch(name: str, uri: str, root: Path) -> Fetched:
    """The local folder of the model at ``uri``, from the cache or downloaded now.

    Raises ModelLoadError naming the (redacted) URI and the cause.
    """
    shown = redact_uri(uri)
    try:
        return _fetch(name, uri, shown, root)
    except ModelLoadError as exc:  # its kind kept (a MissingExtra stays one)
        raise type(exc)(text(f"model {name!r}: cannot load {shown}: {exc}")) from None
    except Exception as exc:
        extra = extras.extra_of(exc.name) if isinstance(exc, ImportError) else None  # e.g. a store's SDK or database driver
        if extra is not None:
            needed = extras.message(extra, "its MLflow tracking or artifact store")
            raise MissingExtra(f"model {name!r}: cannot load {shown}: {needed}") from None
        raise ModelLoadError(text(f"model {name!r}: cannot load {shown}: {type(exc).__name__}: {exc}")) from None


def _fetch(name: str, uri: str, shown: str, root: Path) -> Fetched:
    scheme = urlsplit(uri).scheme
    described = {"source_uri": shown}
    if scheme in ("s3", "gs"):
        store = buckets.store_for(scheme)
        listing = _retry(lambda: store.list(uri), store.permanent)
        if not listing.objects:
            raise SourceRefused(f"no objects under {shown}")
        key = cache.key_of(uri, listing.version)
        make: Callable[[Path], None] = lambda folder: _retry(  # noqa: E731
            lambda: buckets.fetch_listing(store, listing, folder), store.permanent)
        total = listing.size
    elif archives.is_archive(uri):
        version = _retry(lambda: archives.version(uri), _never)
        key = cache.key_of(uri, version or f"unversioned-{time.time_ns()}")
        if version is None:
            logger.warning("Model %r: %s sends no ETag or Last-Modified; it is downloaded at every load", name, shown)
        make = lambda folder: _retry(lambda: archives.fetch(uri, folder), _never)  # noqa: E731
        total = None
    else:
        resolved = _retry(lambda: registry.resolve(uri), registry.permanent)
        key = resolved.key
        described.update(resolved.described)
        make = lambda folder: _retry(lambda: registry.download(resolved, folder), registry.permanent)  # noqa: E731
        total = None

    def download(folder: Path) -> None:
        with _progress(name, shown, folder, total):
            make(folder)

    entry = cache.materialize(root, key, download, what=shown, step="download", kind="models")
    try:
        return Fetched(model_folder(entry.path, shown), entry, described)
    except BaseException:
        entry.release()
        raise


def model_folder(folder: Path, shown: str) -> Path:
    """The folder holding MLmodel: the download itself or the one folder below it that has it."""
    if (folder / "MLmodel").is_file():
        return folder
    found = [p.parent for p in folder.glob("*/MLmodel")] + [p.parent for p in folder.glob("*/*/MLmodel")]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ModelLoadError(text(f"{shown} holds no MLflow model (no MLmodel file)"))
    raise ModelLoadError(text(f"{shown} holds several MLflow models: {', '.join(str(p.relative_to(folder)) for p in found)}"))


def _retry(action: Callable[[], T], permanent: Callable[[BaseException], str | None]) -> T:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return action()
        except (ModelLoadError, ImportError):  # a refusal, or a library not installed: no retry
            raise
        except Exception as exc:
            why = permanent(exc)
            if why is not None:
                raise SourceRefused(why) from exc
            if attempt == ATTEMPTS:
                raise ModelLoadError(f"{type(exc).__name__}: {exc} (after {ATTEMPTS} attempts)") from exc
            delay = 2 ** (attempt - 1)
            logger.warning("Attempt %d of %d failed (%s: %s); retrying in %ds",
                           attempt, ATTEMPTS, type(exc).__name__, text(str(exc)), delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def _never(exc: BaseException) -> str | None:
    return None


@contextmanager
def _progress(name: str, shown: str, folder: Path, total: int | None) -> Iterator[None]:
    """Log how much has arrived every few seconds while a download runs."""
    done = threading.Event()
    started = time.monotonic()

    def report() -> None:
        while not done.wait(PROGRESS_EVERY):
            got = cache.tree_size(folder)
            of = f" of {total / 1e6:.1f}" if total else ""
            logger.info("Model %r: downloading %s: %.1f%s MB", name, shown, got / 1e6, of)

    logger.info("Model %r: downloading %s into %s", name, shown, folder)
    watcher = threading.Thread(target=report, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
    logger.info("Model %r: downloaded %s (%.1f MB) in %.1fs", name, shown, cache.tree_size(folder) / 1e6,
                time.monotonic() - started)

"""A persistent cache of environments, shared by workers and restarts, keyed by content.

Layout under the cache root (``cache_dir`` parameter, else ``$RUNTIME_MLFLOW_CACHE_DIR``,
else ``$XDG_CACHE_HOME/runtime-mlflow``, else ``~/.cache/runtime-mlflow``)::

    environments/<key>              link to the finished environment
    environments/.<key>.<random>/   the environment itself (hidden until finished)
    models/<key>, models/.<key>.*   downloaded models, the same way
    locks/<key>.lock                held while one process makes <key>
    locks/<key>.use                 held (shared) by every process using <key>; its mtime is the last use
    digests/<hash of path>.json     sha256 of a tarball, with the size, mtime and inode it was read at

An environment is made in its hidden folder, which is where it stays, so that
``conda-unpack`` rewrites prefixes to its final place; it is then marked complete and
published by atomically replacing the ``<key>`` link. Readers only follow a link whose
target carries the completion mark, so a half-made environment is never used. A file
lock makes concurrent first loads (workers, models, servers) make it once.

``materialize`` hands back an :class:`Entry` that holds the entry's use lock until it is
released (when the model is unloaded, or its process dies); :mod:`.eviction` never
removes an entry whose use lock is held, and takes that lock before removing one, so
an entry is never removed under a process about to use it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .. import metrics
from ..errors import ModelEnvironmentError

logger = logging.getLogger("mlserver.runtime_mlflow")

COMPLETE = ".runtime-mlflow-complete"
CACHE_ENV = "RUNTIME_MLFLOW_CACHE_DIR"


def cache_root(explicit: str | None = None, base: Path | None = None) -> Path:
    """The cache folder: ``explicit`` (relative to ``base``), the environment variable, or the user cache."""
    chosen = explicit or os.environ.get(CACHE_ENV)
    if chosen:
        path = Path(os.path.expanduser(chosen))
        return path if path.is_absolute() or base is None else base / path
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "runtime-mlflow"


def key_of(*parts: object) -> str:
    """A cache key naming what ``parts`` name together (sha256 of them, NUL-separated)."""
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()


def lookup(root: Path, key: str, kind: str = "environments") -> Path | None:
    """The finished entry for ``key`` (an environment, or a downloaded model for ``kind="models"``), or None."""
    link = root / kind / key
    if (link / COMPLETE).is_file():
        return link.resolve()
    return None


@dataclass(eq=False)
class Entry:
    """A cache entry in use: its folder stays until :meth:`release` (or this process ends)."""

    path: Path
    _use: IO[str] | None = field(default=None, repr=False)

    def release(self) -> None:
        if self._use is not None:
            with contextlib.suppress(OSError):
                os.utime(self._use.fileno())  # the last use, for eviction's age and order
            self._use.close()  # drops the shared lock
            self._use = None

    def __enter__(self) -> Entry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def materialize(root: Path, key: str, make: Callable[[Path], None], what: str, step: str,
                kind: str = "environments") -> Entry:
    """The entry for ``key``, made by ``make(folder)`` unless the cache has it, held in use.

    ``step`` names what ``make`` does (``download``, ``unpack``, ``build``) for the
    ``runtime_mlflow_cache_fill_seconds`` metric.

    ``make`` fills an empty folder; if it raises, the folder is removed and the error
    propagates. Only one process makes a given key at a time; the others wait and reuse it.
    """
    use = hold(root, key)
    try:
        path = _materialize(root, key, make, what, step, kind)
    except BaseException:
        use.close()
        raise
    return Entry(path, use)


def hold(root: Path, key: str) -> IO[str]:
    """``key``'s use lock, held shared (waiting while an eviction removes the entry), touched as used now."""
    path = root / "locks" / f"{key}.use"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_SH)
        os.utime(handle.fileno())
    except BaseException:
        handle.close()
        raise
    return handle


def _materialize(root: Path, key: str, make: Callable[[Path], None], what: str, step: str, kind: str) -> Path:
    noun = kind[:-1]
    found = lookup(root, key, kind)
    metrics.cache_lookup(noun, found is not None)
    if found is not None:
        logger.info("Reusing cached %s %s for %s", noun, found, what)
        return found
    environments = root / kind
    environments.mkdir(parents=True, exist_ok=True)
    with locked(root / "locks" / f"{key}.lock"):
        found = lookup(root, key, kind)
        if found is not None:
            logger.info("Reusing cached %s %s for %s (made by another process)", noun, found, what)
            return found
        for stale in environments.glob(f".{key}.*"):  # left by a process that died while making it
            shutil.rmtree(stale, ignore_errors=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=environments))
        started = time.monotonic()
        try:
            make(folder)
            size = tree_size(folder)
            complete = {"what": what, "made": time.time(), "bytes": size}
            (folder / COMPLETE).write_text(json.dumps(complete))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        temporary = environments / f".{key}.link-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        os.symlink(folder.name, temporary)
        os.replace(temporary, environments / key)
        metrics.cache_filled(noun, step, time.monotonic() - started)
        logger.info("%s for %s ready in %.1fs at %s (%.1f MB)", noun.capitalize(), what,
                    time.monotonic() - started, folder, size / 1e6)
        return folder


def tree_size(folder: Path) -> int:
    """Bytes of the files under ``folder`` (links not followed)."""
    total = 0
    for dirpath, _, files in os.walk(folder):
        for file in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, file)).st_size
    return total


def file_digest(root: Path, path: Path) -> str:
    """The sha256 of ``path``, read again only when its size, mtime or inode changed."""
    path = path.resolve()
    stat = path.stat()
    seen = {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "inode": stat.st_ino,
            "device": stat.st_dev}
    index = root / "digests" / (hashlib.sha256(str(path).encode()).hexdigest()[:32] + ".json")
    with contextlib.suppress(OSError, ValueError):
        known = json.loads(index.read_text())
        if {k: known.get(k) for k in seen} == seen:
            os.utime(index)  # read now: eviction drops digests unread for longer than the age limit
            return str(known["sha256"])
    logger.info("Hashing %s (%.1f MB)", path, stat.st_size / 1e6)
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    sha256 = seen["sha256"] = digest.hexdigest()
    index.parent.mkdir(parents=True, exist_ok=True)
    temporary = index.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(seen))
    os.replace(temporary, index)
    return sha256


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("Waiting for another process to finish %s", path.stem)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_writable(root: Path) -> None:
    """ModelEnvironmentError if the cache folder cannot be created or written."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root):
            pass
    except OSError as exc:
        raise ModelEnvironmentError(f"the environment cache {root} is not writable: {exc}") from exc

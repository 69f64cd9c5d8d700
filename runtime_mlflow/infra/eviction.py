"""Keeping the cache bounded: least recently used entries go past a size or an age limit.

The limits cover environments and downloaded models together:

- ``RUNTIME_MLFLOW_CACHE_MAX_SIZE`` (default ``10GB``; ``500MB``, ``2GiB`` or bytes): while
  the cache holds more, the least recently used entries not in use are removed;
- ``RUNTIME_MLFLOW_CACHE_MAX_AGE`` (default ``30d``; ``12h``, ``90m``, ``45s`` or seconds):
  an entry not used for longer is removed.

``none`` turns a limit off. An entry is used when a model loads it and when that model is
unloaded; one held by a loaded model (in any process, of any server sharing the cache) is
never removed. Removing an entry takes its use lock exclusively, without waiting: a
process that is using or about to use the entry holds it shared, so the two never meet.
The entry's link goes first, then its folder; a reader that comes after finds no entry
and makes it again. Folders left by a process that died while making one go too.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .cache import COMPLETE, logger, tree_size

KINDS = ("environments", "models")
SIZE_ENV = "RUNTIME_MLFLOW_CACHE_MAX_SIZE"
AGE_ENV = "RUNTIME_MLFLOW_CACHE_MAX_AGE"
DEFAULT_SIZE = "10GB"
DEFAULT_AGE = "30d"

_SIZE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_AGE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class Limits:
    max_bytes: int | None
    max_age: float | None
    """Seconds."""

    @classmethod
    def from_environ(cls) -> Limits:
        """The limits the environment variables set (ValueError naming the variable if one is malformed)."""
        return cls(
            _parse(SIZE_ENV, os.environ.get(SIZE_ENV) or DEFAULT_SIZE, _SIZE_UNITS),
            _parse(AGE_ENV, os.environ.get(AGE_ENV) or DEFAULT_AGE, _AGE_UNITS),
        )


def _parse(variable: str, value: str, units: dict[str, int]) -> int | None:
    if value.strip().lower() == "none":
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", value)
    if match is None or match.group(2).lower() not in units:
        raise ValueError(f"{variable}={value!r}: expected a number with one of the units "
                         f"{', '.join(u for u in units if u)}, or none")
    return int(float(match.group(1)) * units[match.group(2).lower()])


@dataclass(frozen=True)
class Cached:
    kind: str
    key: str
    folder: Path
    size: int
    last_used: float


def entries(root: Path) -> list[Cached]:
    """The finished entries under ``root``, least recently used first."""
    found = []
    for kind in KINDS:
        with contextlib.suppress(FileNotFoundError):
            for link in (root / kind).iterdir():
                if link.name.startswith(".") or not link.is_symlink():
                    continue
                folder = link.parent / os.readlink(link)
                found.append(Cached(kind, link.name, folder, _size(folder), _last_used(root, link.name, folder)))
    return sorted(found, key=lambda e: e.last_used)


def sweep(root: Path, limits: Limits | None = None, now: float | None = None) -> list[Cached]:
    """Remove what is past the limits and not in use; the entries removed.

    Never raises: a cache that cannot be swept is logged, and loading goes on.
    """
    try:
        limits = limits or Limits.from_environ()
    except ValueError as exc:
        logger.warning("Cache limits not applied: %s", exc)
        return []
    now = time.time() if now is None else now
    removed: list[Cached] = []
    try:
        cached = entries(root)
        total = sum(e.size for e in cached)
        for entry in cached:
            too_old = limits.max_age is not None and now - entry.last_used > limits.max_age
            too_big = limits.max_bytes is not None and total > limits.max_bytes
            if (too_old or too_big) and _remove(root, entry):
                total -= entry.size
                removed.append(entry)
                why = "unused for longer than the age limit" if too_old else "the cache is over its size limit"
                logger.info("Evicted cached %s %s (%.1f MB, last used %.0f s ago): %s", entry.kind[:-1],
                            entry.folder, entry.size / 1e6, now - entry.last_used, why)
        _remove_orphans(root)
        if limits.max_age is not None:
            _remove_old_digests(root, now - limits.max_age)
    except OSError as exc:
        logger.warning("Cache %s not swept: %s", root, exc)
    return removed


def _remove(root: Path, entry: Cached) -> bool:
    """Remove ``entry`` unless some process holds it; whether it was removed."""
    use = root / "locks" / f"{entry.key}.use"
    use.parent.mkdir(parents=True, exist_ok=True)
    with use.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # in use by a loaded model, or being made or looked up
        link = root / entry.kind / entry.key
        try:
            if not link.is_symlink() or link.parent / os.readlink(link) != entry.folder:
                return False  # another server removed or replaced it meanwhile
            link.unlink()
        except FileNotFoundError:
            return False
        shutil.rmtree(entry.folder, ignore_errors=True)
        return True


def _remove_orphans(root: Path) -> None:
    """Hidden folders no link points to, left by a process that died making them."""
    for kind in KINDS:
        folder = root / kind
        if not folder.is_dir():
            continue
        published = {os.readlink(link) for link in folder.iterdir() if link.is_symlink()}
        for hidden in folder.iterdir():
            if not hidden.name.startswith(".") or hidden.is_symlink() or hidden.name in published:
                continue
            key = hidden.name[1:].split(".", 1)[0]
            lock = root / "locks" / f"{key}.lock"
            if not lock.exists():
                continue
            with lock.open("a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # being made now
                if hidden.name not in {os.readlink(link) for link in folder.iterdir() if link.is_symlink()}:
                    logger.info("Removing %s, left by a process that died while making it", hidden)
                    shutil.rmtree(hidden, ignore_errors=True)


def _remove_old_digests(root: Path, before: float) -> None:
    with contextlib.suppress(FileNotFoundError):
        for digest in (root / "digests").iterdir():
            with contextlib.suppress(FileNotFoundError):
                if digest.stat().st_mtime < before:
                    digest.unlink()


def _size(folder: Path) -> int:
    """The entry's size as recorded when it was made (measured now, once, for older entries)."""
    marker = folder / COMPLETE
    try:
        made = json.loads(marker.read_text())
    except (OSError, ValueError):
        return tree_size(folder)
    if not isinstance(made.get("bytes"), int):
        made["bytes"] = tree_size(folder)
        with contextlib.suppress(OSError):
            marker.write_text(json.dumps(made))
    return int(made["bytes"])


def _last_used(root: Path, key: str, folder: Path) -> float:
    for stamp in (root / "locks" / f"{key}.use", folder / COMPLETE, folder):
        with contextlib.suppress(OSError):
            return stamp.stat().st_mtime
    return 0.0

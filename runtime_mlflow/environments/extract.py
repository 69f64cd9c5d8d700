"""Unpack an environment archive without letting it write anywhere but its destination.

Every member is checked before it is written: absolute names, ``..`` components,
links that resolve outside the destination (following links already extracted),
hard links to anything outside, and device files, FIFOs or other special members are
refused with an error naming the member. A conda-pack archive of a plain virtualenv
made without ``--copies`` has an absolute ``bin/python`` link to the base interpreter
and is refused for that reason; ``python -m venv --copies`` or ``runtime-mlflow pack``
make archives that load.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

from ..errors import ModelEnvironmentError


_FILTER_ERROR: type[Exception] | tuple[()] = getattr(tarfile, "FilterError", ())


class UnsafeArchive(ModelEnvironmentError):
    """A member of an environment archive would write outside its destination or is not a plain file."""


def extract(archive: Path, dest: Path) -> int:
    """Extract ``archive`` into the existing folder ``dest``; returns the member count.

    Raises UnsafeArchive naming the first offending member; ``dest`` may then hold
    part of the archive and is the caller's to remove.
    """
    root = os.path.realpath(dest)
    count = 0

    def checked(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo:
        nonlocal count
        _check(archive, member, root)
        count += 1
        data_filter = getattr(tarfile, "data_filter", None)
        return data_filter(member, path) if data_filter else member

    try:
        with tarfile.open(archive, "r:*") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, filter=checked)
            else:  # Python < 3.10.12 / 3.11.4: same checks, no mode clean-up
                tar.extractall(dest, members=(checked(m, str(dest)) for m in tar))
    except _FILTER_ERROR as exc:  # the standard filter's own verdict, after ours
        raise UnsafeArchive(f"{archive}: member {exc.tarinfo.name!r} refused: {exc}") from exc
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ModelEnvironmentError(f"{archive} could not be unpacked: {type(exc).__name__}: {exc}") from exc
    return count


def _check(archive: Path, member: tarfile.TarInfo, root: str) -> None:
    def refuse(why: str) -> UnsafeArchive:
        return UnsafeArchive(f"{archive}: member {member.name!r} refused: {why}; nothing outside the cache was written")

    name = member.name
    if name.startswith(("/", "\\")) or os.path.isabs(name):
        raise refuse("it has an absolute path")
    if ".." in Path(name).parts:
        raise refuse("its path contains '..'")
    target = os.path.realpath(os.path.join(root, name))
    if not _within(target, root):
        raise refuse(f"it would be written to {target}, outside the destination")
    if member.issym() or member.islnk():
        link = member.linkname
        if os.path.isabs(link):
            hint = (" (a virtualenv packed without --copies links bin/python to its base interpreter; "
                    "make it with 'python -m venv --copies' or 'runtime-mlflow pack')") if name.startswith("bin/") else ""
            raise refuse(f"it links to the absolute path {link!r}{hint}")
        base = os.path.dirname(os.path.join(root, name)) if member.issym() else root
        resolved = os.path.realpath(os.path.join(base, link))
        if not _within(resolved, root):
            raise refuse(f"it links to {link!r}, which resolves to {resolved}, outside the destination")
    elif not (member.isfile() or member.isdir()):
        raise refuse("it is a device file, FIFO or other special file")


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)

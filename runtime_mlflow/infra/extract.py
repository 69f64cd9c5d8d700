"""Unpack an environment archive without letting it write anywhere but its destination.

Every member is checked before it is written: absolute names, ``..`` components,
links that resolve outside the destination (following links already extracted),
hard links to anything outside, and device files, FIFOs or other special members are
refused with an error naming the member. Since every member's real path must lie
inside the destination, nothing can be written through a link either.

One outside link is let through: a conda-pack archive of a plain virtualenv links
``bin/python`` (or ``bin/python3``, ``bin/python3.X``) to the base interpreter it was
made from, by absolute path. That link is accepted when its target is an existing
Python executable on this machine, and so are relative links naming it (``bin/python3
-> python``); any other absolute or escaping link is refused.
"""

from __future__ import annotations

import os
import re
import tarfile
from pathlib import Path

from ..errors import ModelEnvironmentError, UnsafeArchive
from .paths import inside

_FILTER_ERROR: type[Exception] | tuple[()] = getattr(tarfile, "FilterError", ())


def extract(archive: Path, dest: Path) -> int:
    """Extract ``archive`` into the existing folder ``dest``; returns the member count.

    Raises UnsafeArchive naming the first offending member; ``dest`` may then hold
    part of the archive and is the caller's to remove.
    """
    root = os.path.realpath(dest)
    count = 0
    interpreters: set[str] = set()  # accepted links to the base interpreter, and links to those

    def checked(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo:
        nonlocal count
        interpreter_link = _check(archive, member, root, interpreters)
        count += 1
        data_filter = getattr(tarfile, "data_filter", None)
        if data_filter is None or interpreter_link:  # the standard filter refuses every absolute link
            return member
        filtered: tarfile.TarInfo = data_filter(member, path)
        return filtered

    try:
        with tarfile.open(archive, "r:*") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, filter=checked)
            else:  # Python < 3.10.12 / 3.11.4: same checks, no mode clean-up
                tar.extractall(dest, members=(checked(m, str(dest)) for m in tar))
    except _FILTER_ERROR as exc:  # the standard filter's own verdict, after ours
        refused = getattr(exc, "tarinfo", None)  # FilterError's member
        raise UnsafeArchive(f"{archive}: member {getattr(refused, 'name', '?')!r} refused: {exc}") from exc
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ModelEnvironmentError(f"{archive} could not be unpacked: {type(exc).__name__}: {exc}") from exc
    return count


def _check(archive: Path, member: tarfile.TarInfo, root: str, interpreters: set[str]) -> bool:
    """Raise UnsafeArchive for an unsafe member; True if it is an accepted base-interpreter link."""
    def refuse(why: str) -> UnsafeArchive:
        return UnsafeArchive(f"{archive}: member {member.name!r} refused: {why}; nothing outside the cache was written")

    name = member.name
    if name.startswith(("/", "\\")) or os.path.isabs(name):
        raise refuse("it has an absolute path")
    if ".." in Path(name).parts:
        raise refuse("its path contains '..'")
    target = os.path.realpath(os.path.join(root, name))
    if not inside(target, root):
        raise refuse(f"it would be written to {target}, outside the destination")
    if member.issym() or member.islnk():
        link = member.linkname
        if member.issym() and (_base_interpreter(name, link) or _link_to(name, link) in interpreters):
            interpreters.add(os.path.normpath(name))
            return True
        if os.path.isabs(link):
            hint = (" (a packed virtualenv needs its base interpreter at that path on this machine; or make it "
                    "with 'python -m venv --copies' or 'runtime-mlflow pack')") if _INTERPRETER.fullmatch(name) else ""
            raise refuse(f"it links to the absolute path {link!r}{hint}")
        base = os.path.dirname(os.path.join(root, name)) if member.issym() else root
        resolved = os.path.realpath(os.path.join(base, link))
        if not inside(resolved, root):
            raise refuse(f"it links to {link!r}, which resolves to {resolved}, outside the destination")
    elif not (member.isfile() or member.isdir()):
        raise refuse("it is a device file, FIFO or other special file")
    return False


_INTERPRETER = re.compile(r"bin/python(\d+(\.\d+)?)?")


def _base_interpreter(name: str, link: str) -> bool:
    """Whether ``name -> link`` is a virtualenv's link to an existing base Python interpreter."""
    if not (_INTERPRETER.fullmatch(name) and os.path.isabs(link)):
        return False
    target = os.path.realpath(link)
    return (os.path.isfile(target) and os.access(target, os.X_OK)
            and re.fullmatch(r"python\d+(\.\d+)?", os.path.basename(target)) is not None)


def _link_to(name: str, link: str) -> str:
    """The archive path a relative link names, without following links (``bin/python3 -> python``)."""
    return os.path.normpath(os.path.join(os.path.dirname(name), link))



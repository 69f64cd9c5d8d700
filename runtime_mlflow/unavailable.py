"""Why a model is down, when its process or worker died: the reason its 503 answers give.

Keyed by model name and version, so two versions of one model are down or up on their own.
:mod:`.compat.not_ready` makes MLServer answer a model that is not ready with 503 and this
reason; the protocol routes say it too.
"""

from __future__ import annotations

_down: dict[tuple[str, str], str] = {}


def _key(name: str, version: str | None) -> tuple[str, str]:
    return name, version or ""


def mark_down(name: str, version: str | None, reason: str) -> None:
    _down[_key(name, version)] = reason


def mark_up(name: str, version: str | None) -> None:
    _down.pop(_key(name, version), None)


def reason(name: str, version: str | None) -> str | None:
    """Why model ``name`` (``version``) is down, if its process is."""
    return _down.get(_key(name, version))

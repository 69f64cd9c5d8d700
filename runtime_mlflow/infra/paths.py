"""Path containment, the one check behind every "would this land outside its folder?"."""

from __future__ import annotations

import os
from pathlib import Path


def inside(path: str | Path, root: str | Path) -> bool:
    """Whether ``path``, links resolved, is ``root`` or below it (``root`` resolved too)."""
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)

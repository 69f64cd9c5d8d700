"""runtime_mlflow.infra.paths: the containment check."""

from __future__ import annotations

import os

from runtime_mlflow.infra.paths import inside


def test_inside_and_outside(tmp_path):
    (tmp_path / "root" / "a").mkdir(parents=True)
    root = tmp_path / "root"
    assert inside(root, root) and inside(root / "a" / "b", root)
    assert not inside(tmp_path / "rootless", root)  # a sibling sharing the prefix
    assert not inside(root / ".." / "other", root)


def test_links_are_followed(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "escape")
    assert not inside(root / "escape" / "file", root)
    os.symlink(root, tmp_path / "alias")
    assert inside(tmp_path / "alias" / "x", root)

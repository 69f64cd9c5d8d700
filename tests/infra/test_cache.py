"""The environment cache: made once, published atomically, never half-used, shared by processes."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from runtime_mlflow.infra import cache


def make_marker(counter: Path):
    def make(folder: Path) -> None:
        with counter.open("a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(0.5)  # long enough for a second process to arrive while this one works
        (folder / "bin").mkdir()
        (folder / "bin" / "python").write_text("made")
    return make


def test_made_once_then_reused(tmp_path):
    counter = tmp_path / "made"
    with cache.materialize(tmp_path / "c", "k", make_marker(counter), "test", "unpack") as entry:
        first = entry.path
    with cache.materialize(tmp_path / "c", "k", make_marker(counter), "test", "unpack") as entry:
        second = entry.path
    assert first == second and (first / "bin" / "python").read_text() == "made"
    assert counter.read_text().count("\n") == 1
    link = tmp_path / "c" / "environments" / "k"
    assert link.is_symlink() and (first / cache.COMPLETE).is_file()


def test_a_failed_make_leaves_nothing_behind(tmp_path):
    def broken(folder: Path) -> None:
        (folder / "half").write_text("x")
        raise RuntimeError("network down")

    with pytest.raises(RuntimeError, match="network down"):
        cache.materialize(tmp_path / "c", "k", broken, "test", "unpack")
    assert list((tmp_path / "c" / "environments").iterdir()) == []
    assert cache.lookup(tmp_path / "c", "k") is None


def test_a_half_made_folder_is_never_used(tmp_path):
    root = tmp_path / "c"
    half = root / "environments" / ".k.crashed"
    half.mkdir(parents=True)  # a process died while making it: no completion mark
    (root / "environments" / "k").symlink_to(half.name)
    assert cache.lookup(root, "k") is None
    with cache.materialize(root, "k", make_marker(tmp_path / "made"), "test", "unpack") as entry:
        made = entry.path
    assert made != half and not half.exists()


def _materialize_in_process(root: str, counter: str, queue) -> None:
    with cache.materialize(Path(root), "shared", make_marker(Path(counter)), "test", "unpack") as entry:
        queue.put(str(entry.path))


def test_concurrent_processes_make_it_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_materialize_in_process, args=(str(tmp_path / "c"), str(tmp_path / "made"), queue))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert {queue.get(timeout=5) for _ in workers} == {str(cache.lookup(tmp_path / "c", "shared"))}
    assert (tmp_path / "made").read_text().count("\n") == 1


def test_digest_is_not_recomputed_for_an_unchanged_file(tmp_path, caplog):
    tarball = tmp_path / "environment.tar.gz"
    tarball.write_bytes(b"a" * 1000)
    with caplog.at_level(logging.INFO, logger="mlserver.runtime_mlflow"):
        first = cache.file_digest(tmp_path / "c", tarball)
        again = cache.file_digest(tmp_path / "c", tarball)
        assert first == again and caplog.text.count("Hashing") == 1
        tarball.write_bytes(b"b" * 1000)  # same size, new content and mtime
        os.utime(tarball, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
        changed = cache.file_digest(tmp_path / "c", tarball)
    assert changed != first and caplog.text.count("Hashing") == 2


def test_cache_root_defaults_to_the_user_cache_never_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_root() == tmp_path / "xdg" / "runtime-mlflow"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_root() == Path.home() / ".cache" / "runtime-mlflow"
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "env"))
    assert cache.cache_root() == tmp_path / "env"
    assert cache.cache_root("rel", base=tmp_path / "models") == tmp_path / "models" / "rel"

"""Cache eviction: least recently used first, past a size or an age limit, never an entry in use."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from runtime_mlflow.infra import cache, eviction
from runtime_mlflow.infra.eviction import Limits


def put(root: Path, key: str, size: int, used: float, kind: str = "environments") -> Path:
    """A finished entry of ``size`` bytes, last used at ``used``, not in use."""
    def make(folder: Path) -> None:
        (folder / "data").write_bytes(b"x" * size)

    with cache.materialize(root, key, make, f"test {key}", "unpack", kind=kind) as entry:
        pass
    os.utime(root / "locks" / f"{key}.use", (used, used))
    return entry.path


def keys(root: Path) -> set[str]:
    return {e.key for e in eviction.entries(root)}


def test_limits_read_units_and_none(monkeypatch):
    monkeypatch.delenv(eviction.SIZE_ENV, raising=False)
    monkeypatch.delenv(eviction.AGE_ENV, raising=False)
    assert Limits.from_environ() == Limits(10 * 10**9, 30 * 86400)
    monkeypatch.setenv(eviction.SIZE_ENV, "2GiB")
    monkeypatch.setenv(eviction.AGE_ENV, "12h")
    assert Limits.from_environ() == Limits(2 * 2**30, 12 * 3600)
    monkeypatch.setenv(eviction.SIZE_ENV, "1500")
    monkeypatch.setenv(eviction.AGE_ENV, "none")
    assert Limits.from_environ() == Limits(1500, None)
    monkeypatch.setenv(eviction.SIZE_ENV, "ten gigs")
    with pytest.raises(ValueError, match=rf"{eviction.SIZE_ENV}='ten gigs': expected a number"):
        Limits.from_environ()


def test_a_malformed_limit_is_logged_and_nothing_removed(tmp_path, monkeypatch, caplog):
    put(tmp_path, "a", 100, used=1)
    monkeypatch.setenv(eviction.AGE_ENV, "-3d")
    assert eviction.sweep(tmp_path) == []
    assert keys(tmp_path) == {"a"} and "Cache limits not applied" in caplog.text


def test_over_the_size_limit_the_least_recently_used_go_first(tmp_path):
    now = time.time()
    old = put(tmp_path, "old", 1000, used=now - 300)
    put(tmp_path, "mid", 1000, used=now - 200, kind="models")
    put(tmp_path, "new", 1000, used=now - 100)
    removed = eviction.sweep(tmp_path, Limits(max_bytes=2500, max_age=None), now=now)
    assert [e.key for e in removed] == ["old"] and not old.exists()
    assert keys(tmp_path) == {"mid", "new"}
    assert cache.lookup(tmp_path, "old") is None and cache.lookup(tmp_path, "mid", "models") is not None
    eviction.sweep(tmp_path, Limits(max_bytes=1000, max_age=None), now=now)
    assert keys(tmp_path) == {"new"}


def test_entries_unused_for_longer_than_the_age_limit_go(tmp_path):
    now = time.time()
    put(tmp_path, "stale", 10, used=now - 3 * 86400)
    put(tmp_path, "fresh", 10, used=now - 3600)
    eviction.sweep(tmp_path, Limits(max_bytes=None, max_age=86400), now=now)
    assert keys(tmp_path) == {"fresh"}


def test_an_entry_in_use_is_never_evicted_and_goes_once_released(tmp_path):
    held = cache.materialize(tmp_path, "held", lambda f: (f / "data").write_bytes(b"x" * 100), "test", "unpack")
    assert eviction.sweep(tmp_path, Limits(max_bytes=0, max_age=0), now=time.time() + 10**6) == []
    assert (held.path / "data").is_file()
    held.release()
    assert [e.key for e in eviction.sweep(tmp_path, Limits(max_bytes=0, max_age=None))] == ["held"]
    assert not held.path.exists()


def test_release_records_the_last_use(tmp_path):
    with cache.materialize(tmp_path, "k", lambda f: None, "test", "unpack"):
        os.utime(tmp_path / "locks" / "k.use", (1, 1))
    assert time.time() - eviction.entries(tmp_path)[0].last_used < 60


def test_a_folder_left_by_a_dead_maker_is_removed(tmp_path):
    put(tmp_path, "k", 10, used=time.time())
    orphan = tmp_path / "environments" / ".k.crashed"
    orphan.mkdir()
    (orphan / "half").write_text("x")
    eviction.sweep(tmp_path, Limits(None, None))
    assert not orphan.exists() and keys(tmp_path) == {"k"}


def test_digests_unread_for_longer_than_the_age_limit_go(tmp_path):
    tarball = tmp_path / "environment.tar.gz"
    tarball.write_bytes(b"a")
    cache.file_digest(tmp_path / "c", tarball)
    (digest,) = (tmp_path / "c" / "digests").iterdir()
    eviction.sweep(tmp_path / "c", Limits(None, 86400))
    assert digest.exists()
    os.utime(digest, (1, 1))
    eviction.sweep(tmp_path / "c", Limits(None, 86400))
    assert not digest.exists()


def _hold_until_told(root: str, key: str, ready, done) -> None:
    with cache.materialize(Path(root), key, lambda f: (f / "data").write_text("x"), "other server", "unpack"):
        ready.set()
        done.wait(60)


def test_an_entry_held_by_another_process_is_kept_until_that_process_ends(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_hold_until_told, args=(str(tmp_path), "shared", ready, done))
    other.start()
    try:
        assert ready.wait(60)
        assert eviction.sweep(tmp_path, Limits(0, 0), now=time.time() + 10**6) == []
        assert cache.lookup(tmp_path, "shared") is not None
    finally:
        done.set()
        other.join(60)
    assert [e.key for e in eviction.sweep(tmp_path, Limits(0, None))] == ["shared"]


def _churn(root: str, seconds: float, failures) -> None:
    """Use entries and sweep with no room at all, as two servers sharing one cache would."""
    stop = time.monotonic() + seconds
    n = 0
    while time.monotonic() < stop:
        key = f"k{n % 3}"
        n += 1
        try:
            with cache.materialize(Path(root), key, lambda f: (f / "data").write_text("made"), "churn", "unpack") as entry:
                if (entry.path / "data").read_text() != "made" or not (entry.path / cache.COMPLETE).is_file():
                    failures.put(f"{key}: incomplete entry handed out")
            eviction.sweep(Path(root), Limits(0, None))
        except Exception as exc:
            failures.put(f"{key}: {type(exc).__name__}: {exc}")


def test_two_processes_using_and_evicting_one_cache_never_hand_out_a_removed_entry(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    failures = ctx.Queue()
    workers = [ctx.Process(target=_churn, args=(str(tmp_path), 4.0, failures)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(90)
    found = []
    while not failures.empty():
        found.append(failures.get())
    assert found == [] and all(w.exitcode == 0 for w in workers)
    eviction.sweep(tmp_path, Limits(0, None))
    assert keys(tmp_path) == set()
    assert [p.name for p in (tmp_path / "environments").iterdir()] == []

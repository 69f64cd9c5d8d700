"""Archives that try to write outside their destination are refused, naming the member."""

from __future__ import annotations

import io
import os
import sys
import tarfile
from pathlib import Path

import pytest

from runtime_mlflow.errors import UnsafeArchive
from runtime_mlflow.infra.extract import extract


def member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"x", link: str = "") -> tuple:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def archive(path: Path, *members: tuple) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, data)
    return path


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[Path, Path]:
    """(destination, outside): the outside folder must stay empty whatever the archive says."""
    dest, outside = tmp_path / "cache" / "dest", tmp_path / "outside"
    dest.mkdir(parents=True)
    outside.mkdir()
    return dest, outside


def test_a_plain_archive_is_extracted(tmp_path, sandbox):
    dest, _ = sandbox
    tar = archive(tmp_path / "ok.tar.gz", member("bin/python", data=b"#!"), member("lib", tarfile.DIRTYPE),
                  member("lib64", tarfile.SYMTYPE, link="lib"), member("bin/python3", tarfile.SYMTYPE, link="python"),
                  member("bin/hard", tarfile.LNKTYPE, link="bin/python"))
    assert extract(tar, dest) == 5
    assert (dest / "bin" / "python3").read_bytes() == b"#!"
    assert (dest / "bin" / "hard").read_bytes() == b"#!"


@pytest.mark.parametrize(
    ("members", "culprit", "why"),
    [
        pytest.param([member("../../outside/evil")], "../../outside/evil", "'..'", id="dotdot"),
        pytest.param([member("ok/../../../outside/evil")], "ok/../../../outside/evil", "'..'", id="dotdot-inside"),
        pytest.param([member("/tmp/evil-absolute")], "/tmp/evil-absolute", "absolute path", id="absolute"),
        pytest.param([member("esc", tarfile.SYMTYPE, link="../../outside"), member("esc/evil")],
                     "esc", "outside the destination", id="symlink-escape"),
        pytest.param([member("abs", tarfile.SYMTYPE, link="/etc")], "abs", "absolute path", id="absolute-symlink"),
        pytest.param([member("here", tarfile.SYMTYPE, link="."), member("up", tarfile.SYMTYPE, link="here/..")],
                     "up", "outside the destination", id="symlink-chain-escape"),
        pytest.param([member("hard", tarfile.LNKTYPE, link="../../outside/evil")], "hard", "outside the destination",
                     id="hardlink-escape"),
        pytest.param([member("hard", tarfile.LNKTYPE, link="/etc/passwd")], "hard", "absolute path",
                     id="absolute-hardlink"),
        pytest.param([member("dev/null", tarfile.CHRTYPE)], "dev/null", "device file", id="char-device"),
        pytest.param([member("dev/sda", tarfile.BLKTYPE)], "dev/sda", "device file", id="block-device"),
        pytest.param([member("pipe", tarfile.FIFOTYPE)], "pipe", "FIFO", id="fifo"),
    ],
)
def test_unsafe_members_are_refused_and_nothing_is_written_outside(tmp_path, sandbox, members, culprit, why):
    dest, outside = sandbox
    tar = archive(tmp_path / "evil.tar.gz", member("fine.txt"), *members)
    with pytest.raises(UnsafeArchive) as raised:
        extract(tar, dest)
    message = str(raised.value)
    assert repr(culprit) in message and why in message and str(tar) in message
    assert list(outside.iterdir()) == []
    assert not Path("/tmp/evil-absolute").exists()
    for path, _, files in os.walk(tmp_path):
        assert "evil" not in files or Path(path).is_relative_to(dest), path


def test_a_virtualenvs_link_to_its_base_interpreter_is_accepted(tmp_path, sandbox):
    dest, _ = sandbox
    base = os.path.realpath(sys.executable)  # an existing Python interpreter, as conda-pack keeps it
    tar = archive(tmp_path / "venv.tar.gz", member("bin/python", tarfile.SYMTYPE, link=base),
                  member("bin/python3", tarfile.SYMTYPE, link="python"))
    extract(tar, dest)
    assert os.path.realpath(dest / "bin" / "python3") == base


@pytest.mark.parametrize(
    ("name", "link"),
    [
        pytest.param("bin/python", "/etc/passwd", id="not-an-interpreter"),
        pytest.param("bin/python", "/nowhere/bin/python3.9", id="interpreter-missing-here"),
        pytest.param("lib/python", os.path.realpath(sys.executable), id="not-bin-python"),
    ],
)
def test_other_absolute_links_are_refused(tmp_path, sandbox, name, link):
    dest, _ = sandbox
    tar = archive(tmp_path / "venv.tar.gz", member(name, tarfile.SYMTYPE, link=link))
    with pytest.raises(UnsafeArchive, match="absolute path"):
        extract(tar, dest)


def test_nothing_is_written_through_the_interpreter_link(tmp_path, sandbox):
    dest, _ = sandbox
    tar = archive(tmp_path / "venv.tar.gz", member("bin/python", tarfile.SYMTYPE, link=os.path.realpath(sys.executable)),
                  member("bin/python/evil"))
    with pytest.raises(UnsafeArchive, match="outside the destination"):
        extract(tar, dest)


def test_a_corrupt_archive_is_a_load_error(tmp_path, sandbox):
    dest, _ = sandbox
    (tmp_path / "bad.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(Exception, match="could not be unpacked"):
        extract(tmp_path / "bad.tar.gz", dest)

"""Models published as one archive at an ``http(s)://`` URL (``.tar.gz``, ``.tgz``, ``.tar``, ``.zip``).

The archive's ``ETag`` (else ``Last-Modified`` and ``Content-Length``) from a ``HEAD``
request versions it in the cache; a server that sends neither is downloaded at every
load and keyed by the content's sha256. Archives are unpacked with the same checks as
environments (no absolute paths, no ``..``, no links leading outside).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from pathlib import Path

import requests

from ..environments.extract import UnsafeArchive, extract
from ..errors import ModelLoadError
from .buckets import SourceRefused

SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
TIMEOUT = (10, 300)


def is_archive(uri: str) -> bool:
    path = uri.split("?", 1)[0].split("#", 1)[0].lower()
    return path.startswith(("http://", "https://")) and path.endswith(SUFFIXES)


def version(url: str) -> str | None:
    """What identifies this version of the archive, from a HEAD request; None if the server says nothing."""
    response = requests.head(url, allow_redirects=True, timeout=TIMEOUT)
    _check(url, response)
    etag = response.headers.get("ETag")
    if etag:
        return f"etag:{etag}"
    modified = response.headers.get("Last-Modified")
    if modified:
        return f"modified:{modified}:{response.headers.get('Content-Length', '')}"
    return None


def download(url: str, dest: Path) -> str:
    """Stream ``url`` into ``dest``; returns the content's sha256."""
    digest = hashlib.sha256()
    with requests.get(url, stream=True, timeout=TIMEOUT) as response:
        _check(url, response)
        with dest.open("wb") as out:
            for chunk in response.iter_content(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    return digest.hexdigest()


def unpack(url: str, archive: Path, folder: Path) -> None:
    if archive.name.lower().endswith(".zip") or zipfile.is_zipfile(archive):
        _unzip(archive, folder)
    else:
        extract(archive, folder)


def fetch(url: str, folder: Path) -> None:
    """Download and unpack the archive at ``url`` into ``folder``."""
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as scratch:  # counted by the progress log
        archive = Path(scratch) / _name(url)
        download(url, archive)
        unpack(url, archive, folder)


def _unzip(archive: Path, folder: Path) -> None:
    root = folder.resolve()
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            target = (root / info.filename).resolve()
            if info.filename.startswith("/") or ".." in Path(info.filename).parts or not target.is_relative_to(root):
                raise UnsafeArchive(f"{archive.name}: member {info.filename!r} refused: it would be written outside")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(info) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)


def _name(url: str) -> str:
    path = url.split("?", 1)[0].split("#", 1)[0]
    return next(((f"archive{s}") for s in SUFFIXES if path.lower().endswith(s)), "archive")


def _check(url: str, response: requests.Response) -> None:
    if response.status_code == 404:
        raise SourceRefused("not found (HTTP 404)")
    if response.status_code in (401, 403):
        raise SourceRefused(f"access denied (HTTP {response.status_code})")
    if 400 <= response.status_code < 500:
        raise ModelLoadError(f"HTTP {response.status_code}")
    response.raise_for_status()  # 5xx: transient, retried by the caller

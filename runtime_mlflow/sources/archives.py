"""Models published as one archive at an ``http(s)://`` URL (``.tar.gz``, ``.tgz``, ``.tar``, ``.zip``).

The archive's ``ETag`` (else ``Last-Modified`` and its length) from a ``HEAD`` request
versions it in the cache; a server that sends neither is downloaded at every load and
keyed by the content's sha256. A URL that refuses ``HEAD`` (a presigned URL is signed for
one method, usually GET) is asked with a one-byte ranged ``GET`` instead. Archives are unpacked with the same checks as
environments (no absolute paths, no ``..``, no links leading outside).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from pathlib import Path

import requests

from ..errors import ModelLoadError, SourceRefused, UnsafeArchive
from ..infra.extract import extract
from ..infra.paths import inside

SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
TIMEOUT = (10, 300)


def is_archive(uri: str) -> bool:
    path = uri.split("?", 1)[0].split("#", 1)[0].lower()
    return path.startswith(("http://", "https://")) and path.endswith(SUFFIXES)


_HEAD_REFUSED = frozenset({400, 403, 405, 501})


def version(url: str) -> str | None:
    """What identifies this version of the archive, from a HEAD request (else a one-byte
    GET); None if the server says nothing."""
    response = requests.head(url, allow_redirects=True, timeout=TIMEOUT)
    if response.status_code in _HEAD_REFUSED:
        with requests.get(url, headers={"Range": "bytes=0-0"}, stream=True, timeout=TIMEOUT) as response:
            _check(url, response)
            return _identity(response.headers)
    _check(url, response)
    return _identity(response.headers)


def _identity(headers: requests.structures.CaseInsensitiveDict[str]) -> str | None:
    etag = headers.get("ETag")
    if etag:
        return f"etag:{etag}"
    modified = headers.get("Last-Modified")
    if modified:
        # a ranged answer's Content-Length is the range's; Content-Range ends with the whole length
        length = headers.get("Content-Range", "").rpartition("/")[2] or headers.get("Content-Length", "")
        return f"modified:{modified}:{length}"
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
            if info.filename.startswith("/") or ".." in Path(info.filename).parts or not inside(target, root):
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

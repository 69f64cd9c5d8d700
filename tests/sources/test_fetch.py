"""Source helpers that need no server: redaction, archive detection, retries, locating MLmodel."""

from __future__ import annotations

import logging
import time
import zipfile

import pytest

from runtime_mlflow import sources
from runtime_mlflow.errors import ModelLoadError, SourceRefused, UnsafeArchive
from runtime_mlflow.sources import archives, buckets, redact
from runtime_mlflow.uri import is_remote


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        pytest.param("https://alice:pa55word@host:8443/m.tar.gz", "https://***@host:8443/m.tar.gz", id="userinfo"),
        pytest.param("https://host/m.zip?X-Amz-Signature=abc123&x=1", "https://host/m.zip?X-Amz-Signature=***&x=1",
                     id="signed-query"),
        pytest.param("https://storage.example/b/m.tar.gz?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam"
                     "&X-Goog-Date=20261130T000000Z&X-Goog-Signature=0a1b2c",
                     "https://storage.example/b/m.tar.gz?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=***"
                     "&X-Goog-Date=20261130T000000Z&X-Goog-Signature=***", id="gcs-signed-v4"),
        pytest.param("https://storage.example/b/m.zip?GoogleAccessId=sa&Expires=1&Signature=abc",
                     "https://storage.example/b/m.zip?GoogleAccessId=***&Expires=1&Signature=***", id="gcs-signed-v2"),
        pytest.param("s3://bucket/wine", "s3://bucket/wine", id="plain"),
    ],
)
def test_uris_lose_their_secrets(uri, shown):
    assert redact.redact_uri(uri) == shown


def test_credential_values_are_replaced_in_any_text(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG")
    assert redact.text("signature for wJalrXUtnFEMI/K7MDENG failed") == "signature for *** failed"


@pytest.mark.parametrize(
    ("uri", "remote", "archive"),
    [
        ("s3://b/p", True, False), ("gs://b/p", True, False), ("models:/wine@champion", True, False),
        ("runs:/abc/model", True, False), ("https://h/m.tar.gz", True, True), ("http://h/m.ZIP?x=1", True, True),
        ("https://h/api/2.0/mlflow-artifacts/artifacts/0/m", True, False), ("./model", False, False),
        ("file:///m", False, False), (None, False, False),
    ],
)
def test_which_uris_are_remote_and_which_are_archives(uri, remote, archive):
    assert is_remote(uri) is remote
    assert (uri is not None and archives.is_archive(uri)) is archive


def test_a_prefix_is_a_folder():
    assert buckets.split("s3://bucket/wine") == ("bucket", "wine/")
    assert buckets.split("gs://bucket/a/b/") == ("bucket", "a/b/")


def test_transient_errors_are_retried_a_bounded_number_of_times(monkeypatch):
    monkeypatch.setattr(sources.time, "sleep", lambda seconds: None)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("reset by peer")
        return "ok"

    assert sources._retry(flaky, sources._never) == "ok" and len(calls) == 3
    calls.clear()

    def down():
        calls.append(1)
        raise ConnectionError("down")

    with pytest.raises(ModelLoadError, match="after 3 attempts"):
        sources._retry(down, sources._never)
    assert len(calls) == 3


def test_permanent_errors_are_not_retried():
    calls = []

    def missing():
        calls.append(1)
        raise KeyError("gone")

    with pytest.raises(SourceRefused, match="not there"):
        sources._retry(missing, lambda exc: "not there")
    assert len(calls) == 1


def test_mlmodel_is_found_at_the_top_or_one_folder_down(tmp_path):
    (tmp_path / "a" / "model").mkdir(parents=True)
    (tmp_path / "a" / "model" / "MLmodel").write_text("")
    assert sources.model_folder(tmp_path / "a", "x") == tmp_path / "a" / "model"
    (tmp_path / "a" / "MLmodel").write_text("")
    assert sources.model_folder(tmp_path / "a", "x") == tmp_path / "a"
    (tmp_path / "b").mkdir()
    with pytest.raises(ModelLoadError, match="no MLmodel"):
        sources.model_folder(tmp_path / "b", "x")


def test_long_downloads_report_progress(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(sources, "PROGRESS_EVERY", 0.05)
    caplog.set_level(logging.INFO, logger="mlserver.runtime_mlflow")
    with sources._progress("m", "s3://b/p", tmp_path, total=2_000_000):
        (tmp_path / "part").write_bytes(b"x" * 1_000_000)
        time.sleep(0.3)
    assert "downloading s3://b/p: 1.0 of 2.0 MB" in caplog.text
    assert "downloaded s3://b/p (1.0 MB)" in caplog.text


@pytest.mark.parametrize("name", ["../evil.txt", "/abs/evil.txt", "ok/../../evil.txt"])
def test_zip_archives_cannot_write_outside_the_model_folder(tmp_path, name):
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("MLmodel", "flavors: {}")
        zipped.writestr(name, "x")
    folder = tmp_path / "cache" / "model"
    folder.mkdir(parents=True)
    with pytest.raises(UnsafeArchive, match="refused"):
        archives.unpack("http://h/model.zip", archive, folder)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "cache" / "evil.txt").exists()

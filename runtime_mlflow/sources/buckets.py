"""Models in object stores: ``s3://bucket/prefix`` with boto3, ``gs://bucket/prefix`` with google-cloud-storage.

Both list the objects under the prefix first: the listing (keys and ETags) is the
version of the model, so an unchanged folder is found in the cache, and a wrong bucket
or prefix is refused before anything is written. Credentials and endpoints come from
the SDKs' own settings: for S3 ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_DEFAULT_REGION`` and ``AWS_ENDPOINT_URL`` (or MLflow's ``MLFLOW_S3_ENDPOINT_URL``);
for GCS application default credentials, or ``STORAGE_EMULATOR_HOST`` for an emulator.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import extras
from ..errors import ModelLoadError
from ..infra.paths import inside


@dataclass(frozen=True)
class Listing:
    bucket: str
    prefix: str
    objects: tuple[tuple[str, str, int], ...]
    """(key, etag, size) of every object under the prefix."""

    @property
    def version(self) -> str:
        return hashlib.sha256(json.dumps(self.objects).encode()).hexdigest()[:16]

    @property
    def size(self) -> int:
        return sum(size for _, _, size in self.objects)


def split(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    prefix = parts.path.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"  # a folder: "wine" must not also match "wine-old/"
    return parts.netloc, prefix


class S3:
    scheme = "s3"

    def __init__(self) -> None:
        import boto3
        from botocore.config import Config

        endpoint = os.environ.get("MLFLOW_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL") or None
        # boto3's own retries cover throttling and 5xx; ours (in fetch) cover the rest.
        config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60)
        self.client = boto3.client("s3", endpoint_url=endpoint, config=config)

    def list(self, uri: str) -> Listing:
        bucket, prefix = split(uri)
        objects = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if not item["Key"].endswith("/"):
                    objects.append((item["Key"], item.get("ETag", "").strip('"'), int(item.get("Size", 0))))
        return Listing(bucket, prefix, tuple(sorted(objects)))

    def download(self, listing: Listing, key: str, dest: Path) -> None:
        self.client.download_file(listing.bucket, key, str(dest))

    @staticmethod
    def permanent(exc: BaseException) -> str | None:
        """Why ``exc`` will not go away by retrying, or None if it might."""
        from botocore.exceptions import ClientError, NoCredentialsError, ParamValidationError

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in ("NoSuchBucket", "NoSuchKey", "404", "NotFound"):
                return f"not found ({code}: {error.get('Message', '')})"
            if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch") or status in (401, 403):
                return f"access denied ({code}: {error.get('Message', '')})"
            if 400 <= status < 500:
                return f"{code}: {error.get('Message', '')}"
        if isinstance(exc, (NoCredentialsError, ParamValidationError)):
            return str(exc)
        return None


class GCS:
    scheme = "gs"

    def __init__(self) -> None:
        from google.cloud import storage

        if os.environ.get("STORAGE_EMULATOR_HOST"):
            from google.auth.credentials import AnonymousCredentials

            self.client = storage.Client(project=os.environ.get("GOOGLE_CLOUD_PROJECT", "emulator"),
                                         credentials=AnonymousCredentials())
        else:
            self.client = storage.Client()

    def list(self, uri: str) -> Listing:
        bucket, prefix = split(uri)
        objects = [(blob.name, blob.etag or blob.md5_hash or "", int(blob.size or 0))
                   for blob in self.client.list_blobs(bucket, prefix=prefix) if not blob.name.endswith("/")]
        return Listing(bucket, prefix, tuple(sorted(objects)))

    def download(self, listing: Listing, key: str, dest: Path) -> None:
        self.client.bucket(listing.bucket).blob(key).download_to_filename(str(dest))

    @staticmethod
    def permanent(exc: BaseException) -> str | None:
        from google.api_core import exceptions as gexc
        from google.auth.exceptions import DefaultCredentialsError

        if isinstance(exc, gexc.NotFound):
            return f"not found ({exc.message})"
        if isinstance(exc, (gexc.Forbidden, gexc.Unauthorized)):
            return f"access denied ({exc.message})"
        if isinstance(exc, gexc.ClientError):
            return str(exc.message)
        if isinstance(exc, DefaultCredentialsError):
            return f"no Google credentials ({exc})"
        return None


def store_for(scheme: str) -> Any:
    extras.need_scheme(scheme, f"{scheme}:// model URIs")
    return {"s3": S3, "gs": GCS}[scheme]()


def fetch_listing(store: Any, listing: Listing, folder: Path) -> None:
    """Download every listed object into ``folder``, keeping the layout below the prefix."""
    for key, _, _ in listing.objects:
        relative = key[len(listing.prefix):]
        dest = (folder / relative).resolve()
        if not inside(dest, folder):
            raise ModelLoadError(f"object {key!r} would be written outside the model folder")
        dest.parent.mkdir(parents=True, exist_ok=True)
        store.download(listing, key, dest)

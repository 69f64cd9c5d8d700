"""Keep credentials out of logs, errors and metadata."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

SECRET_VARIABLES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_CLIENT_CERT_PATH", "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_CONNECTION_STRING", "GOOGLE_APPLICATION_CREDENTIALS",
)
# Signed-URL and token query parameters: S3 (X-Amz-*), GCS (X-Goog-*, and the older
# GoogleAccessId/Signature form), Azure SAS (sig), and the usual token and key names.
_QUERY_SECRETS = re.compile(r"(?i)([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|"
                            r"x-goog-credential|x-goog-security-token|googleaccessid|signature|sig|token|"
                            r"access_token|id_token|key|api_key|apikey|password|secret|client_secret)=)[^&\s]+")


def redact_uri(uri: str) -> str:
    """``uri`` without a password or user in it, and without signed-query secrets."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return text(uri)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        parts = parts._replace(netloc=f"***@{host}")
    return text(_QUERY_SECRETS.sub(r"\1***", urlunsplit(parts)))


def text(message: str) -> str:
    """``message`` with the value of every credential variable that is set replaced by ``***``."""
    for name in SECRET_VARIABLES:
        value = os.environ.get(name)
        if value and len(value) >= 4:
            message = message.replace(value, "***")
    return _QUERY_SECRETS.sub(r"\1***", message)

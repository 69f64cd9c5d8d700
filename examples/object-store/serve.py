"""Serve the wine model from s3:// against a local S3-protocol server (moto).

    python examples/object-store/serve.py [COMMAND ...]
    # COMMAND defaults to: mlserver start examples/object-store

1. starts moto's S3 server on 127.0.0.1:$EXAMPLE_S3_PORT (default 9000);
2. uploads the wine model (examples/wine/model, trained first if missing) to
   ``s3://models/wine``;
3. runs COMMAND with the variables the runtime reads for S3, as for any S3 store:
   ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION`` and
   ``MLFLOW_S3_ENDPOINT_URL`` (only for a store other than AWS: here, moto);
4. stops moto when COMMAND exits.

moto comes with this repository's test extras (``pip install "moto[server]"``).
"""

import os
import subprocess
import sys
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import launch  # noqa: E402  (examples/launch.py)

WINE = HERE.parent / "wine"
BIN = Path(sys.executable).parent
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "example-key", "AWS_SECRET_ACCESS_KEY": "example-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


def upload(endpoint: str) -> None:
    if not (WINE / "model" / "MLmodel").exists():
        subprocess.run([sys.executable, str(WINE / "train.py")], check=True)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
                      aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
    s3.create_bucket(Bucket="models")
    for path in sorted((WINE / "model").rglob("*")):
        if path.is_file():
            s3.upload_file(str(path), "models", f"wine/{path.relative_to(WINE / 'model')}")
    print(f"uploaded {WINE / 'model'} to s3://models/wine at {endpoint}", flush=True)


def main(command: list[str]) -> int:
    launch.stop_cleanly()  # stopped while starting: still clean up
    port = int(os.environ.get("EXAMPLE_S3_PORT", "9000"))
    endpoint = f"http://127.0.0.1:{port}"
    with launch.service([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], port, "moto"):
        upload(endpoint)
        env = {**os.environ, **CREDENTIALS, "MLFLOW_S3_ENDPOINT_URL": endpoint}
        return launch.run(command or ["mlserver", "start", str(HERE)], env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

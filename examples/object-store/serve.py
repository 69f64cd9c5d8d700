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
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
WINE = HERE.parent / "wine"
BIN = Path(sys.executable).parent
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "example-key", "AWS_SECRET_ACCESS_KEY": "example-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


def wait_for(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"moto did not start on port {port}")


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


def run(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` until it exits; SIGTERM (as from Kubernetes or a test) is passed on to it."""
    child = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        return child.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the command too: let it finish stopping
        return child.wait()


def main(command: list[str]) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped while starting: still clean up
    port = int(os.environ.get("EXAMPLE_S3_PORT", "9000"))
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, moto)
        upload(endpoint)
        env = {**os.environ, **CREDENTIALS, "MLFLOW_S3_ENDPOINT_URL": endpoint}
        return run(command or ["mlserver", "start", str(HERE)], env)
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

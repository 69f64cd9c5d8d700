"""The ``runtime-mlflow`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .errors import RuntimeMLflowError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runtime-mlflow", description="Tools for serving MLflow models.")
    commands = parser.add_subparsers(dest="command", required=True)
    pack = commands.add_parser(
        "pack", help="build MODEL_DIR/environment.tar.gz from the model's requirements (no conda needed)"
    )
    pack.add_argument("model_dir", type=Path, help="an MLflow model folder (with MLmodel)")
    pack.add_argument("-o", "--output", type=Path, help="archive path (default: MODEL_DIR/environment.tar.gz)")
    pack.add_argument("--python", help="Python version to build with, e.g. 3.11 (default: the model's)")
    pack.add_argument("--allow-local-python", action="store_true",
                      help="build with this Python if the model's version is not installed")
    pack.add_argument("--no-verify", action="store_true", help="do not load the model from the archive afterwards")
    pack.add_argument("--compress-level", type=int, default=4, help="gzip level, 0-9 (default 4)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    from .pack import pack as run_pack

    try:
        output = run_pack(args.model_dir, args.output, args.python, args.allow_local_python,
                          verify=not args.no_verify, compress_level=args.compress_level)
    except RuntimeMLflowError as exc:
        print(f"runtime-mlflow pack: {exc}", file=sys.stderr)
        return 1
    print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

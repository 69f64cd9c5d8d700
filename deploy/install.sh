#!/bin/sh
# Install runtime_mlflow into a virtualenv of its own, as the image does (Dockerfile).
#
#   deploy/install.sh SOURCE [VENV]      SOURCE: this repository (or a built wheel)
#
# VENV defaults to /opt/runtime-mlflow. EXTRAS (e.g. "flavors") installs optional extras
# of the package; PIP_ARGS adds pip options (an index, a constraints file). The virtualenv
# is made read-only for everyone but its owner: nothing is written into it at run time.
# tests/test_deploy.py runs this very script to build the environment it serves from.
set -eu
SOURCE=${1:?usage: install.sh SOURCE [VENV]}
VENV=${2:-/opt/runtime-mlflow}
PYTHON=${PYTHON:-python3}

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --no-cache-dir --upgrade pip
if [ -n "${EXTRAS:-}" ]; then
    TARGET="$SOURCE[$EXTRAS]"
else
    TARGET="$SOURCE"
fi
# shellcheck disable=SC2086  # PIP_ARGS is a list of options
"$VENV/bin/python" -m pip install --quiet --no-cache-dir ${PIP_ARGS:-} "$TARGET"
# compile now, as the owner: the server's user cannot write __pycache__ there
"$VENV/bin/python" -m compileall -q "$VENV/lib" > /dev/null || true
chmod -R go-w "$VENV"

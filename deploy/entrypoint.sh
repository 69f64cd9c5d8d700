#!/bin/sh
# The image's entrypoint: `mlserver start` on the model repository.
#
# MLSERVER_MODELS_DIR (default /mnt/models, where KServe's storage initializer puts the
# model) holds model-settings.json files, an MLflow model folder, or nothing: with no
# model-settings.json, MLSERVER_MODEL_NAME, MLSERVER_MODEL_IMPLEMENTATION and
# MLSERVER_MODEL_URI describe the one model (as KServe's kserve-mlserver runtime sets them).
# Ports come from MLSERVER_HTTP_PORT, MLSERVER_GRPC_PORT and MLSERVER_METRICS_PORT (8080,
# 8081, 8082). Everything written at run time goes under RUNTIME_MLFLOW_STATE (default
# /tmp/runtime-mlflow, an emptyDir in Kubernetes): MLServer's metrics and environments
# folders, temporary files, and the cache unless RUNTIME_MLFLOW_CACHE_DIR names another.
set -eu
STATE=${RUNTIME_MLFLOW_STATE:-/tmp/runtime-mlflow}
mkdir -p "$STATE"
export RUNTIME_MLFLOW_CACHE_DIR="${RUNTIME_MLFLOW_CACHE_DIR:-$STATE/cache}"
export MLSERVER_METRICS_DIR="${MLSERVER_METRICS_DIR:-$STATE/metrics}"
export MLSERVER_ENVIRONMENTS_DIR="${MLSERVER_ENVIRONMENTS_DIR:-$STATE/envs}"
export TMPDIR="${TMPDIR:-$STATE/tmp}"  # a read-only root filesystem has no writable /tmp
mkdir -p "$RUNTIME_MLFLOW_CACHE_DIR" "$MLSERVER_METRICS_DIR" "$MLSERVER_ENVIRONMENTS_DIR" "$TMPDIR"
export PYTHONDONTWRITEBYTECODE=1  # a model's code_paths are imported from its (read-only) folder
VENV=${RUNTIME_MLFLOW_VENV:-/opt/runtime-mlflow}
export PATH="$VENV/bin:$PATH"  # MLServer's workers find tools by name
cd "$STATE"  # MLServer writes into its working directory
exec "$VENV/bin/mlserver" start "${MLSERVER_MODELS_DIR:-/mnt/models}"

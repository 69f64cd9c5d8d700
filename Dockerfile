# The runtime's image: `mlserver start` as a non-root user, with this package in
# /opt/runtime-mlflow (installed by deploy/install.sh, the script tests/test_deploy.py runs).
#
#   docker build -t runtime-mlflow .                       # --build-arg EXTRAS=... for extras
#   docker run -p 8080:8080 -p 8081:8081 -v $PWD/examples/iris-proba/model:/mnt/models:ro \
#     -e MLSERVER_MODEL_NAME=iris -e MLSERVER_MODEL_IMPLEMENTATION=runtime_mlflow.MLflowRuntime \
#     -e MLSERVER_MODEL_URI=/mnt/models runtime-mlflow
#
# Ports 8080 (REST), 8081 (gRPC), 8082 (metrics): MLSERVER_HTTP_PORT, MLSERVER_GRPC_PORT,
# MLSERVER_METRICS_PORT. The model is read from /mnt/models (read-only is fine): a folder
# with model-settings.json files (`mlserver build`'s layout), or one MLflow model described
# by the MLSERVER_MODEL_* variables, as KServe sets them. Everything written at run time
# goes to /tmp/runtime-mlflow (mount an emptyDir there): the cache of environments and
# downloaded models, and MLServer's metrics and environments folders.
FROM python:3.11-slim

ARG EXTRAS=""
COPY . /src
RUN EXTRAS="$EXTRAS" /src/deploy/install.sh /src /opt/runtime-mlflow \
    && cp /src/deploy/entrypoint.sh /usr/local/bin/runtime-mlflow-entrypoint \
    && rm -rf /src \
    && useradd --uid 1000 --no-create-home --home-dir /tmp/runtime-mlflow --shell /usr/sbin/nologin mlserver

ENV MLSERVER_HTTP_PORT=8080 \
    MLSERVER_GRPC_PORT=8081 \
    MLSERVER_METRICS_PORT=8082 \
    MLSERVER_DEBUG=false \
    RUNTIME_MLFLOW_STATE=/tmp/runtime-mlflow \
    RUNTIME_MLFLOW_VENV=/opt/runtime-mlflow \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/runtime-mlflow/bin:$PATH

USER 1000
EXPOSE 8080 8081 8082
ENTRYPOINT ["/usr/local/bin/runtime-mlflow-entrypoint"]

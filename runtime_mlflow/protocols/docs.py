"""A model's API docs page: Swagger UI on the model's own OpenAPI document (:mod:`.openapi`).

``GET /v2/models/<name>[/versions/<version>]/docs`` answers the page. Its script and style
sheet are served by the server itself at ``/v2/docs/runtime-mlflow/<file>``, from the
Swagger UI 5 files the ``fastapi-offline`` package ships, so the page works with no
internet (MLServer's own ``/v2/docs`` loads Swagger UI from a CDN). Every link in the page
is relative, so it also works behind an ingress that serves the server under a prefix.

Runs in MLServer's main process: no MLflow here.
"""

from __future__ import annotations

import html
import importlib.resources
import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

ASSETS = "/v2/docs/runtime-mlflow/{file}"
FILES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" href="{root}v2/docs/runtime-mlflow/favicon.png">
<link rel="stylesheet" href="{root}v2/docs/runtime-mlflow/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{root}v2/docs/runtime-mlflow/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: {spec}, dom_id: "#swagger-ui", deepLinking: true,
  defaultModelsExpandDepth: 3, defaultModelExpandDepth: 5}});
</script>
</body>
</html>
"""


def root_of(request: Request) -> str:
    """The server's root relative to the requested URL: ``../../../`` for ``/v2/models/m/docs``."""
    path = request.scope["path"]
    prefix = request.scope.get("root_path", "")
    if prefix and path.startswith(prefix):
        path = path[len(prefix):]
    return "../" * (path.count("/") - 1) or "./"


def page(request: Request, name: str, version: str | None) -> HTMLResponse:
    """The docs page of model ``name``; its document is ``openapi.json`` beside the page."""
    title = f"{name} ({version}) - runtime_mlflow" if version else f"{name} - runtime_mlflow"
    return HTMLResponse(PAGE.format(title=html.escape(title), root=root_of(request), spec=json.dumps("openapi.json")))


async def asset(request: Request) -> Response:
    name = request.path_params["file"]
    if name not in FILES:
        return Response(status_code=404)
    data = (importlib.resources.files("fastapi_offline") / "static" / name).read_bytes()
    return Response(data, media_type=FILES[name], headers={"Cache-Control": "public, max-age=86400"})

"""Serve a registered model by its alias from a local MLflow tracking server.

    python examples/registry/serve.py [COMMAND ...]
    # COMMAND defaults to: mlserver start examples/registry

1. starts ``mlflow server`` on 127.0.0.1:$EXAMPLE_TRACKING_PORT (default 5000), with a
   SQLite store and artifact serving in a temporary folder;
2. trains two versions of the wine model (ElasticNet alpha 0.5, then 0.05), logs each as a
   version of the registered model ``wine``, and points the alias ``champion`` at version 1;
3. runs COMMAND with ``MLFLOW_TRACKING_URI`` set (the runtime reads MLflow's own variables:
   ``MLFLOW_TRACKING_TOKEN`` or ``MLFLOW_TRACKING_USERNAME``/``PASSWORD`` for a server
   that asks for them);
4. stops the tracking server when COMMAND exits.

``python examples/registry/move_alias.py 2`` then points ``champion`` at version 2.
"""

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import launch  # noqa: E402  (examples/launch.py)

WINE_CSV = HERE.parent / "wine" / "winequality-red.csv"
BIN = Path(sys.executable).parent


def register(tracking_uri: str) -> None:
    import mlflow
    import mlflow.sklearn
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import ElasticNet

    mlflow.set_tracking_uri(tracking_uri)
    data = pd.read_csv(WINE_CSV)
    wine, quality = data.drop(columns=["quality"]), data["quality"]
    for alpha in (0.5, 0.05):
        model = ElasticNet(alpha=alpha, l1_ratio=0.5, random_state=42).fit(wine, quality)
        with mlflow.start_run():
            mlflow.sklearn.log_model(model, name="model", registered_model_name="wine",
                                     signature=infer_signature(wine, model.predict(wine)), input_example=wine.head(2))
    mlflow.MlflowClient().set_registered_model_alias("wine", "champion", "1")
    print(f"registered wine versions 1 and 2 at {tracking_uri}; champion -> 1", flush=True)


def main(command: list[str]) -> int:
    launch.stop_cleanly()  # stopped while starting: still clean up
    port = int(os.environ.get("EXAMPLE_TRACKING_PORT", "5000"))
    tracking_uri = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="mlflow-") as store, launch.service(
            [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--backend-store-uri", f"sqlite:///{store}/mlflow.db", "--artifacts-destination", f"{store}/artifacts"],
            port, "mlflow server", cwd=store):
        register(tracking_uri)
        env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri}
        return launch.run(command or ["mlserver", "start", str(HERE)], env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Point the alias ``champion`` of registered model ``wine`` at another version.

    python examples/registry/move_alias.py VERSION

Uses ``MLFLOW_TRACKING_URI`` (default: the example's server, http://127.0.0.1:5000).
"""

import os
import sys

import mlflow

if __name__ == "__main__":
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000"))
    mlflow.MlflowClient().set_registered_model_alias("wine", "champion", sys.argv[1])
    print(f"champion -> version {sys.argv[1]}")

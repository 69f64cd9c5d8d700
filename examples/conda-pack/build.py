"""Build the example: an environment with older libraries than the server's, the model
trained in it, and the environment packed with conda-pack beside the model.

    python examples/conda-pack/build.py [FOLDER]     # default: this folder

1. ``FOLDER/env``: a virtualenv (the server's Python) with scikit-learn 1.5, pandas 2.2,
   numpy 1.26 and mlflow-skinny 2.22 (the server has a newer scikit-learn, pandas 3,
   numpy 2, MLflow 3), installed with uv;
2. ``FOLDER/model``: the model, trained and saved by that environment's Python;
3. ``FOLDER/model/environment.tar.gz``: the environment, packed by conda-pack (a virtualenv
   gets the ``conda-meta/`` folder conda-pack looks for). The server finds it beside
   ``MLmodel`` and runs the model with it.
"""

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
LIBRARIES = ["scikit-learn==1.5.2", "pandas==2.2.3", "numpy==1.26.4", "mlflow-skinny==2.22.*"]


def build(folder: Path) -> Path:
    env, model = folder / "env", folder / "model"
    shutil.rmtree(env, ignore_errors=True)
    shutil.rmtree(model, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    subprocess.run([str(BIN / "uv"), "pip", "install", "-q", "--python", str(env / "bin" / "python"), *LIBRARIES],
                   check=True)
    subprocess.run([str(env / "bin" / "python"), str(HERE / "train.py"), str(model)], check=True)
    (env / "conda-meta").mkdir()
    (env / "conda-meta" / "history").touch()
    subprocess.run([str(BIN / "conda-pack"), "-p", str(env), "-o", str(model / "environment.tar.gz"),
                    "--compress-level", "1", "-q"], check=True)
    shutil.rmtree(env)
    return model


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE))

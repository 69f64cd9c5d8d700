"""Train the wine regressor with the libraries of the Python running this script, and save
it; run by the environment's own Python (see build.py and the README).

    <env>/bin/python examples/conda-pack/train.py OUTPUT
"""

import sys
import tempfile
from pathlib import Path

import mlflow.pyfunc
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature
from sklearn.linear_model import ElasticNet

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import env_model  # noqa: E402


def train(output: Path) -> Path:
    data = pd.read_csv(HERE.parent / "wine" / "winequality-red.csv")
    wine, quality = data.drop(columns=["quality"]), data["quality"]
    regressor = ElasticNet(alpha=0.5, l1_ratio=0.5, random_state=42).fit(wine, quality)
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.sklearn.save_model(regressor, f"{tmp}/regressor")
        mlflow.pyfunc.save_model(
            str(output), python_model=env_model.VersionedWine(), artifacts={"regressor": f"{tmp}/regressor"},
            code_paths=[str(HERE / "env_model.py")], input_example=wine.head(2),
            signature=infer_signature(wine, pd.DataFrame({"quality": [5.0], "sklearn": ["x"]})),
        )
    return output


if __name__ == "__main__":
    print(train(Path(sys.argv[1])))

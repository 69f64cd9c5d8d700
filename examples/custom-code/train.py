"""Train the wine regressor on engineered features and save it with its own pre- and
post-processing (``proprietary.py``, shipped with ``code_paths``).

    python examples/custom-code/train.py [OUTPUT]     # default: examples/custom-code/model
"""

import sys
import tempfile
from pathlib import Path

import mlflow.pyfunc
import mlflow.sklearn
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, Schema
from sklearn.linear_model import ElasticNet

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import proprietary  # noqa: E402  (beside this script; the model carries its own copy)


def train(output: Path) -> Path:
    data = pd.read_csv(HERE.parent / "wine" / "winequality-red.csv")
    wine, quality = data.drop(columns=["quality"]), data["quality"]
    regressor = ElasticNet(alpha=0.1, l1_ratio=0.5, random_state=42).fit(proprietary.preprocess(wine), quality)
    signature = ModelSignature(
        inputs=Schema([ColSpec("double", column) for column in wine.columns]),
        outputs=Schema([ColSpec("double", "quality"), ColSpec("string", "grade")]),
    )
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.sklearn.save_model(regressor, f"{tmp}/regressor")
        mlflow.pyfunc.save_model(
            str(output), python_model=proprietary.WineGrader(), artifacts={"regressor": f"{tmp}/regressor"},
            code_paths=[str(HERE / "proprietary.py")], signature=signature, input_example=wine.head(2),
        )
    return output


if __name__ == "__main__":
    print(train(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "model"))

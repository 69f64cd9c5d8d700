"""Train the seed's wine-quality model and save it as an MLflow model.

ElasticNet(alpha=0.5, l1_ratio=0.5) on the red-wine data beside this file, saved with
a signature inferred from the training columns, into ``model/`` (or the folder given).

    python examples/wine/train.py [OUTPUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature
from sklearn.linear_model import ElasticNet
from sklearn.model_selection import train_test_split

HERE = Path(__file__).parent


def train(output: Path) -> Path:
    data = pd.read_csv(HERE / "winequality-red.csv")
    train_set, _ = train_test_split(data, random_state=42)
    features, target = train_set.drop(columns=["quality"]), train_set["quality"]
    model = ElasticNet(alpha=0.5, l1_ratio=0.5, random_state=42).fit(features, target)
    signature = infer_signature(features, model.predict(features))
    mlflow.sklearn.save_model(model, str(output), signature=signature, input_example=features.head(2))
    return output


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "model"
    print(f"saved {train(out)}")

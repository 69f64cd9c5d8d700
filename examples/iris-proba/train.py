"""Train a logistic regression on the iris data (shipped with scikit-learn) and save it with MLflow.

    python examples/iris-proba/train.py [OUTPUT]     # default: examples/iris-proba/model

The signature names the four measurements; the class labels are the species' names, so
``predict_proba``'s columns are named by them.
"""

import sys
from pathlib import Path

import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


def train(output: Path) -> Path:
    data = load_iris(as_frame=True)
    X = data.data.set_axis(["sepal_length", "sepal_width", "petal_length", "petal_width"], axis=1)
    y = data.target.map(dict(enumerate(data.target_names)))
    model = LogisticRegression(max_iter=1000).fit(X, y)
    mlflow.sklearn.save_model(model, str(output), signature=infer_signature(X, model.predict(X)),
                              input_example=X.head(2))
    return output


if __name__ == "__main__":
    print(train(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "model"))

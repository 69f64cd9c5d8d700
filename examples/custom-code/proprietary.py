"""The wine model's own pre- and post-processing, shipped inside the MLflow model.

``train.py`` saves this file with ``code_paths=["proprietary.py"]``: MLflow copies it into
the model folder (``model/code/``) and puts it on the path when the model loads, so the
server needs nothing installed for it.
"""

import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd


def preprocess(wine: pd.DataFrame) -> pd.DataFrame:
    """Adds the engineered features the regressor was trained with."""
    features = wine.astype("float64").copy()
    features["free sulfur share"] = features["free sulfur dioxide"] / features["total sulfur dioxide"]
    features["acid balance"] = features["fixed acidity"] / (features["volatile acidity"] + 0.1)
    return features


def postprocess(quality: np.ndarray) -> pd.DataFrame:
    """Rounds the predicted quality and grades it."""
    quality = np.round(quality, 2)
    grade = np.select([quality >= 6.0, quality >= 5.0], ["good", "average"], default="poor")
    return pd.DataFrame({"quality": quality, "grade": grade})


class WineGrader(mlflow.pyfunc.PythonModel):
    """The regressor (an MLflow artifact) between the pre- and post-processing above."""

    def load_context(self, context):
        self.regressor = mlflow.sklearn.load_model(context.artifacts["regressor"])

    def predict(self, context, model_input, params=None):
        return postprocess(self.regressor.predict(preprocess(model_input)))

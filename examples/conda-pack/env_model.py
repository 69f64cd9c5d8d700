"""The model's code (shipped with ``code_paths``): the wine regressor, answering the quality
and the scikit-learn version it runs with, which shows whose environment ran it."""

import mlflow.pyfunc
import mlflow.sklearn
import pandas as pd
import sklearn


class VersionedWine(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        self.regressor = mlflow.sklearn.load_model(context.artifacts["regressor"])

    def predict(self, context, model_input, params=None):
        quality = self.regressor.predict(model_input)
        return pd.DataFrame({"quality": quality, "sklearn": [sklearn.__version__] * len(quality)})

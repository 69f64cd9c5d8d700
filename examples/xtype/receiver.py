"""A model that says what it was given: shipped with the model (``code_paths``)."""

import mlflow.pyfunc
import numpy as np
import pandas as pd


class Receiver(mlflow.pyfunc.PythonModel):
    """Answers, per row, what the model received and the row's sum."""

    def predict(self, context, model_input, params=None):
        if isinstance(model_input, pd.DataFrame):
            received = f"DataFrame, columns {list(model_input.columns)}"
            sums = model_input.sum(axis=1).to_numpy()
        else:
            array = np.asarray(model_input)
            received = f"ndarray, shape {list(array.shape)}, {array.dtype}"
            sums = array.reshape(len(array), -1).sum(axis=1)
        return pd.DataFrame({"received": [received] * len(sums), "sum": sums.astype("float64")})

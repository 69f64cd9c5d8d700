"""Models of the flavor libraries, saved with MLflow, and each library's own answer to the same rows.

Run once per test session by ``test_flavors.py``'s fixture; each entry is (folder, request
rows, expected answer by the library in this process)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pyfuncs
from mlflow.models import infer_signature
from sklearn.datasets import load_iris


def iris() -> tuple[pd.DataFrame, pd.Series]:
    data = load_iris(as_frame=True)
    X = data.data.copy()
    X.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    return X, data.target


def build(root: Path) -> dict[str, dict]:
    X, y = iris()
    rows = X.iloc[[0, 60, 120, 7]]
    models: dict[str, dict] = {}

    import xgboost

    xgb = xgboost.XGBClassifier(n_estimators=10, max_depth=3).fit(X, y)
    mlflow.xgboost.save_model(xgb, str(root / "xgboost"), signature=infer_signature(X, xgb.predict(X)))
    models["xgboost"] = {"path": root / "xgboost", "rows": rows, "predict": xgb.predict(rows),
                         "predict_proba": xgb.predict_proba(rows)}

    import lightgbm

    lgb = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y)
    mlflow.lightgbm.save_model(lgb, str(root / "lightgbm"), signature=infer_signature(X, lgb.predict(X)))
    models["lightgbm"] = {"path": root / "lightgbm", "rows": rows, "predict": lgb.predict(rows),
                          "predict_proba": lgb.predict_proba(rows)}

    import catboost

    cat = catboost.CatBoostClassifier(iterations=10, verbose=False, allow_writing_files=False).fit(X, y)
    mlflow.catboost.save_model(cat, str(root / "catboost"), signature=infer_signature(X, cat.predict(X)))
    models["catboost"] = {"path": root / "catboost", "rows": rows, "predict": cat.predict(rows),
                          "predict_proba": cat.predict_proba(rows)}

    import statsmodels.api as sm

    exog = sm.add_constant(X[["sepal_width", "petal_length", "petal_width"]])
    ols = sm.OLS(X["sepal_length"], exog).fit()
    mlflow.statsmodels.save_model(ols, str(root / "statsmodels"), signature=infer_signature(exog, ols.predict(exog)))
    models["statsmodels"] = {"path": root / "statsmodels", "rows": exog.iloc[[0, 60, 120, 7]],
                             "predict": ols.predict(exog.iloc[[0, 60, 120, 7]]).to_numpy()}

    import onnxruntime
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    logistic = LogisticRegression(max_iter=500).fit(X.to_numpy(np.float32), y)
    onnx_model = to_onnx(logistic, X.to_numpy(np.float32)[:1], options={"zipmap": False})
    mlflow.onnx.save_model(onnx_model, str(root / "onnx"))
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString())
    labels, probabilities = session.run(None, {session.get_inputs()[0].name: rows.to_numpy(np.float32)})
    models["onnx"] = {"path": root / "onnx", "rows": rows, "input": session.get_inputs()[0].name,
                      "predict": {"label": labels, "probabilities": probabilities}}

    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression as Logistic
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = X.assign(colour=np.where(y == 0, "red", np.where(y == 1, "green", "blue")))
    pipeline = make_pipeline(ColumnTransformer([("colour", OneHotEncoder(), ["colour"])], remainder="passthrough"),
                             Logistic(max_iter=500)).fit(frame, y)
    mlflow.sklearn.save_model(pipeline, str(root / "pipeline"), signature=infer_signature(frame, pipeline.predict(frame)))
    models["pipeline"] = {"path": root / "pipeline", "rows": frame.iloc[[0, 60, 120, 7]],
                          "predict": pipeline.predict(frame.iloc[[0, 60, 120, 7]]),
                          "predict_proba": pipeline.predict_proba(frame.iloc[[0, 60, 120, 7]])}

    code = root / "doubler.py"
    code.write_text(textwrap.dedent("""
        import mlflow
        from mlflow.models import set_model

        class Doubler(mlflow.pyfunc.PythonModel):
            def predict(self, model_input: list[float], params=None) -> list[float]:
                return [2 * x for x in model_input]

        set_model(Doubler())
    """))
    mlflow.pyfunc.save_model(str(root / "from-code"), python_model=str(code))
    models["from-code"] = {"path": root / "from-code", "values": [1.5, -2.0], "predict": [3.0, -4.0]}

    mlflow.pyfunc.save_model(str(root / "typed"), python_model=pyfuncs.Upper(), code_paths=[pyfuncs.__file__])
    models["typed"] = {"path": root / "typed", "values": ["ab", "Zürich"], "predict": ["AB", "ZÜRICH"]}

    mlflow.pyfunc.save_model(str(root / "pydantic"), python_model=pyfuncs.Chat(), code_paths=[pyfuncs.__file__])
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    models["pydantic"] = {"path": root / "pydantic", "values": messages, "predict": ["user: hi", "assistant: hello"]}
    return models

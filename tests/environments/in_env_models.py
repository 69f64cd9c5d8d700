"""Run by an environment's own Python (3.9+, MLflow 2.x): save the models that environment serves.

    <env>/bin/python in_env_models.py OUT_DIR WINE_CSV

Saves, with the environment's own MLflow, numpy, pandas and scikit-learn:
- OUT_DIR/wine: an ElasticNet on the red-wine data (sklearn flavour, with signature);
- OUT_DIR/humanized: a pyfunc whose code (code_paths) imports ``humanize``, which only the
  environment has, and reports where it runs;
- OUT_DIR/echo: a pyfunc that returns its input DataFrame unchanged;
- OUT_DIR/counter: a pyfunc with ``predict_stream`` (streams numbers formatted by ``humanize``);
- OUT_DIR/classifier: a LogisticRegression of the wine quality (served with ``method: predict_proba``);
and writes OUT_DIR/expected.json with the environment's own predictions for the wine rows,
and the classifier's probabilities for the first five and its classes.
"""

import json
import sys
from pathlib import Path

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import numpy
import pandas as pd
import sklearn
from mlflow.models import infer_signature
from sklearn.linear_model import ElasticNet, LogisticRegression

HERE = Path(__file__).resolve().parent


def main(out, csv):
    out = Path(out)
    data = pd.read_csv(csv)
    features = data.drop(columns=["quality"])
    model = ElasticNet(alpha=0.3, l1_ratio=0.4, random_state=7).fit(features, data["quality"])
    predictions = model.predict(features)
    mlflow.sklearn.save_model(model, str(out / "wine"), signature=infer_signature(features, predictions))

    sys.path.insert(0, str(HERE))
    import humanizer

    mlflow.pyfunc.save_model(
        str(out / "humanized"), python_model=humanizer.Humanized(), code_paths=[str(HERE / "humanizer.py")]
    )
    sample = pd.DataFrame({
        "i": [1, 2], "f": [0.5, 1.5], "s": ["a", "b"], "b": [True, False],
        "t": pd.to_datetime(["2024-01-01", "2024-01-02"]),
    })
    mlflow.pyfunc.save_model(
        str(out / "echo"), python_model=humanizer.Echo(), code_paths=[str(HERE / "humanizer.py")],
        signature=infer_signature(sample, sample, params={"fail": ""}),
    )

    mlflow.pyfunc.save_model(
        str(out / "counter"), python_model=humanizer.Counter(), code_paths=[str(HERE / "humanizer.py")],
        signature=infer_signature(pd.DataFrame({"n": [3]}), params={"gate": ""}),
    )

    classifier = LogisticRegression(max_iter=3000).fit(features, data["quality"])
    mlflow.sklearn.save_model(classifier, str(out / "classifier"),
                              signature=infer_signature(features, classifier.predict(features)))

    expected = {
        "versions": {"python": sys.version.split()[0], "mlflow": mlflow.__version__, "numpy": numpy.__version__,
                     "pandas": pd.__version__, "sklearn": sklearn.__version__},
        "wine": predictions.tolist(),
        "proba": classifier.predict_proba(features.head(5)).tolist(),
        "classes": classifier.classes_.tolist(),
    }
    (out / "expected.json").write_text(json.dumps(expected))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

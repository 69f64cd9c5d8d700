"""Fixtures shared by unit and end-to-end tests: real MLflow models saved to a temp folder."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import envkit
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import pyfuncs
import pytest
from mlflow.models import ModelSignature, infer_signature
from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec
from sklearn.linear_model import ElasticNet

from runtime_mlflow.codecs import registry

ROOT = Path(__file__).resolve().parent.parent
PYFUNCS = str(Path(pyfuncs.__file__))
WINE_CSV = ROOT / "examples" / "wine" / "winequality-red.csv"


def _load_trainer():
    spec = importlib.util.spec_from_file_location("wine_train", ROOT / "examples" / "wine" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _codec_registry():
    """Each test gets the registry as it found it, restored in place."""
    snapshot = registry.snapshot()
    yield registry
    registry.restore(snapshot)


@pytest.fixture(scope="session")
def wine_data() -> pd.DataFrame:
    return pd.read_csv(WINE_CSV)


def _cols(*specs: tuple[str, str | None]) -> Schema:
    return Schema([ColSpec(type_, name) for type_, name in specs])


def _save(path: Path, model: mlflow.pyfunc.PythonModel, signature: ModelSignature | None = None) -> Path:
    mlflow.pyfunc.save_model(str(path), python_model=model, signature=signature, code_paths=[PYFUNCS])
    return path


@pytest.fixture(scope="session")
def model_dirs(tmp_path_factory: pytest.TempPathFactory, wine_data: pd.DataFrame) -> dict[str, Path]:
    """name -> folder of a saved MLflow model, one of each kind the runtime must serve."""
    root = tmp_path_factory.mktemp("models")
    features = wine_data.drop(columns=["quality"])
    dirs = {"wine": _load_trainer().train(root / "wine")}
    fitted = ElasticNet(alpha=0.5, l1_ratio=0.5, random_state=42).fit(features, wine_data["quality"])
    mlflow.sklearn.save_model(fitted, str(root / "nosig"))
    dirs["nosig"] = root / "nosig"
    mlflow.sklearn.save_model(fitted, str(root / "inputs_only"), signature=infer_signature(features))
    dirs["inputs_only"] = root / "inputs_only"
    dirs["proprietary"] = _save(
        root / "proprietary",
        pyfuncs.Proprietary(),
        ModelSignature(_cols(("double", "a"), ("double", "b"), ("double", "c")), _cols(("double", "score"), ("string", "label"))),
    )
    dirs["shapes"] = _save(
        root / "shapes",
        pyfuncs.Shapes(),
        ModelSignature(_cols(("double", "x")), None, ParamSchema([ParamSpec("kind", "string", "series")])),
    )
    dirs["scaler"] = _save(
        root / "scaler",
        pyfuncs.Scaler(),
        ModelSignature(
            _cols(("double", "x")),
            _cols(("double", None)),
            ParamSchema([ParamSpec("alpha", "double", 1.0), ParamSpec("n", "long", 0), ParamSpec("flag", "boolean", False)]),
        ),
    )
    dirs["text"] = _save(
        root / "text",
        pyfuncs.Text(),
        ModelSignature(_cols(("string", "text"), ("long", "n")), _cols(("long", "length"), ("string", "upper"))),
    )
    dirs["tensor"] = _save(
        root / "tensor",
        pyfuncs.TensorSum(),
        ModelSignature(
            Schema([TensorSpec(np.dtype(np.float32), (-1, 3))]), Schema([TensorSpec(np.dtype(np.float32), (-1, 1))])
        ),
    )
    dirs["named"] = _save(
        root / "named",
        pyfuncs.NamedTensors(),
        ModelSignature(
            Schema([TensorSpec(np.dtype(np.float64), (-1, 2), "a"), TensorSpec(np.dtype(np.float64), (-1, 2), "b")]),
            Schema([TensorSpec(np.dtype(np.float64), (-1, 2), "sum"), TensorSpec(np.dtype(np.float64), (-1, 2), "diff")]),
        ),
    )
    dirs["picky"] = _save(root / "picky", pyfuncs.Picky(), ModelSignature(_cols(("double", "x"))))
    dirs["echo"] = _save(root / "echo", pyfuncs.Echo())
    dirs["crasher"] = _save(root / "crasher", pyfuncs.Crasher(), ModelSignature(_cols(("double", "x"))))
    dirs["sleepy"] = _save(root / "sleepy", pyfuncs.Sleepy(), ModelSignature(_cols(("double", "seconds"))))
    dirs["countdown"] = _save(
        root / "countdown",
        pyfuncs.Countdown(),
        ModelSignature(_cols(("long", "n")), None, ParamSchema([ParamSpec("gate", "string", ""),
                                                              ParamSpec("fail_at", "long", -1),
                                                              ParamSpec("pause", "double", 0.0)])),
    )
    return dirs


@pytest.fixture(scope="session")
def wine_features(wine_data: pd.DataFrame) -> pd.DataFrame:
    return wine_data.drop(columns=["quality"])


@dataclass(frozen=True)
class PackedEnv:
    """A real environment built for the tests and packed with conda-pack."""

    tarball: Path
    models: Path
    """wine, humanized, echo: saved by the environment's own MLflow; expected.json: its answers."""
    expected: dict


@pytest.fixture(scope="session")
def packed_env(tmp_path_factory: pytest.TempPathFactory) -> PackedEnv:
    python = next((p for p in map(envkit.find_python, ("3.9", "3.10", "3.12")) if p), None)
    if python is None:
        pytest.fail("no Python 3.9, 3.10 or 3.12 on this machine to build the old-stack environment with")
    root = tmp_path_factory.mktemp("packed")
    # a plain virtualenv, as users make one: bin/python links to the base interpreter
    prefix = envkit.make_venv(python, root / "env", [*envkit.OLD_STACK, envkit.ONLY_IN_ENV], copies=False)
    models = root / "models"
    models.mkdir()
    saved = subprocess.run(
        [str(prefix / "bin" / "python"), str(ROOT / "tests" / "environments" / "in_env_models.py"), str(models), str(WINE_CSV)],
        capture_output=True, text=True, check=False,
    )
    assert saved.returncode == 0, saved.stderr
    tarball = envkit.conda_pack(prefix, root / "environment.tar.gz")
    shutil.rmtree(prefix)  # served from the tarball only
    return PackedEnv(tarball, models, json.loads((models / "expected.json").read_text()))

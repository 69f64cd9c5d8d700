"""The runtime in process, as MLServer's worker drives it (load, metadata, predict)."""

from __future__ import annotations

import numpy as np
import pytest
from mlserver.settings import ModelParameters, ModelSettings
from mlserver.types import InferenceRequest

from runtime_mlflow import MLflowRuntime
from runtime_mlflow.errors import ModelInputError, ModelLoadError, PredictionError


async def loaded(path, **parameters) -> MLflowRuntime:
    runtime = MLflowRuntime(ModelSettings(name="m", implementation=MLflowRuntime,
                                          parameters=ModelParameters(uri=str(path), **parameters)))
    assert await runtime.load()
    return runtime


def request(*inputs, **parameters) -> InferenceRequest:
    return InferenceRequest(inputs=list(inputs), parameters=parameters or None)


X = {"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2]}


@pytest.fixture
def run():
    import asyncio

    return asyncio.run


def test_load_predict_and_metadata(run, model_dirs):
    async def go():
        runtime = await loaded(model_dirs["scaler"])
        response = await runtime.predict(request(X, alpha=3))
        metadata = await runtime.metadata()
        return response, metadata

    response, metadata = run(go())
    assert response.outputs[0].name == "output-0" and response.outputs[0].data.root == [3.0, 6.0]
    assert [t.name for t in metadata.inputs] == ["x"] and metadata.parameters.content_type == "pd"


def test_inputs_written_in_model_settings_win(run, model_dirs):
    async def go():
        runtime = MLflowRuntime(ModelSettings(
            name="m", implementation=MLflowRuntime, parameters=ModelParameters(uri=str(model_dirs["scaler"])),
            inputs=[{"name": "x", "datatype": "FP32", "shape": [-1, 1]}]))
        await runtime.load()
        return await runtime.metadata()

    metadata = run(go())
    assert metadata.inputs[0].datatype == "FP32" and metadata.inputs[0].shape == [-1, 1]


def test_model_complaints_are_client_errors_and_crashes_are_not(run, model_dirs):
    async def go(data):
        runtime = await loaded(model_dirs["picky"])
        return await runtime.predict(request({**X, "data": data}))

    with pytest.raises(ModelInputError, match="x must not be negative") as raised:
        run(go([-1, 1]))
    assert raised.value.status_code == 400
    with pytest.raises(PredictionError, match="RuntimeError: unlucky") as raised:
        run(go([13, 1]))
    assert raised.value.status_code == 500


def test_load_failure_names_the_model_and_the_cause(run, tmp_path):
    (tmp_path / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: no_such_module\n")
    with pytest.raises(ModelLoadError, match=r"model 'm' could not be loaded from .*ModuleNotFoundError"):
        run(loaded(tmp_path))


# The sklearn model was fitted on named columns and xtype=ndarray hands it a bare
# array: sklearn says so, and that is the behaviour under test.
@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_xtype_ndarray_stacks_inputs_for_a_signatureless_model(run, model_dirs, wine_features):
    import mlflow.pyfunc

    rows = wine_features.iloc[:3]

    async def go():
        runtime = await loaded(model_dirs["nosig"], xtype="ndarray")
        inputs = [{"name": c, "shape": [3], "datatype": "FP64", "data": rows[c].tolist()} for c in rows.columns]
        return await runtime.predict(request(*inputs))

    expected = mlflow.pyfunc.load_model(str(model_dirs["nosig"])).predict(rows.to_numpy())
    np.testing.assert_array_equal(run(go()).outputs[0].data.root, expected)


def test_mlservers_main_process_imports_no_mlflow_for_a_model_in_a_worker(tmp_path):
    """MLServer imports the runtime class (and, through the load hook, the routes, batching
    and heap modules) in its main process; the model itself loads in a worker."""
    import subprocess
    import sys

    code = ("import sys; import runtime_mlflow.runtime, runtime_mlflow.protocols.routes, runtime_mlflow.batching, "
            "runtime_mlflow.heap; print(sorted(m for m in sys.modules if m.split('.')[0] == 'mlflow'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.strip() == "[]"


def test_an_unloaded_runtime_says_so(run, model_dirs):
    runtime = MLflowRuntime(ModelSettings(name="m", implementation=MLflowRuntime,
                                          parameters=ModelParameters(uri=str(model_dirs["scaler"]))))
    with pytest.raises(PredictionError, match="not loaded"):
        run(runtime.predict(request(X)))

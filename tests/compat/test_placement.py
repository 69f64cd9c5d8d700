"""``compat.placement``: a model of this runtime stays in MLServer's main process (the runtime
places it itself), and the model-level ``parallel_workers`` a user set is kept for it."""

from __future__ import annotations

from mlserver.settings import ModelParameters, ModelSettings

from runtime_mlflow.compat import placement
from runtime_mlflow.runtime import MLflowRuntime


def settings(name: str, gid: str | None = None) -> ModelSettings:
    return ModelSettings(name=name, implementation=MLflowRuntime,
                         parameters=ModelParameters(uri="/models/x", inference_pool_gid=gid))


def test_the_model_level_value_the_user_set_is_handed_back():
    mine = settings("a")
    assert placement.load_in_main_process(mine) is None
    import warnings

    theirs = settings("b")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        theirs.parallel_workers = 3
    assert placement.load_in_main_process(theirs) == 3


def test_mlserver_keeps_a_model_with_model_level_parallel_workers_0_in_its_main_process():
    """The contract ``load_in_main_process`` relies on (MLServer 1.7.1): the deprecated field is
    still read, 0 means no worker, and the warning it silences starts with the text it matches."""
    import inspect

    from mlserver.parallel.registry import InferencePoolRegistry
    from mlserver.settings import Settings

    source = inspect.getsource(InferencePoolRegistry._should_load_model)
    assert "model_settings.parallel_workers <= 0" in source
    assert placement._DEPRECATION.replace("!!", "") in source.replace("!!", "")
    registry = InferencePoolRegistry.__new__(InferencePoolRegistry)
    registry._settings = Settings(parallel_workers=2)
    model = settings("a")
    placement.load_in_main_process(model)
    assert model.parallel_workers == 0 and registry._should_load_model(model) is False
    assert registry._should_load_model(settings("b")) is True

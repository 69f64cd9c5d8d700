"""A model process forked from the server's template: it serves several models at once,
answers what the model in this process answers, and says how it ended when it dies."""

from __future__ import annotations

import asyncio
import signal
import threading

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest

from runtime_mlflow.errors import ModelUnavailable, RemoteError
from runtime_mlflow.hosting import templates
from runtime_mlflow.hosting.payload.rmlf_proven import Proven
from runtime_mlflow.hosting.process import ModelProcess


@pytest.fixture(scope="module")
def run():
    """Run coroutines on one event loop for the module, so its tests share the server's template."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield lambda coroutine: asyncio.run_coroutine_threadsafe(coroutine(), loop).result(120)
    loop.call_soon_threadsafe(templates.stop_all)
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def test_the_servers_template_is_single_threaded_and_forks(run, model_dirs):
    async def go():
        template = await templates.template_for(None)
        process = await ModelProcess.start("'wine'", template, model_dirs["wine"], lambda p: None)
        await process.stop()
        return template.hello, process.how

    hello, how = run(go)
    assert hello["threads"] == 1, "a thread in the template makes forking it unsafe"
    assert not hello["missing"] and how == "forked"


def test_a_forked_process_answers_as_pyfunc_predict_does_for_frames_and_proven_blocks(run, model_dirs, wine_features):
    path = model_dirs["wine"]
    frame = wine_features.head(5)
    names = list(frame.columns)
    expected = mlflow.pyfunc.load_model(str(path)).predict(frame)

    async def go():
        process = await ModelProcess.start("'wine'", await templates.template_for(None), path, lambda p: None)
        try:
            await process.load("w", path, "predict", {"names": names, "one_dtype": True})
            block = np.asfortranarray(frame.to_numpy(dtype=np.float64))
            return await asyncio.gather(process.predict("w", frame, None, 5),
                                        process.predict("w", Proven(names, block=block), None, 5))
        finally:
            await process.stop()

    from_frame, from_block = run(go)
    assert np.array_equal(from_frame, expected) and np.array_equal(from_block, expected)


def test_two_models_in_one_process_and_errors_come_back_as_remote_errors(run, model_dirs):
    async def go():
        process = await ModelProcess.start("'shared'", await templates.template_for(None), model_dirs["picky"],
                                           lambda p: None)
        try:
            await process.load("a", model_dirs["picky"], "predict", None)
            await process.load("b", model_dirs["scaler"], "predict", None)
            good = await process.predict("a", pd.DataFrame({"x": [2.0]}), None, 1)
            with pytest.raises(RemoteError) as raised:
                await process.predict("a", pd.DataFrame({"x": [-1.0]}), None, 1)
            await process.unload("b")
            with pytest.raises(RemoteError, match="not loaded"):
                await process.predict("b", pd.DataFrame({"x": [1.0]}), None, 1)
            return good, raised.value
        finally:
            await process.stop()

    good, error = run(go)
    assert list(np.asarray(good).ravel()) == [2.0]
    assert error.type_name == "ValueError"


def test_a_process_that_kills_itself_fails_its_request_saying_how_it_ended(run, model_dirs):
    exits = []

    async def go():
        process = await ModelProcess.start("'crasher'", await templates.template_for(None), model_dirs["crasher"],
                                           exits.append)
        await process.load("c", model_dirs["crasher"], "predict", None)
        with pytest.raises(ModelUnavailable) as in_flight:
            await process.predict("c", pd.DataFrame({"x": [9.0]}), None, 1)  # SIGKILLs itself
        with pytest.raises(ModelUnavailable) as after:
            await process.predict("c", pd.DataFrame({"x": [1.0]}), None, 1)
        await process.stop()
        return process, str(in_flight.value), str(after.value)

    process, in_flight, after = run(go)
    assert exits == [process] and process.exit_code == -signal.SIGKILL
    for message in (in_flight, after):
        assert "'crasher'" in message and "was killed by signal 9 (SIGKILL)" in message, message

"""``compat.worker_errors``: this runtime's errors cross MLServer's worker in its own words
(contract written for MLServer 1.7.1)."""

from __future__ import annotations

import inspect
import pickle

from mlserver.parallel.errors import WorkerError

from runtime_mlflow.compat import worker_errors
from runtime_mlflow.errors import InvalidInput, ModelUnavailable


def test_mlserver_still_prefixes_the_class_path():
    mlservers = getattr(WorkerError.__init__, "__wrapped__", WorkerError.__init__)
    assert 'f"{import_path}: {exc}"' in inspect.getsource(mlservers)


def test_the_runtimes_errors_keep_their_words_and_status():
    worker_errors.install()
    error = WorkerError(InvalidInput("input 'x' is missing"))
    assert str(error) == "input 'x' is missing" and error.status_code == 400
    assert WorkerError(ModelUnavailable("down")).status_code == 503


def test_other_exceptions_keep_mlservers_words():
    worker_errors.install()
    assert str(WorkerError(ValueError("bad"))) == "builtins.ValueError: bad"


def test_the_message_and_status_survive_the_trip_to_the_main_process():
    worker_errors.install()
    back = pickle.loads(pickle.dumps(WorkerError(InvalidInput("input 'x' is missing"))))
    assert str(back) == "input 'x' is missing" and back.status_code == 400


def test_installed_once():
    worker_errors.install()
    hooked = WorkerError.__init__
    worker_errors.install()
    assert WorkerError.__init__ is hooked

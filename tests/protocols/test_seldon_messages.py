"""runtime_mlflow.protocols.seldon: reading SeldonMessages and answering them, without a server."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
from mlflow.models import Model
from mlflow.models.signature import ModelSignature
from mlflow.types.schema import ColSpec, Schema, TensorSpec

from runtime_mlflow.errors import BadData
from runtime_mlflow.protocols.seldon import model_input
from runtime_mlflow.protocols.seldon_message import Message, read, respond
from runtime_mlflow.protocols.served import ProtocolRequest, Served


def served(signature: ModelSignature | None = None, xtype: str | None = None) -> Served:
    class Stub:
        metadata = Model(signature=signature)

    return Served("m", None, Stub(), lambda value, params: value, xtype, "3")


def message(document: object, content_type: str = "application/json") -> Message:
    return read(ProtocolRequest(json.dumps(document).encode(), content_type))


COLUMNS = ModelSignature(Schema([ColSpec("double", "a"), ColSpec("long", "b")]))


def test_rows_become_the_signature_columns_cast_to_their_types():
    frame = model_input(served(COLUMNS), message({"data": {"ndarray": [[1, 2], [3.5, 4]]}}))
    assert list(frame.columns) == ["a", "b"]
    assert frame["a"].dtype == np.float64 and frame["b"].tolist() == [2, 4]


def test_names_reorder_columns_and_a_flat_row_is_one_row():
    frame = model_input(served(COLUMNS), message({"data": {"names": ["b", "a"], "ndarray": [2, 1.5]}}))
    assert frame.to_dict("records") == [{"b": 2, "a": 1.5}]


def test_a_tensor_signature_gets_the_array_in_its_type():
    signature = ModelSignature(Schema([TensorSpec(np.dtype(np.float32), (-1, 2))]))
    array = model_input(served(signature), message({"data": {"tensor": {"shape": [1, 2], "values": [1, 2]}}}))
    assert array.dtype == np.float32 and array.shape == (1, 2)


def test_json_data_for_named_tensors_becomes_their_arrays_in_their_types():
    named = ModelSignature(Schema([TensorSpec(np.dtype(np.float32), (-1, 2), "a"), TensorSpec(np.dtype(np.int64), (-1,), "b")]))
    value = model_input(served(named), message({"jsonData": {"a": [[1, 2]], "b": [3]}}))
    assert value["a"].dtype == np.float32 and value["a"].shape == (1, 2) and value["b"].dtype == np.int64
    with pytest.raises(BadData, match="named tensors"):
        model_input(served(named), message({"jsonData": {"a": [[1, 2, 3]], "b": ["x"]}}))


def test_without_signature_xtype_decides():
    rows = {"data": {"names": ["p", "q"], "ndarray": [[1, 2]]}}
    assert isinstance(model_input(served(), message(rows)), np.ndarray)
    assert list(model_input(served(xtype="pd"), message(rows)).columns) == ["p", "q"]
    assert set(model_input(served(xtype="dict"), message(rows))) == {"p", "q"}


def test_form_field_and_query_parameter_carry_the_message():
    form = ProtocolRequest(b"json=" + json.dumps({"strData": "hi"}).encode(), "application/x-www-form-urlencoded")
    query = ProtocolRequest(b"", None, {"json": json.dumps({"strData": "yo"})})
    assert read(form).value == "hi" and read(query).value == "yo"


def test_bin_data_is_decoded():
    assert message({"binData": base64.b64encode(b"\x00ab").decode()}).value == b"\x00ab"


@pytest.mark.parametrize("document", [
    {"data": {"ndarray": "no"}}, {"data": {"tensor": {"shape": [2], "values": [[1], [2]]}}},
    {"data": {"names": [1], "ndarray": [[1]]}}, {"meta": "x", "strData": "a"}, {"strData": 5},
])
def test_malformed_messages_are_bad_data(document):
    with pytest.raises(BadData):
        message(document)


@pytest.mark.parametrize("value, data", [
    (pd.Series([1.5, np.nan]), {"ndarray": [1.5, None], "names": []}),
    (np.array([True, False]), {"ndarray": [True, False], "names": []}),
    ([[1, 2], [3]], {"ndarray": [[1, 2], [3]], "names": []}),
    (3.5, {"ndarray": [3.5], "names": []}),
    (pd.DataFrame({"t": pd.to_datetime(["2024-01-02", None])}), {"ndarray": [["2024-01-02T00:00:00"], [None]], "names": ["t"]}),
])
def test_answers_are_plain_json(value, data):
    answer = respond(Message("data", [], "ndarray"), value)
    assert answer["data"] == data
    json.dumps(answer, allow_nan=False)

"""The wire format: every value a model takes or gives survives the trip, with no pickles."""

from __future__ import annotations

import datetime
import socket
import struct

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from runtime_mlflow.hosting.payload import rmlf_frames as frames
from runtime_mlflow.hosting.payload import rmlf_wire as wire


def trip(value):
    left, right = socket.socketpair()
    with left, right:
        tree, buffers = wire.encode(value)
        frames.Channel(left).send({"op": "x", "value": tree}, buffers)
        header, received = frames.Channel(right).recv()
    return wire.decode(header["value"], received)


@given(hnp.arrays(
    dtype=st.one_of(hnp.integer_dtypes(endianness="="), hnp.unsigned_integer_dtypes(endianness="="),
                    hnp.floating_dtypes(endianness="="), hnp.boolean_dtypes(), hnp.complex_number_dtypes(endianness="="),
                    hnp.datetime64_dtypes(endianness="=")),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
))
def test_numeric_arrays_are_bit_exact(array):
    back = trip(array)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert back.tobytes() == array.tobytes()


def test_big_endian_arrays_arrive_in_native_order():
    array = np.arange(5, dtype=">i4")
    back = trip(array)
    assert back.tolist() == array.tolist() and back.dtype == np.dtype("<i4")


@given(st.lists(st.one_of(st.none(), st.text()), max_size=20))
def test_strings_and_nulls(items):
    back = trip(np.array(items, dtype=object))
    assert back.tolist() == items


def test_received_arrays_are_aligned_and_writable():
    back = trip({"a": np.arange(3, dtype=np.int8), "b": np.arange(3, dtype=np.float64)})
    assert back["b"].flags.aligned and back["b"].flags.writeable


def test_a_dataframe_keeps_names_order_and_types():
    frame = pd.DataFrame({
        "i": np.array([1, 2, 3], dtype=np.int32), "f": [0.5, np.nan, 2.0], "s": ["a", None, "ü"],
        "b": [True, False, True], "t": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        "n": pd.array([1, None, 3], dtype="Int64"), "z": pd.to_datetime(["2024-01-01"] * 3).tz_localize("Europe/Paris"),
        7: [b"x", b"", b"\x00"],
    })
    back = trip(frame)
    assert list(back.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(back, frame)


def test_series_lists_dicts_scalars_and_bytes():
    value = [pd.Series([1.5, 2.5], name="score"), {"k": np.float32(1.5), "n": None}, (1, "two"), b"raw",
             datetime.datetime(2024, 5, 6, 7, 8, 9), [np.arange(2), "mixed"]]
    back = trip(value)
    pd.testing.assert_series_equal(back[0], value[0])
    assert back[1] == {"k": np.float32(1.5), "n": None} and isinstance(back[1]["k"], np.float32)
    assert back[2] == (1, "two") and back[3] == b"raw" and back[4] == value[4]
    assert back[5][0].tolist() == [0, 1] and back[5][1] == "mixed"


def test_an_unsendable_value_names_its_type():
    with pytest.raises(frames.WireError, match="builtin_function_or_method"):
        wire.encode(print)


def test_frames_of_another_protocol_version_are_refused():
    left, right = socket.socketpair()
    with left, right:
        left.sendall(struct.pack("!4sB3xIQ", b"RMLF", frames.PROTOCOL + 1, 2, 0) + b"{}")
        with pytest.raises(frames.WireError, match="protocol"):
            frames.Channel(right).recv()
        left.sendall(b"GET / HTTP/1.1\r\n\r\n")
        with pytest.raises(frames.WireError, match="not a runtime_mlflow frame"):
            frames.Channel(right).recv()
        left.close()
        with pytest.raises(EOFError):
            frames.Channel(right).recv()

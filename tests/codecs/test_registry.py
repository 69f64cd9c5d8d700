from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest
from mlserver.types import RequestInput

from runtime_mlflow.codecs import CodecRegistry, InputCodec, register_codec, registry
from runtime_mlflow.errors import CodecAlreadyRegistered, CodecError


class Upper(InputCodec):
    content_type = "upper"

    def decode(self, tensor, dtype=None):
        return np.array([str(v).upper() for v in tensor.data.root], dtype=object)

    def can_encode(self, array):
        return False


def test_builtin_content_types():
    assert {"np", "pd", "dict", "str", "base64", "datetime", "json", "pd_json"} <= set(registry)


def test_registering_a_taken_content_type_is_an_error():
    with pytest.raises(CodecAlreadyRegistered, match="'np' is already registered"):
        registry.register(type("Other", (InputCodec,), {"content_type": "np"})())


def test_register_codec_decorator_and_lookup():
    register_codec(Upper)
    tensor = RequestInput(name="t", shape=[1], datatype="BYTES", data=["ab"])
    assert registry.get("upper").decode(tensor).tolist() == ["AB"]


def test_registry_is_restored_between_tests():
    assert "upper" not in registry


def test_codec_without_content_type_is_refused():
    with pytest.raises(CodecError, match="no content_type"):
        CodecRegistry().register(type("Nameless", (InputCodec,), {})())


def test_entry_point_group_loads_codecs_of_other_packages(tmp_path, monkeypatch):
    """A package declares its codec in the runtime_mlflow.codecs entry-point group."""
    (tmp_path / "shouting_codec.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            from runtime_mlflow.codecs import InputCodec

            class Shouting(InputCodec):
                content_type = "shout"
                def decode(self, tensor, dtype=None):
                    return np.array([v + "!" for v in tensor.data.root], dtype=object)
                def can_encode(self, array):
                    return False
            """
        )
    )
    dist = tmp_path / "shouting_codec-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shouting-codec\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[runtime_mlflow.codecs]\nshout = shouting_codec:Shouting\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    fresh = CodecRegistry()
    fresh.load_entry_points()
    fresh.load_entry_points()  # a second load is a no-op, not a duplicate registration
    tensor = RequestInput(name="t", shape=[1], datatype="BYTES", data=["hey"])
    assert fresh.get("shout").decode(tensor).tolist() == ["hey!"]
    sys.modules.pop("shouting_codec", None)


def test_output_encoder_prefers_added_codecs_and_keeps_fallbacks_last():
    class Ints(InputCodec):
        content_type = "ints"

        def can_encode(self, array):
            return array.dtype.kind == "i"

    registry.register(Ints())
    assert registry.output_encoder(np.array([1])).content_type == "ints"
    assert registry.output_encoder(np.array([1.0])).content_type == "np"
    assert registry.output_encoder(np.array([{"a": 1}], dtype=object)).content_type == "json"

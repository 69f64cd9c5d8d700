"""Codecs between V2 tensors and what MLflow models take and return.

Installed as ``runtime_mlflow.codecs`` (see setup.py). Built-in content types:

=========== ======= ==========================================================
content     level   meaning
=========== ======= ==========================================================
``np``      both    a tensor as a numpy array; a request as one array
``pd``      request a request as a DataFrame, one column per input
``dict``    request a request as ``{input name: array}``
``str``     input   BYTES elements as UTF-8 text
``base64``  input   BYTES elements as base64 text, decoded to ``bytes``
``datetime``input   BYTES elements as ISO 8601 text, decoded to ``datetime64``
``json``    input   one JSON document per element (``pd_json`` is an alias)
=========== ======= ==========================================================

Add one with :func:`register_codec` (see :mod:`.registry`).
"""

from .base import Column, InputCodec, RequestCodec
from .casting import cast
from .datatypes import DATATYPES, to_datatype, to_dtype
from .registry import ENTRY_POINT_GROUP, CodecRegistry, register_codec, registry

# Importing registers the built-ins. ``np`` and ``json`` are both fallback encoders;
# ``np`` (numbers only) is registered after ``json`` (any object) so it is tried first.
from . import binary, dataframe, datetimes, json_elements, ndarray, string, tensordict  # noqa: E402,F401  isort: skip

__all__ = [
    "Column",
    "CodecRegistry",
    "DATATYPES",
    "ENTRY_POINT_GROUP",
    "InputCodec",
    "RequestCodec",
    "cast",
    "register_codec",
    "registry",
    "to_datatype",
    "to_dtype",
]

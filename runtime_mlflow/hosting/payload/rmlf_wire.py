"""The values that travel between the server and a model process, in :mod:`rmlf_frames`' frames.

Values travel as a small tree in a frame's header whose arrays point at the frame's buffers:
numbers, booleans and datetimes as little-endian raw bytes with their numpy dtype string
and shape; strings as UTF-8 with a length per element. Nothing is pickled, so the two ends
may run different Python, numpy and pandas versions. This module runs on Python 3.9+.
"""

from __future__ import annotations

import datetime

try:  # as runtime_mlflow.hosting.payload.rmlf_wire, in the server
    from .rmlf_frames import WireError
    from .rmlf_proven import Proven
except ImportError:  # as rmlf_wire, in a model's process, with this folder on sys.path
    from rmlf_frames import WireError
    from rmlf_proven import Proven

_RAW_KINDS = "biufcmM"
_JSON_SCALARS = (type(None), bool, int, float, str)


def encode(value):
    """``(tree, buffers)`` for a model input or output; WireError names what cannot travel."""
    encoder = _Encoder()
    return encoder.value(value), encoder.buffers


def decode(tree, buffers):
    """The value ``encode`` was given, rebuilt with this side's numpy and pandas."""
    return _Decoder(buffers).value(tree)


class _Encoder:
    def __init__(self):
        self.buffers = []

    def _buffer(self, data):
        self.buffers.append(data)
        return len(self.buffers) - 1

    def value(self, value):
        if isinstance(value, _JSON_SCALARS):
            return {"t": "json", "v": value}
        if isinstance(value, (bytes, bytearray)):
            return {"t": "bytes", "b": self._buffer(bytes(value))}
        if isinstance(value, (list, tuple)):
            tuple_ = isinstance(value, tuple)
            if all(isinstance(item, _JSON_SCALARS) for item in value):
                return {"t": "json", "v": list(value), "tuple": tuple_}
            return {"t": "list", "items": [self.value(item) for item in value], "tuple": tuple_}
        if isinstance(value, dict):
            return {"t": "dict", "items": [[_key(k), self.value(v)] for k, v in value.items()]}
        if isinstance(value, datetime.datetime):
            return {"t": "datetime", "v": value.isoformat()}
        if isinstance(value, Proven):
            if value.block is not None:
                # the block is Fortran-ordered (as MLflow's enforcement makes it): its transpose
                # travels as it is in memory, and is transposed back on arrival, with no copy
                return {"t": "proven", "names": value.names, "block_t": self.array(value.block.T)}
            return {"t": "proven", "names": value.names, "columns": [self.array(c) for c in value.columns]}
        module = type(value).__module__.split(".")[0]
        if module == "numpy":
            import numpy as np

            if isinstance(value, np.ndarray):
                return self.array(value)
            if isinstance(value, np.generic):
                return {"t": "scalar", "v": self.array(np.asarray(value))}
        if module == "pandas":
            import pandas as pd

            if isinstance(value, pd.DataFrame):
                columns = [[_key(name), self.column(value.iloc[:, i])] for i, name in enumerate(value.columns)]
                return {"t": "df", "rows": len(value), "columns": columns}
            if isinstance(value, pd.Series):
                return {"t": "series", "name": _key(value.name), "v": self.column(value)}
        raise WireError(
            "a value of type %s.%s cannot be sent between the server and the model process"
            % (type(value).__module__, type(value).__qualname__)
        )

    def array(self, array):
        shape = list(array.shape)
        kind = array.dtype.kind
        if kind in _RAW_KINDS:
            little = array.astype(array.dtype.newbyteorder("<"), copy=False)
            return {"t": "nd", "dtype": little.dtype.str, "shape": shape, "b": self._buffer(little)}
        if kind == "U":
            return self._texts(array.reshape(-1).tolist(), shape, "str")
        if kind == "S":
            return self._texts(array.reshape(-1).tolist(), shape, "bytes")
        items = array.reshape(-1).tolist()
        if kind == "O":
            text = _text_kind(items)
            if text is not None:
                return self._texts(items, shape, text)
            return {"t": "nd", "dtype": "object", "shape": shape, "items": [self.value(i) for i in items]}
        raise WireError("numpy arrays of dtype %s cannot be sent to or from the model process" % array.dtype)

    def _texts(self, items, shape, kind):
        import numpy as np

        nulls = [item is None or isinstance(item, float) for item in items]
        raw = [b"" if null else (item.encode("utf-8", "surrogatepass") if kind == "str" else bytes(item))
               for item, null in zip(items, nulls)]
        tree = {
            "t": "nd", "dtype": kind, "shape": shape,
            "b": self._buffer(b"".join(raw)),
            "lens": self._buffer(np.array([len(r) for r in raw], dtype="<i8")),
        }
        if any(nulls):
            tree["nulls"] = self._buffer(np.array(nulls, dtype=bool))
        return tree

    def column(self, series):
        import numpy as np
        import pandas as pd

        dtype = series.dtype
        if isinstance(dtype, np.dtype):
            return self.array(series.to_numpy())
        if isinstance(dtype, pd.DatetimeTZDtype):
            utc = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            return dict(self.array(utc), tz=str(dtype.tz))
        name = getattr(dtype, "name", "")
        numpy_dtype = getattr(dtype, "numpy_dtype", None)
        if numpy_dtype is not None and numpy_dtype.kind in "biuf" and name != "category":
            mask = series.isna().to_numpy()
            values = series.to_numpy(dtype=numpy_dtype, na_value=0 if numpy_dtype.kind != "b" else False)
            return dict(self.array(values), masked=name, mask=self._buffer(mask.astype(bool)))
        return self.array(series.to_numpy(dtype=object, na_value=None))


def _text_kind(items):
    kinds = set()
    for item in items:
        if item is None or (isinstance(item, float) and item != item):
            continue
        if isinstance(item, str):
            kinds.add("str")
        elif isinstance(item, bytes):
            kinds.add("bytes")
        else:
            return None
    if len(kinds) == 1:
        return kinds.pop()
    return None


def _key(key):
    if isinstance(key, _JSON_SCALARS):
        return key
    item = getattr(key, "item", None)  # numpy scalars as column names
    if item is not None:
        return item()
    return str(key)


class _Decoder:
    def __init__(self, buffers):
        self.buffers = buffers

    def value(self, tree):
        t = tree["t"]
        if t == "json":
            v = tree["v"]
            return tuple(v) if tree.get("tuple") else v
        if t == "bytes":
            return bytes(self.buffers[tree["b"]])
        if t == "list":
            items = [self.value(item) for item in tree["items"]]
            return tuple(items) if tree.get("tuple") else items
        if t == "dict":
            return {k: self.value(v) for k, v in tree["items"]}
        if t == "datetime":
            return datetime.datetime.fromisoformat(tree["v"])
        if t == "nd":
            return self.array(tree)
        if t == "scalar":
            return self.array(tree["v"])[()]
        if t == "df":
            return self.frame(tree)
        if t == "proven":
            if "block_t" in tree:
                return Proven(tree["names"], block=self.array(tree["block_t"]).T)
            return Proven(tree["names"], columns=[self.array(c) for c in tree["columns"]])
        if t == "series":
            return self.column(tree["v"], tree["name"])
        raise WireError("unknown value tag %r" % t)

    def array(self, tree):
        import numpy as np

        shape = tuple(tree["shape"])
        dtype = tree["dtype"]
        if dtype in ("str", "bytes"):
            data = self.buffers[tree["b"]]
            lens = np.frombuffer(self.buffers[tree["lens"]], dtype="<i8")
            nulls = np.frombuffer(self.buffers[tree["nulls"]], dtype=bool) if "nulls" in tree else None
            out = np.empty(len(lens), dtype=object)
            start = 0
            for i, size in enumerate(lens.tolist()):
                chunk = data[start:start + size]
                start += size
                if nulls is not None and nulls[i]:
                    out[i] = None
                else:
                    out[i] = str(chunk, "utf-8", "surrogatepass") if dtype == "str" else bytes(chunk)
            return out.reshape(shape)
        if dtype == "object":
            out = np.empty(len(tree["items"]), dtype=object)
            for i, item in enumerate(tree["items"]):
                out[i] = self.value(item)
            return out.reshape(shape)
        return np.frombuffer(self.buffers[tree["b"]], dtype=np.dtype(dtype)).reshape(shape)

    def column(self, tree, name):
        import pandas as pd

        values = self.array(tree)
        if "masked" in tree:
            import numpy as np

            mask = np.frombuffer(self.buffers[tree["mask"]], dtype=bool)
            series = pd.Series(values, name=name).astype(tree["masked"])
            series[mask] = pd.NA
            return series
        series = pd.Series(values, name=name)
        if "tz" in tree:
            series = series.dt.tz_localize("UTC").dt.tz_convert(tree["tz"])
        return series

    def frame(self, tree):
        import pandas as pd

        columns = [self.column(col, name) for name, col in tree["columns"]]
        if not columns:
            return pd.DataFrame(index=pd.RangeIndex(tree["rows"]))
        frame = pd.concat(columns, axis=1) if len(columns) > 1 else columns[0].to_frame()
        frame.columns = [name for name, _ in tree["columns"]]
        return frame

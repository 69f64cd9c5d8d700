"""The frames between the server and a model process: versioned, of raw buffers.

A frame is a fixed prefix, a UTF-8 JSON header and a body::

    b"RMLF"  version (1 byte)  3 pad bytes  header length (u32)  body length (u64)
    header   {"op": ..., ..., "buffers": [n0, n1, ...]}
    body     buffer 0, buffer 1, ... each padded to a multiple of 8 bytes
             (their unpadded byte lengths are in "buffers")

What the values in a header and its buffers mean is :mod:`rmlf_wire`'s. This module runs
on Python 3.9+, in the server and in a model's own environment.
"""

from __future__ import annotations

import json
import struct

MAGIC = b"RMLF"
PROTOCOL = 1
_PREFIX = struct.Struct("!4sB3xIQ")


class WireError(Exception):
    """A frame is not of this protocol version, or a value cannot be framed."""


class Channel:
    """Frames over a connected stream socket; one request or answer per frame."""

    def __init__(self, sock):
        self._sock = sock

    def send(self, header, buffers=()):
        views = [_bytes_view(b) for b in buffers]
        sizes = [v.nbytes for v in views]
        head = json.dumps(dict(header, buffers=sizes), ensure_ascii=False).encode("utf-8")
        body_len = sum(_aligned(size) for size in sizes)
        self._sock.sendall(_PREFIX.pack(MAGIC, PROTOCOL, len(head), body_len) + head)
        for view in views:
            if view.nbytes:
                self._sock.sendall(view)
            pad = _aligned(view.nbytes) - view.nbytes
            if pad:
                self._sock.sendall(b"\0" * pad)

    def recv(self):
        """The next frame as ``(header, buffers)``; EOFError if the peer has gone."""
        prefix = self._read(_PREFIX.size, at_start=True)
        magic, version, head_len, body_len = _PREFIX.unpack(prefix)
        if magic != MAGIC:
            raise WireError("not a runtime_mlflow frame (magic %r)" % bytes(magic))
        if version != PROTOCOL:
            raise WireError("peer speaks protocol %d, this side %d" % (version, PROTOCOL))
        header = json.loads(bytes(self._read(head_len)).decode("utf-8"))
        body = memoryview(self._read(body_len))
        buffers, start = [], 0
        for size in header.pop("buffers", []):
            buffers.append(body[start:start + size])
            start += _aligned(size)
        return header, buffers

    def _read(self, size, at_start=False):
        data = bytearray(size)
        view, got = memoryview(data), 0
        while got < size:
            n = self._sock.recv_into(view[got:])
            if n == 0:
                if got == 0 and at_start:
                    raise EOFError("the peer closed the connection")
                raise EOFError("the peer closed the connection mid-frame")
            got += n
        return data


def _aligned(size):
    """Buffers start at multiples of 8 bytes, so arrays read in place are aligned."""
    return (size + 7) // 8 * 8


def _bytes_view(buffer):
    if isinstance(buffer, (bytes, bytearray, memoryview)):
        return memoryview(buffer).cast("B")
    import numpy as np

    return memoryview(np.ascontiguousarray(buffer).reshape(-1).view(np.uint8))

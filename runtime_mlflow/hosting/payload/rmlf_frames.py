"""The frames between the server and its model processes: versioned, of raw buffers.

A frame is a fixed prefix, a UTF-8 JSON header and a body::

    b"RMLF"  version (1 byte)  3 pad bytes  header length (u32)  body length (u64)
    header   {"op": ..., ..., "buffers": [n0, n1, ...]}
    body     buffer 0, buffer 1, ... each padded to a multiple of 8 bytes
             (their unpadded byte lengths are in "buffers")

What the values in a header and its buffers mean is :mod:`rmlf_wire`'s. :func:`pack` makes a
frame and :class:`Parser` reads frames from bytes as they arrive, for the blocking
:class:`Channel` here and the server's event loop alike. A frame may carry file descriptors
(``SCM_RIGHTS``) with its first byte. This module runs on Python 3.9+, in the server and in
a model's own environment.
"""

from __future__ import annotations

import array
import json
import socket
import struct

MAGIC = b"RMLF"
PROTOCOL = 2
PREFIX = struct.Struct("!4sB3xIQ")
_SMALL = 1 << 16
"""Frames up to this size are joined and sent in one call."""
_PAD = bytes(8)


class WireError(Exception):
    """A frame is not of this protocol version, or a value cannot be framed."""


def pack(header, buffers=()):
    """The frame of ``header`` and ``buffers`` as a list of byte views, in order."""
    views = [_bytes_view(b) for b in buffers]
    sizes = [v.nbytes for v in views]
    head = json.dumps(dict(header, buffers=sizes), ensure_ascii=False).encode("utf-8")
    parts = [PREFIX.pack(MAGIC, PROTOCOL, len(head), sum(_aligned(size) for size in sizes)), head]
    for view in views:
        if view.nbytes:
            parts.append(view)
        pad = _aligned(view.nbytes) - view.nbytes
        if pad:
            parts.append(_PAD[:pad])
    return parts


def joined(parts):
    """``parts`` as one bytes object when the frame is small, else as they are (no copy)."""
    if sum(len(p) if isinstance(p, bytes) else p.nbytes for p in parts) <= _SMALL:
        return [b"".join(parts)]
    return parts


class Parser:
    """Frames out of a byte stream: :meth:`feed` what arrives, get each whole frame."""

    def __init__(self):
        self._data = bytearray()
        self._need = None  # (header length, body length) of the frame being read

    def feed(self, data):
        """The ``(header, buffers)`` frames completed by ``data``; WireError for a foreign frame."""
        self._data += data
        frames = []
        while True:
            if self._need is None:
                if len(self._data) >= 4 and self._data[:4] != MAGIC:  # say so before the rest arrives
                    raise WireError("not a runtime_mlflow frame (magic %r)" % bytes(self._data[:4]))
                if len(self._data) < PREFIX.size:
                    return frames
                magic, version, head_len, body_len = PREFIX.unpack_from(self._data)
                if magic != MAGIC:
                    raise WireError("not a runtime_mlflow frame (magic %r)" % bytes(magic))
                if version != PROTOCOL:
                    raise WireError("peer speaks protocol %d, this side %d" % (version, PROTOCOL))
                self._need = (head_len, body_len)
            head_len, body_len = self._need
            end = PREFIX.size + head_len + body_len
            if len(self._data) < end:
                return frames
            header = json.loads(bytes(self._data[PREFIX.size:PREFIX.size + head_len]).decode("utf-8"))
            body = memoryview(self._data[PREFIX.size + head_len:end])  # a copy: the buffers outlive the stream
            del self._data[:end]
            self._need = None
            buffers, start = [], 0
            for size in header.pop("buffers", []):
                buffers.append(body[start:start + size])
                start += _aligned(size)
            frames.append((header, buffers))

    @property
    def pending(self):
        """Bytes of an incomplete frame (0 between frames)."""
        return len(self._data)


class Channel:
    """Frames over a connected, blocking stream socket; one request or answer per frame."""

    def __init__(self, sock):
        self._sock = sock
        self._parser = Parser()
        self._ready = []

    def send(self, header, buffers=(), fds=()):
        """Send one frame; ``fds``: file descriptors that travel with it."""
        parts = joined(pack(header, buffers))
        if fds:
            first = parts[0]
            sent = self._sock.sendmsg([first], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
            parts[0] = memoryview(first)[sent:]
        for part in parts:
            self._sock.sendall(part)

    def recv(self, fds=None):
        """The next frame as ``(header, buffers)``; EOFError if the peer has gone.

        ``fds``: a list that receives the file descriptors sent with the frame."""
        while not self._ready:
            if fds is not None:
                data, received, _, _ = socket.recv_fds(self._sock, 1 << 16, 4)
                fds.extend(received)
            else:
                data = self._sock.recv(1 << 16)
            if not data:
                if self._parser.pending:
                    raise EOFError("the peer closed the connection mid-frame")
                raise EOFError("the peer closed the connection")
            self._ready.extend(self._parser.feed(data))
        return self._ready.pop(0)


def _aligned(size):
    """Buffers start at multiples of 8 bytes, so arrays read in place are aligned."""
    return (size + 7) // 8 * 8


def _bytes_view(buffer):
    if isinstance(buffer, (bytes, bytearray, memoryview)):
        return memoryview(buffer).cast("B")
    import numpy as np

    return memoryview(np.ascontiguousarray(buffer).reshape(-1).view(np.uint8))

"""A model process: serves the models the server loads into it, over one socket of frames.

A model process is forked from a template (``rmlf_template``) and calls :func:`serve` with
its end of a socket the server made; where forking is not safe, the template starts it
fresh instead, as::

    <env>/bin/python [-I] -c "<bootstrap>" <payload dir> --fd N

Every request carries an ``id`` that its answers repeat, and models are named by the
server's ``m``:

* ``load`` (``m``, ``uri``, ``method``, ``lean``) -> ``loaded`` (``described``: what the
  method answers, see ``rmlf_methods``);
* ``unload`` (``m``) -> ``unloaded``;
* ``predict`` (``m``, ``value``, ``params``) -> ``result`` (``value``);
* ``stream`` -> one ``chunk`` per item the model's ``predict_stream`` yields, then ``end``;
* ``cancel`` (``target``: a request's id), not answered: no one waits for that request any
  more; if it is still waiting for a thread it is answered ``error`` without being run, and a
  stream stops at its next chunk (a prediction already running runs to its end);
* ``bye``: the process exits.

Any of them may be answered ``error`` instead (even a stream after some chunks), and the
process keeps serving. Requests are read in order; a prediction known to be short runs as
it is read, others (and streams) in threads, so a slow request does not hold the ones behind
it (``rmlf_timing``). Anything a model prints goes to stderr, which the server logs; the
socket carries frames only. The process exits when the server closes the socket.
This module runs on Python 3.9+ with MLflow 2.x or 3.x.
"""

from __future__ import annotations

import gc
import os
import socket
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

import rmlf_frames as frames
import rmlf_host as host
import rmlf_parent as parent
import rmlf_timing as timing
import rmlf_wire as wire


def main(argv):
    """The model process started fresh (not forked) by the template ``--parent``: serve the socket ``--fd``."""
    parent.die_with(int(argv[argv.index("--parent") + 1]))
    fd = int(argv[argv.index("--fd") + 1])
    return serve(socket.socket(fileno=fd))


def serve(sock):
    """Serve requests on ``sock`` until the server closes it or says ``bye``; the exit status."""
    # The socket is the protocol; a model that prints must not corrupt it.
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _Server(frames.Channel(sock)).run()
    return 0


class _Server:
    def __init__(self, channel):
        self.channel = channel
        self.models = {}
        self.durations = {}
        self.sending = threading.Lock()
        self.pending = set()  # ids of requests handed to a thread and not started (a stream: not ended)
        self.cancelled = set()  # ids of those no one waits for any more
        self.marks = threading.Lock()  # both sets change together, from the reader and the threads
        self.threads = ThreadPoolExecutor(max_workers=min(32, (os.cpu_count() or 1) + 4),
                                          thread_name_prefix="rmlf-predict")

    def run(self):
        while True:
            try:
                header, buffers = self.channel.recv()
            except EOFError:
                return
            op = header.get("op")
            if op == "bye":
                return
            if op == "cancel":
                with self.marks:
                    if header.get("target") in self.pending:
                        self.cancelled.add(header.get("target"))
                continue
            try:
                self.handle(op, header, buffers)
            except Exception as exc:  # every failure is answered; the process keeps serving
                self.send(_failure(header, exc))

    def handle(self, op, header, buffers):
        rid, name = header.get("id"), header.get("m")
        if op == "load":
            model = host.Hosted(header["uri"], header.get("method") or host.methods.DEFAULT, header.get("lean"))
            self.models[name] = model
            self.durations[name] = timing.Durations()
            # what loading made lives as long as the model: keep full collections off it
            gc.collect(1)
            gc.freeze()
            self.send({"op": "loaded", "id": rid, "described": model.described})
        elif op == "unload":
            self.models.pop(name, None)
            self.durations.pop(name, None)
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.send({"op": "unloaded", "id": rid})
        elif op in ("predict", "stream"):
            model = self.models.get(name)
            if model is None:
                raise RuntimeError("model %r is not loaded in this process" % (name,))
            value = wire.decode(header["value"], buffers)
            params = header.get("params")
            if op == "stream":
                self.pending.add(rid)
                self.threads.submit(self.stream, header, model, value, params)
                return
            durations, rows = self.durations[name], header.get("rows", 1)
            if durations.inline(rows):
                self.predict(header, durations, rows, model, value, params)
            else:
                self.pending.add(rid)
                self.threads.submit(self.predict, header, durations, rows, model, value, params)
        else:
            raise RuntimeError("unknown request %r" % op)

    def predict(self, header, durations, rows, model, value, params):
        rid = header.get("id")
        if self.given_up(rid, started=True):
            return
        try:
            tree, out = wire.encode(durations.timed(rows, model.predict, value, params))
        except Exception as exc:
            self.send(_failure(header, exc))
            return
        self.send({"op": "result", "id": rid, "value": tree}, out)

    def stream(self, header, model, value, params):
        rid = header.get("id")
        try:
            if self.given_up(rid):
                return
            for item in model.stream(value, params):
                if self.given_up(rid):
                    return
                tree, out = wire.encode(item)
                self.send({"op": "chunk", "id": rid, "value": tree}, out)
        except Exception as exc:
            self.send(_failure(header, exc))
            return
        finally:
            with self.marks:
                self.pending.discard(rid)
                self.cancelled.discard(rid)
        self.send({"op": "end", "id": rid})

    def given_up(self, rid, started=False):
        """Whether no one waits for request ``rid`` any more; if so it is answered (an error) and not
        run. ``started``: the request starts now, and a cancel from now on is not for it."""
        with self.marks:
            gone = rid in self.cancelled
            self.cancelled.discard(rid)
            if started:
                self.pending.discard(rid)
        if not gone:
            return False
        self.send({"op": "error", "id": rid, "type": "Cancelled", "mro": [], "error_code": None, "traceback": "",
                   "message": "the request was given up on by its client before the model started it"})
        return True

    def send(self, header, buffers=()):
        with self.sending:
            self.channel.send(header, buffers)


def _failure(header, exc):
    return {
        "op": "error",
        "id": header.get("id"),
        "type": type(exc).__name__,
        "mro": ["%s.%s" % (cls.__module__, cls.__qualname__) for cls in type(exc).__mro__],
        "message": getattr(exc, "message", None) or str(exc),
        "error_code": getattr(exc, "error_code", None),
        "traceback": traceback.format_exc(),
    }

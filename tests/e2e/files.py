"""A plain HTTP file server for archives: ``python files.py ROOT PORT``; ``/private/...`` answers 403."""

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class Handler(SimpleHTTPRequestHandler):
    def send_head(self):
        if self.path.startswith("/private/"):
            self.send_error(403, "Forbidden")
            return None
        return super().send_head()


if __name__ == "__main__":
    handler = functools.partial(Handler, directory=sys.argv[1])
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), handler).serve_forever()

"""A plain HTTP file server for archives: ``python files.py ROOT PORT``; ``/private/...`` answers 403,
and ``/get-only/...`` answers 403 to HEAD, as a URL presigned for GET does."""

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class Handler(SimpleHTTPRequestHandler):
    def do_HEAD(self):
        if self.path.startswith("/get-only/"):
            self.send_error(403, "SignatureDoesNotMatch")
            return
        super().do_HEAD()

    def translate_path(self, path):
        if path.startswith("/get-only/"):
            path = path[len("/get-only"):]
        return super().translate_path(path)

    def send_head(self):
        if self.path.startswith("/private/"):
            self.send_error(403, "Forbidden")
            return None
        return super().send_head()


if __name__ == "__main__":
    handler = functools.partial(Handler, directory=sys.argv[1])
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), handler).serve_forever()

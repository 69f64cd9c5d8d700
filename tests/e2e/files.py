"""A plain HTTP file server for archives: ``python files.py ROOT PORT``; ``/private/...`` answers 403,
``/get-only/...`` answers 403 to HEAD, as a URL presigned for GET does, and ``/slow/...``
waits 8 s before it answers a GET, as a large download would."""

import functools
import sys
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class Handler(SimpleHTTPRequestHandler):
    def do_HEAD(self):
        if self.path.startswith("/get-only/"):
            self.send_error(403, "SignatureDoesNotMatch")
            return
        super().do_HEAD()

    def do_GET(self):
        if self.path.startswith("/slow/"):
            time.sleep(8)
        super().do_GET()

    def translate_path(self, path):
        for prefix in ("/get-only", "/slow"):
            if path.startswith(prefix + "/"):
                path = path[len(prefix):]
        return super().translate_path(path)

    def send_head(self):
        if self.path.startswith("/private/"):
            self.send_error(403, "Forbidden")
            return None
        return super().send_head()


if __name__ == "__main__":
    handler = functools.partial(Handler, directory=sys.argv[1])
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), handler).serve_forever()

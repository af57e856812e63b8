"""A server that records every request a rendered document makes, and markup that tries."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app.exports.pdf.render import STATIC_ROOT


class SpyServer:
    """A real HTTP server on 127.0.0.1 that counts the requests it gets."""

    def __init__(self):
        requests = self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"p { color: red }")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def hostile_markup(port: int) -> str:
    return f"""
    <link rel="attachment" href="http://127.0.0.1:{port}/attachment">
    <link rel="attachment" href="data:text/plain,secret">
    <a rel="attachment" href="data:text/plain,secret2">download</a>
    <link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
    <style>@import url("http://127.0.0.1:{port}/import.css");
      p {{ background: url(file:///etc/passwd) }}</style>
    <img src="http://127.0.0.1:{port}/x"><img src="file:///etc/passwd">
    <img src="file://{STATIC_ROOT}/../pyproject.toml">
    <p style="background-image: url('http://127.0.0.1:{port}/bg')">Signers</p>
    """

"""A stand-in agent: answers GET / with a line naming its sessions table."""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"agent ready; sessions in {os.environ.get('SESSIONS_TABLE', '?')}\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body.encode())


ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()

"""A recording HTTP proxy between the SDK and gatehouse (the Python twin of
node/matrix/lib/proxy.js). The SDK's connection_uri points here; every request
is forwarded unchanged and recorded with gatehouse's answer, so each journey
step can assert which core calls it made and with which cdi-version header,
and a failing step prints the exchanges it caused."""

import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Per-hop headers (and the ones http.client sets itself) are not forwarded.
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "date", "server"}
_JWKS_PATHS = {"/.well-known/jwks.json", "/recipe/jwt/jwks"}


class Exchange:
    def __init__(self, method, path, query, cdi_version, rid, request_body):
        self.method = method
        self.path = path
        self.query = query
        self.cdi_version = cdi_version
        self.rid = rid
        self.request_body = request_body
        self.status = None
        self.response_body = None

    @property
    def is_jwks_fetch(self):
        return self.path in _JWKS_PATHS

    def describe(self):
        def cut(s):
            return s if s is None or len(s) <= 600 else s[:600] + "…"

        line = f"{self.method} {self.path}{self.query} cdi-version={self.cdi_version or '-'} rid={self.rid or '-'}"
        if self.request_body:
            line += f" body={cut(self.request_body)}"
        return line + f"\n      -> {self.status} {cut(self.response_body) or ''}"


class RecordingProxy:
    def __init__(self, target_url):
        target = urllib.parse.urlparse(target_url)
        self.exchanges = []
        exchanges = self.exchanges

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _forward(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urllib.parse.urlsplit(self.path)
                ex = Exchange(
                    self.command,
                    url.path,
                    f"?{url.query}" if url.query else "",
                    self.headers.get("cdi-version"),
                    self.headers.get("rid"),
                    body.decode("utf-8", "replace"),
                )
                exchanges.append(ex)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                try:
                    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    answer = resp.read()
                    ex.status = resp.status
                    ex.response_body = answer.decode("utf-8", "replace")
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() not in _HOP:
                            self.send_header(k, v)
                    conn.close()
                except OSError as err:
                    ex.status = 599
                    answer = f"proxy could not reach gatehouse: {err}".encode()
                    ex.response_body = answer.decode()
                    self.send_response(502)
                    self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()

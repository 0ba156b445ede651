#!/usr/bin/env python3
"""A minimal reverse proxy that publishes a service under a path prefix, stripping it on the way,
as nginx's `location /cnfs/ { proxy_pass http://upstream/; }` does. For the browser check only.

    python3 tests/browser/prefix-proxy.py LISTEN_PORT UPSTREAM_URL PREFIX
    python3 tests/browser/prefix-proxy.py 18991 http://127.0.0.1:18990 /cnfs

`/cnfs/x` goes to `UPSTREAM_URL/x`; anything outside the prefix gets a 404 from the proxy itself
(so that a URL that escapes the prefix shows up as an error). Each forwarded request is logged on
stderr. Standard library only.
"""

import http.client
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade",
}


def make_handler(upstream, prefix):
    target = urllib.parse.urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def proxy(self):
            if not (self.path == prefix or self.path.startswith(prefix + "/")):
                body = f"outside {prefix}/: {self.path}\n".encode()
                self.send_response(404)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return
            path = self.path[len(prefix):] or "/"
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = target.netloc
            upstream_conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            upstream_conn.request(self.command, path, body=body, headers=headers)
            answer = upstream_conn.getresponse()
            data = answer.read()  # de-chunked, still encoded (gzip…) as the upstream sent it
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                # Length set below; Date and Server are written by send_response itself.
                if name.lower() not in HOP_BY_HOP | {"content-length", "date", "server"}:
                    self.send_header(name, value)
            if self.command == "HEAD":
                length_header = answer.getheader("Content-Length")
                if length_header is not None:
                    self.send_header("Content-Length", length_header)
            else:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            upstream_conn.close()
            sys.stderr.write(f"proxy: {self.command} {self.path} -> {path} {answer.status}\n")

        do_GET = do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = proxy

        def log_message(self, *args):
            pass

    return Handler


def main():
    port, upstream, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3].rstrip("/")
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(upstream, prefix))
    sys.stderr.write(f"proxy: http://127.0.0.1:{port}{prefix}/ -> {upstream}/\n")
    server.serve_forever()


if __name__ == "__main__":
    main()

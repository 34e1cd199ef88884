"""A small HTTP server on 127.0.0.1 for the bundled demo sources and for tests.

Serves a folder of files with ETag and Last-Modified (so conditional GET answers 304),
a robots.txt, and optional per-path overrides (status codes, delays, headers, bodies)
for fault tests. It records every request it gets, so tests can count them.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

mimetypes.add_type("application/rss+xml", ".rss")
mimetypes.add_type("application/atom+xml", ".atom")
mimetypes.add_type("application/rdf+xml", ".rdf")
mimetypes.add_type("application/xml", ".xml")


@dataclass
class Route:
    """What to answer for one path instead of the file on disk."""

    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    times: int | None = None  # answer like this only so many times, then serve the file


@dataclass
class RequestRecord:
    method: str
    path: str
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.monotonic)


class LocalServer:
    """Serve ``root`` on ``http://127.0.0.1:PORT/`` in a background thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        root: str | Path,
        port: int = 0,
        robots_txt: str = "User-agent: *\nDisallow: /private/\n",
    ) -> None:
        self.root = Path(root).resolve()
        self.robots_txt = robots_txt
        self.routes: dict[str, Route] = {}
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def start(self) -> LocalServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests_for(self, path: str) -> list[RequestRecord]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "trendscout-localserver"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(head=True)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(head=False)

            def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head and status != 304:
                    self.wfile.write(body)
                self.record.status = status

            def _answer(self, head: bool) -> None:
                # Recorded on arrival: a client that gives up early still counts.
                self.record = RequestRecord(self.command, self.path, dict(self.headers.items()), 0)
                server._record(self.record)
                path = unquote(urlsplit(self.path).path)
                route = server._take_route(path, self.path)
                if route is not None:
                    if route.delay:
                        time.sleep(route.delay)
                    body = route.body if route.body is not None else b""
                    kind = "text/plain; charset=utf-8"
                    if route.body is None and route.status == 200:
                        file = server._file(path)
                        if file is not None:
                            body, kind = file.read_bytes(), _content_type(file)
                    headers = {"Content-Type": kind, **route.headers}
                    self._send(route.status, body, headers, head)
                    return
                if path == "/robots.txt":
                    self._send(
                        200, server.robots_txt.encode(), {"Content-Type": "text/plain"}, head
                    )
                    return
                file = server._file(path)
                if file is None:
                    self._send(404, b"not found", {"Content-Type": "text/plain"}, head)
                    return
                body = file.read_bytes()
                mtime = file.stat().st_mtime
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                headers = {
                    "Content-Type": _content_type(file),
                    "ETag": etag,
                    "Last-Modified": formatdate(mtime, usegmt=True),
                }
                if _not_modified(
                    self.headers.get("If-None-Match"),
                    self.headers.get("If-Modified-Since"),
                    etag,
                    mtime,
                ):
                    self._send(304, b"", headers, head)
                    return
                self._send(200, body, headers, head)

        return Handler

    def _take_route(self, path: str, raw: str) -> Route | None:
        with self._lock:
            route = self.routes.get(path) or self.routes.get(raw)
            if route is None or route.times is None:
                return route
            if route.times <= 0:
                return None
            route.times -= 1
            return route

    def _file(self, path: str) -> Path | None:
        candidate = (self.root / path.lstrip("/")).resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file() or self.root not in candidate.parents:
            return None
        return candidate


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that time out or cancel a large download hang up mid-answer: expected.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _content_type(file: Path) -> str:
    # No charset parameter: feeds declare their own encoding, and many real servers omit it.
    return mimetypes.guess_type(file.name)[0] or "application/octet-stream"


def _not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, mtime: float
) -> bool:
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match == "*"
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return int(mtime) <= int(since)
    return False


def main() -> None:
    """``python -m pipelines.localserver DIR [PORT]``: serve a folder until Ctrl-C."""
    import sys

    root = sys.argv[1] if len(sys.argv) > 1 else "."
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8000
    with LocalServer(root, port) as server:
        print(f"serving {root} at {server.base_url}/", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

"""A tiny threaded HTTP server that records every request, can be told to fail, and can enforce a rate limit.

Subclasses implement `route(method, path, body, headers) -> (status, payload, extra_headers)`. A test can also
set `on_request(record)`: called in the server's thread before each answer (to hold an answer back, or move the
clock while a call is in flight, as a slow platform would).
"""

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qsl, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    body: dict
    headers: dict
    status: int = 0


@dataclass
class Failure:
    """Answer `status` to the next `times` requests matching `match` (a method name or path fragment)."""

    match: str
    status: int
    times: int = 1
    retry_after: float | None = None
    description: str = ""
    only_for: str | None = None  # a user id the request must concern


@dataclass
class RateLimit:
    per_second: int
    window_start: float = 0.0
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self) -> float | None:
        """None when the request may pass, else the seconds until the window resets."""
        with self.lock:
            now = time.monotonic()
            window = math.floor(now)
            if window != self.window_start:
                self.window_start, self.count = window, 0
            if self.count >= self.per_second:
                return max(0.01, window + 1 - now)
            self.count += 1
            return None


class FakeServer:
    MUTATING: frozenset[str] = frozenset()

    def __init__(self):
        self.requests: list[RecordedRequest] = []
        self.failures: list[Failure] = []
        self.rate_limit: RateLimit | None = None
        self.rate_limited_count = 0
        self.latency = 0.0  # seconds added to every answer (to make concurrent runs overlap)
        self.on_request: Callable[[RecordedRequest], None] | None = None
        self.lock = threading.RLock()
        self._delays: dict[str, list[float]] = {}  # call name -> seconds to hold its next answers back
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per answer and no Nagle: otherwise headers and body leave in two segments and the
            # client's delayed ACK adds ~40 ms to every request.
            wbufsize = -1
            disable_nagle_algorithm = True

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload, extra = fake.dispatch(self.command, self.path, raw, dict(self.headers))
                # bytes are a page (HTML) sent as is, its Content-Type in `extra`; anything else is JSON
                raw_page = isinstance(payload, bytes)
                data = payload if raw_page else b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                if payload is not None and not raw_page:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # configuration from tests
    def fail(
        self,
        match: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        description: str = "",
        only_for: str | None = None,
    ) -> None:
        with self.lock:
            self.failures.append(Failure(match, status, times, retry_after, description, only_for))

    def enforce_rate_limit(self, per_second: int | None) -> None:
        self.rate_limit = RateLimit(per_second) if per_second else None

    def reset_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    # what tests assert on
    def calls(self, name: str | None = None) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.requests if name is None or self.name_of(r.method, r.path) == name]

    def mutating_calls(self) -> list[RecordedRequest]:
        return [r for r in self.calls() if self.name_of(r.method, r.path) in self.MUTATING]

    # plumbing
    @staticmethod
    def parse_body(raw: bytes, headers: dict) -> dict:
        if not raw:
            return {}
        content_type = headers.get("Content-Type", "")
        text = raw.decode()
        if "json" in content_type:
            return json.loads(text)
        body = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            try:
                body[key] = json.loads(value)
            except ValueError:
                body[key] = value
        return body

    def name_of(self, method: str, path: str) -> str:
        raise NotImplementedError

    def delay_answer(self, name: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` calls named `name` take effect, then their answer waits `seconds` (the client gives up
        first: an outcome it cannot know)."""
        with self.lock:
            self._delays.setdefault(name, []).extend([seconds] * times)

    def dispatch(self, method: str, raw_path: str, raw: bytes, headers: dict):
        answer = self._answer(method, raw_path, raw, headers)
        with self.lock:
            delays = self._delays.get(self.name_of(method, urlsplit(raw_path).path))
            delay = delays.pop(0) if delays else 0.0
        if delay:
            time.sleep(delay)
        return answer

    def _answer(self, method: str, raw_path: str, raw: bytes, headers: dict):
        path = urlsplit(raw_path).path
        body = self.parse_body(raw, headers)
        query = dict(parse_qsl(urlsplit(raw_path).query))
        body = {**query, **body}
        record = RecordedRequest(method, path, body, headers)
        with self.lock:
            self.requests.append(record)
        if self.on_request is not None:
            self.on_request(record)
        if self.latency:
            time.sleep(self.latency)
        if self.rate_limit is not None:
            wait = self.rate_limit.check()
            if wait is not None:
                with self.lock:
                    self.rate_limited_count += 1
                record.status = 429
                return self.rate_limited(wait)
        failure = self._matching_failure(method, path, body)
        if failure is not None:
            record.status = failure.status
            return self.failed(failure)
        with self.lock:
            status, payload, extra = self.route(method, path, body, headers)
        record.status = status
        return status, payload, extra

    def _matching_failure(self, method: str, path: str, body: dict) -> Failure | None:
        name = self.name_of(method, path)
        with self.lock:
            for failure in self.failures:
                if failure.times <= 0 or (failure.match not in (name, method) and failure.match not in path):
                    continue
                if failure.only_for and not (
                    str(body.get("user_id", "")) == failure.only_for or f"/{failure.only_for}" in path
                ):
                    continue
                failure.times -= 1
                return failure
        return None

    def route(self, method: str, path: str, body: dict, headers: dict):
        raise NotImplementedError

    def rate_limited(self, wait: float):
        raise NotImplementedError

    def failed(self, failure: Failure):
        raise NotImplementedError

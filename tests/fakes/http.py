"""What the strict local API fakes share: the HTTP plumbing, none of the API.

A :class:`FakeApi` serves on 127.0.0.1, on a free port, in a daemon thread
(``http.server.ThreadingHTTPServer``: stdlib only), logs every request in
``requests``, arms injected faults (a status, a TCP reset or a delay) and answers
JSON. What a route means, how a request is authenticated and refused, and the
shape of the log entries and error bodies stay in each fake (cloudflare_api.py,
dnsmadeeasy_api.py, godaddy_api.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlsplit


class Server(ThreadingHTTPServer):
    """A listen backlog for bursts of concurrent clients (the stdlib default of 5 resets them)."""

    request_queue_size = 128
    daemon_threads = True
    block_on_close = False


class Handler(BaseHTTPRequestHandler):
    """Thin HTTP adapter: every request goes to its fake's ``_serve``."""

    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True  # else ~40 ms per response (Nagle vs delayed ACK)
    fake: FakeApi  # set on the per-server subclass

    def setup(self) -> None:
        super().setup()
        self.fake._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.fake._track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        self.fake._serve(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        """Write one answer, ``payload`` as JSON (None: an empty body); a vanished client is
        not an error."""
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            if payload is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def reset_connection(self) -> None:
        """Abort the TCP connection with a RST, without any answer."""
        sock = self.connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        for stream in (self.rfile, self.wfile):
            with contextlib.suppress(OSError):
                stream.close()
        # finish() and handle_one_request() still flush/close these.
        self.rfile = io.BytesIO()
        self.wfile = io.BytesIO()
        sock.close()


@dataclass
class Incoming:
    """One request as read off the wire."""

    method: str
    path: str  #: as sent, without the query (not decoded)
    query: dict[str, list[str]]
    body: Any  #: the JSON body; its text when it is not JSON; None when there is none
    bad_json: bool

    @classmethod
    def read(cls, handler: Handler) -> Incoming:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body, bad_json = raw.decode("utf-8", "replace"), True
        query = parse_qs(split.query, keep_blank_values=True)
        return cls(handler.command, split.path, query, body, bad_json)

    def flat_query(self) -> dict[str, Any]:
        """The query with a parameter given once as its value, else the list."""
        return {k: v[0] if len(v) == 1 else v for k, v in self.query.items()}


@dataclass
class Fault:
    """One armed fault; see :meth:`FakeApi.inject`."""

    method: str | None
    path_re: re.Pattern[str] | None
    status: int | None
    retry_after: int | None
    reset: bool
    delay: float | None
    remaining: int
    apply: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path_re is None or bool(self.path_re.search(path))


def expire(window: deque[float], seconds: float, now: float) -> None:
    """Forget the requests of a sliding rate-limit window older than ``seconds``."""
    while window and window[0] <= now - seconds:
        window.popleft()


def admit(window: deque[float], limit: int, seconds: float) -> int | None:
    """Count one request in a sliding window of ``limit`` per ``seconds`` (the caller holds
    the fake's lock): None when it fits, else the whole seconds (at least 1) until it would.
    A refused request does not count."""
    now = time.monotonic()
    expire(window, seconds, now)
    if len(window) >= limit:
        return max(1, math.ceil(window[0] + seconds - now))
    window.append(now)
    return None


class FakeApi:
    """A fake API's server: lifecycle, request log, injected faults, JSON answers.

    Subclasses serve the API: ``_serve`` (one request end to end) or, for the
    usual order (log, fault, then the API), ``_answer`` and ``_fault_body``.
    """

    #: in the server thread's name
    name: ClassVar[str] = "api"
    #: the API's path below the server, part of ``url``
    prefix: ClassVar[str] = ""
    handler: ClassVar[type[Handler]] = Handler

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.rate_limited = 0
        self.url = ""
        self._lock = threading.RLock()
        self._faults: list[Fault] = []
        self._window: deque[float] = deque()  # the requests the rate limit counts
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("already started")
        handler = type(f"{type(self).__name__}Handler", (self.handler,), {"fake": self})
        server = Server(("127.0.0.1", 0), handler)
        self._server = server
        port = server.server_address[1]
        self.url = f"http://127.0.0.1:{port}{self.prefix}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-{self.name}-{port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    # ------------------------------------------------------------- the log

    def writes(self) -> list[dict[str, Any]]:
        """Logged non-GET requests that were answered 2xx."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r["method"] != "GET" and r["status"] is not None and 200 <= r["status"] < 300
            ]

    def reset_log(self) -> None:
        """Forget logged requests (``rate_limited`` is kept)."""
        with self._lock:
            self.requests.clear()

    # -------------------------------------------------------------- faults

    def inject(
        self,
        method: str | None = None,
        path_regex: str | None = None,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        reset: bool = False,
        delay: float | None = None,
        times: int = 1,
        apply: bool = False,
    ) -> None:
        """Make the next ``times`` matching requests fail.

        ``path_regex`` is searched in the logged path. After an optional ``delay``
        the request gets ``status`` (plus Retry-After when ``retry_after`` is set)
        or, with ``reset``, a TCP reset and no answer. A delay alone answers 504.
        Faulted requests never change state, unless ``apply`` is set with a delay:
        then the request is processed normally after the delay (a write the client
        may already have given up on).
        """
        if status is None and not reset and delay is None:
            raise ValueError("inject needs status, reset or delay")
        if apply and (status is not None or reset or delay is None):
            raise ValueError("apply only combines with delay alone")
        self._arm(method, path_regex, status, times, retry_after, reset, delay, apply)

    def clear_faults(self) -> None:
        """Disarm every pending fault."""
        with self._lock:
            self._faults.clear()

    def _arm(
        self,
        method: str | None,
        path_regex: str | None,
        status: int | None,
        times: int,
        retry_after: int | None = None,
        reset: bool = False,
        delay: float | None = None,
        apply: bool = False,
    ) -> None:
        fault = Fault(
            method=method.upper() if method else None,
            path_re=re.compile(path_regex) if path_regex else None,
            status=status,
            retry_after=retry_after,
            reset=reset,
            delay=delay,
            remaining=times,
            apply=apply,
        )
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        """The first armed fault for this request, used once (the caller holds the lock)."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ------------------------------------------------------------- serving

    def _serve(self, handler: Handler) -> None:
        """One request end to end (in a server thread): logged, then an armed fault, else
        the API's answer."""
        incoming = Incoming.read(handler)
        path = self._path(incoming.path)
        entry: dict[str, Any] = {
            "method": incoming.method,
            "path": path,
            "query": incoming.flat_query(),
            "body": incoming.body,
            "status": None,
            "at": time.monotonic(),
        }
        with self._lock:
            self.requests.append(entry)
            fault = self._take_fault(incoming.method, path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.reset:
                handler.reset_connection()
                return
            if fault.status is not None or not fault.apply:
                status = fault.status or 504
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                self._finish(handler, entry, status, self._fault_body(status, fault), headers)
                return
        status, payload, headers = self._answer(handler, incoming, path)
        self._finish(handler, entry, status, payload, headers)

    def _path(self, path: str) -> str:
        """The path as logged, matched by faults and routed."""
        return path

    def _answer(
        self, handler: Handler, incoming: Incoming, path: str
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON payload, headers) of the API for the request."""
        raise NotImplementedError

    def _fault_body(self, status: int, fault: Fault) -> Any:
        """The body of an injected ``status``, shaped like the API's own."""
        raise NotImplementedError

    def _finish(
        self,
        handler: Handler,
        entry: dict[str, Any],
        status: int,
        payload: Any,
        headers: dict[str, str],
    ) -> None:
        with self._lock:
            entry["status"] = status
            if status == 429:
                self.rate_limited += 1
        handler.send_json(status, payload, headers)

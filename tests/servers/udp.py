"""A tiny UDP DNS server for tests that need answers no real server gives.

Drops, delays, mismatched ids or questions, truncation: ``reply(query)`` returns
the datagrams to send back (none, one or several), and every query is logged.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import dns.message
import dns.rdatatype

from providers.live.queries import Server

__all__ = ["UdpServer"]


class UdpServer:
    """A UDP DNS server of the test: ``reply(query) -> [wire datagrams]``, every query logged."""

    def __init__(self, reply: Callable[[dns.message.Message], list[bytes]]) -> None:
        self.reply = reply
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.server = Server("test", "127.0.0.1", self.port)
        self.log: list[tuple[str, str]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            self.log.append((query.question[0].name.to_text(), dns.rdatatype.to_text(
                query.question[0].rdtype)))  # fmt: skip
            for wire in self.reply(query):
                self.sock.sendto(wire, peer)

    def __enter__(self) -> UdpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()
        self.sock.close()

"""Many DNS questions in flight over one UDP socket: how confirm asks 10,000 domains.

A check is written as a generator that yields a :class:`Question` and gets the
answer back (or :class:`QueryFailed` thrown in), so its logic reads as plain
sequential code. :class:`QueryPipeline` runs many such checks at once: it keeps up
to ``window`` questions in flight over one non-blocking socket per address
family, matches answers by server, id and question, resends after a timeout,
and falls back to TCP when an answer is truncated. A thread and a socket per
query, as before, spent most of the time in the GIL and in socket set-up.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import select
import socket
import struct
import sys
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

__all__ = [
    "Query",
    "QueryFailed",
    "QueryPipeline",
    "Question",
    "Server",
    "Settings",
    "ask",
    "on_two_cores",
]

DEFAULT_TIMEOUT = 2.0
TRIES = 2  # UDP tries per query: a lost packet is retried once, a dead server costs 2 x timeout
WINDOW = 200  # questions in flight: enough to keep one core busy, far below socket buffers
PAYLOAD = 1232  # EDNS0 UDP size (DNS flag day 2020): no fragmentation
IN = 1
_OPT = b"\x00" + struct.pack("!2HIH", 41, PAYLOAD, 0, 0)  # root, OPT, size, no flags, no data
_ERRORS_WITHOUT_QUESTION = {
    dns.rcode.FORMERR, dns.rcode.SERVFAIL, dns.rcode.NOTIMP, dns.rcode.REFUSED,
}  # fmt: skip

SPLIT_MIN = 1000  # items below which a second process costs more than it saves

T = TypeVar("T")
J = TypeVar("J")


@dataclass(frozen=True)
class Server:
    """One address of one nameserver (or resolver) to ask."""

    name: str
    host: str
    port: int = 53

    @property
    def address(self) -> str:
        if self.port == 53:
            return self.host
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def label(self) -> str:
        return self.address if self.name == self.address else f"{self.name} ({self.address})"


@dataclass(frozen=True)
class Settings:
    timeout: float = DEFAULT_TIMEOUT
    tries: int = TRIES


class QueryFailed(Exception):
    """A nameserver gave no usable answer; ``kind`` is what the user reads first."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Question:
    """One query for one server; built where it is asked, so a bad name fails there."""

    server: Server
    qname: dns.name.Name
    rdtype: int
    recursion: bool = False

    def wire(self, qid: int) -> bytes:
        """The query on the wire (RFC 1035 4.1, EDNS0 OPT of RFC 6891), written directly:
        dnspython's message builder cost more than the rest of sending."""
        flags = 0x0100 if self.recursion else 0  # RD
        header = struct.pack("!6H", qid, flags, 1, 0, 0, 1)
        qname = self.qname.to_wire()
        assert qname is not None  # an absolute name always has wire form
        return header + qname + struct.pack("!2H", self.rdtype, IN) + _OPT

    def message(self) -> dns.message.QueryMessage:
        rdtype = dns.rdatatype.RdataType.make(self.rdtype)
        query = dns.message.make_query(self.qname, rdtype, use_edns=0, payload=PAYLOAD)
        if not self.recursion:
            query.flags &= ~dns.flags.RD
        return query

    def answered_by(self, answer: dns.message.Message) -> bool:
        """The answer to this question: same question, or an error code without one
        (servers may leave the question out of FORMERR, SERVFAIL, NOTIMP, REFUSED, as
        dnspython's ``is_response`` allows)."""
        if not answer.flags & dns.flags.QR:
            return False
        if not answer.question:
            return answer.rcode() in _ERRORS_WITHOUT_QUESTION
        if len(answer.question) != 1:
            return False
        asked = answer.question[0]
        return asked.name == self.qname and asked.rdtype == self.rdtype and asked.rdclass == IN


def question(
    server: Server, qname: str | dns.name.Name, rdtype: int, recursion: bool = False
) -> Question:
    if isinstance(qname, str):
        qname = dns.name.from_text(qname)
    return Question(server, qname, rdtype, recursion)


def _trimmed(data: bytes, asked: Question) -> bytes:
    """The answer without the sections no check reads, so dnspython parses less.

    The additional section (glue, OPT) is never read; the authority section
    (NS, SOA) is read only for negative or referral answers, so it is dropped
    from authoritative answers with data to questions asked without recursion.
    """
    flags, qd, an, ns, _ar = struct.unpack("!5H", data[2:12])
    if an and flags & dns.flags.AA and not asked.recursion:
        ns = 0
    return data[:2] + struct.pack("!5H", flags, qd, an, ns, 0) + data[12:]


#: a check: yields questions, receives their answers, returns its result
Query = Generator[Question, dns.message.Message, T]


@dataclass
class _Pending:
    task: Query[Any]
    index: int
    question: Question
    wire: bytes
    key: tuple[bytes, int, int]
    deadline: float
    tries: int = 1


def _network_error(server: Server, error: OSError) -> QueryFailed:
    reason = error.strerror or type(error).__name__
    return QueryFailed("network error", f"cannot reach {server.address} ({reason})")


def _packed(host: str) -> bytes:
    """The address as bytes, so answers match however the address is spelled."""
    host = host.split("%", 1)[0]  # an IPv6 zone index (fe80::1%eth0) is not part of it
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.inet_pton(family, host)


class QueryPipeline:
    """Runs checks concurrently over shared UDP sockets; one thread, bounded waits."""

    def __init__(self, settings: Settings, window: int = WINDOW) -> None:
        self.settings = settings
        self.window = window
        self.queries = 0  # datagrams sent, resends included
        self._sockets: dict[int, socket.socket] = {}
        self._pending: dict[tuple[bytes, int, int], _Pending] = {}
        self._results: dict[int, Any] = {}

    def run(self, tasks: Iterable[Query[T]]) -> list[T]:
        """Every task's result, in the order given."""
        self._results = {}
        waiting = iter(enumerate(tasks))
        try:
            while True:
                while len(self._pending) < self.window:
                    nxt = next(waiting, None)
                    if nxt is None:
                        break
                    index, task = nxt
                    self._advance(task, index, None, None)
                if not self._pending:
                    break
                self._receive()
                self._expire()
        finally:
            for sock in self._sockets.values():
                sock.close()
            self._sockets.clear()
        return [self._results[i] for i in range(len(self._results))]

    # -- stepping a task ---------------------------------------------------------------

    def _advance(
        self, task: Query[Any], index: int, answer: dns.message.Message | None,
        error: QueryFailed | None,
    ) -> None:  # fmt: skip
        """Give a task its answer (or error); send the question it asks next."""
        while True:
            try:
                if error is not None:
                    asked = task.throw(error)
                elif answer is not None:
                    asked = task.send(answer)
                else:
                    asked = next(task)
            except StopIteration as stop:
                self._results[index] = stop.value
                return
            answer = error = None
            try:
                self._send(task, index, asked)
                return
            except QueryFailed as e:
                error = e

    def _send(self, task: Query[Any], index: int, asked: Question) -> None:
        server = asked.server
        try:
            packed = _packed(server.host)
        except OSError:
            raise QueryFailed("network error", f"{server.host} is not an IP address") from None
        while True:
            qid = secrets.randbits(16)  # unpredictable, as a spoofed answer must not match
            key = (packed, server.port, qid)
            if key not in self._pending:
                break
        deadline = time.monotonic() + self.settings.timeout
        pending = _Pending(task, index, asked, asked.wire(qid), key, deadline)
        self._transmit(pending)
        self._pending[key] = pending

    def _transmit(self, pending: _Pending) -> None:
        server = pending.question.server
        family = socket.AF_INET6 if ":" in server.host else socket.AF_INET
        try:
            sock = self._sockets.get(family)
            if sock is None:
                sock = self._sockets[family] = socket.socket(family, socket.SOCK_DGRAM)
                sock.setblocking(False)
            sock.sendto(pending.wire, (server.host, server.port))
        except BlockingIOError:
            pass  # send buffer full: counts as a lost packet, resent after the timeout
        except OSError as e:
            self._pending.pop(pending.key, None)
            raise _network_error(server, e) from None
        self.queries += 1

    # -- answers and timeouts ------------------------------------------------------------

    def _receive(self) -> None:
        wait = max(0.0, min(p.deadline for p in self._pending.values()) - time.monotonic())
        readable, _, _ = select.select(list(self._sockets.values()), [], [], wait)
        for sock in readable:
            while True:
                try:
                    data, source = sock.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # e.g. ICMP port unreachable reported on the socket
                    break
                self._answer(data, source)

    def _answer(self, data: bytes, source: tuple) -> None:
        if len(data) < 12:
            return
        try:
            key = (_packed(source[0]), source[1], int.from_bytes(data[:2], "big"))
        except OSError:
            return
        pending = self._pending.get(key)
        if pending is None:
            return  # late, duplicate or stray: ignored, as dnspython's ignore_unexpected does
        error = None
        try:
            answer = dns.message.from_wire(_trimmed(data, pending.question), ignore_trailing=True)
        except (dns.exception.DNSException, struct.error) as e:
            # from the server's address, with the question's id: its answer, and broken
            # (dnspython's udp() raises here too)
            answer, error = None, QueryFailed("bad answer", f"{pending.question.server.address} "
                                              f"sent {e or type(e).__name__}")  # fmt: skip
        if answer is not None and not pending.question.answered_by(answer):
            return
        del self._pending[key]
        if answer is not None and answer.flags & dns.flags.TC:
            answer, error = self._over_tcp(pending.question)
        self._advance(pending.task, pending.index, answer, error)

    def _over_tcp(self, asked: Question) -> tuple[dns.message.Message | None, QueryFailed | None]:
        server = asked.server
        try:
            answer = dns.query.tcp(
                asked.message(), server.host, timeout=self.settings.timeout, port=server.port
            )
            return answer, None
        except dns.exception.Timeout:
            return None, QueryFailed(
                "timeout", f"no answer from {server.address} over TCP within "
                f"{self.settings.timeout:g} s (the UDP answer was truncated)",
            )  # fmt: skip
        except OSError as e:
            return None, _network_error(server, e)
        except dns.exception.DNSException as e:
            return None, QueryFailed("bad answer", f"{server.address} sent {e}")

    def _expire(self) -> None:
        now = time.monotonic()
        late = [p for p in self._pending.values() if p.deadline <= now]
        for pending in late:
            if self._pending.get(pending.key) is not pending:
                continue
            if pending.tries < self.settings.tries:
                pending.tries += 1
                pending.deadline = now + self.settings.timeout
                try:
                    self._transmit(pending)
                    continue
                except QueryFailed as e:
                    error = e
            else:
                del self._pending[pending.key]
                server = pending.question.server
                error = QueryFailed(
                    "timeout",
                    f"no answer from {server.address} within {self.settings.timeout:g} s "
                    f"({self.settings.tries} tries over UDP)",
                )
            self._advance(pending.task, pending.index, None, error)


def _single(asked: Question) -> Query[dns.message.Message]:
    return (yield asked)


def ask(
    server: Server, qname: str | dns.name.Name, rdtype: int, settings: Settings,
    recursion: bool = False,
) -> dns.message.Message:  # fmt: skip
    """One query to one server: UDP with bounded retries, TCP when truncated."""
    asked = question(server, qname, rdtype, recursion)
    return QueryPipeline(settings, window=1).run([_single(asked)])[0]


def on_two_cores(work: Callable[[Sequence[J]], list[T]], items: Sequence[J]) -> list[T]:
    """``work(items)``, the second half in a forked process when there are two cores.

    Parsing answers costs CPU (dnspython: ~0.2 ms each), so 10,000 zones are
    bound by one core; a fork shares the loaded zones without pickling them
    and sends back only the results. Without fork, cores or enough items, or
    if the child fails, everything runs here.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if len(items) < SPLIT_MIN or (cores or 1) < 2:
        return work(items)
    if "fork" not in multiprocessing.get_all_start_methods():
        return work(items)
    half = len(items) // 2
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    sys.stdout.flush()  # a child must not write the parent's buffered output again
    sys.stderr.flush()
    child = context.Process(target=_child, args=(work, items[half:], sender), daemon=True)
    child.start()
    sender.close()
    try:
        first = work(items[:half])
        try:
            second = receiver.recv()
        except (EOFError, OSError):
            second = None
    finally:
        receiver.close()
        child.join()
    if not isinstance(second, list) or len(second) != len(items) - half:
        second = work(items[half:])  # the child died: do its half here
    return first + second


def _child(work, items, sender) -> None:  # pragma: no cover - runs in the forked child
    try:
        sender.send(work(items))
    finally:
        sender.close()

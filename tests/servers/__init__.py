"""Real DNS servers for tests, plus the few process/port helpers they share.

The servers live in submodules (``bind``, ``powerdns``, ``route53``) and the
pytest fixtures in ``fixtures``. This package only holds stdlib + dnspython
helpers so that importing one backend never imports another backend's deps.
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rdatatype

__all__ = [
    "HOST",
    "ServerStartError",
    "free_port",
    "log_tail",
    "query",
    "retry_after_port_clash",
    "start_process",
    "stop_process",
    "wait_for",
]

HOST = "127.0.0.1"


class ServerStartError(RuntimeError):
    """A test server did not come up; the message carries its log tail."""


def free_port(udp: bool = False) -> int:
    """Return a port free on 127.0.0.1 (for TCP, and for UDP too if asked).

    DNS servers need the same number for UDP and TCP, so both are probed.
    The port is released before returning: callers retry on a lost race.
    """
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = tcp.getsockname()[1]
            if not udp:
                return port
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind((HOST, port))
                except OSError:
                    continue
                return port
    raise ServerStartError("no free port found on 127.0.0.1")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to SIGTERM the child if the test process dies (no leaks)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start_process(cmd: Sequence[str], log_path: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start a server with stdout+stderr into ``log_path``, tied to our lifetime."""
    with open(log_path, "ab") as log:  # the child keeps its own copy of the fd
        return subprocess.Popen(
            list(cmd),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )


def stop_process(proc: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """Terminate, wait, then kill: the server must be gone when this returns."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def log_tail(path: Path, lines: int = 40) -> str:
    """Last lines of a server log, for error messages that explain themselves."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


# What named / pdns_server log when a probed-free port was taken meanwhile.
PORT_CLASH_MARKERS = (
    "address in use",
    "Address already in use",
    "unable to listen on any configured interfaces",
)


def retry_after_port_clash(log_path: Path, attempt: int, attempts: int) -> bool:
    """True if the failed start was a port race worth retrying.

    The failed attempt's log is kept beside the new one (``<log>.attemptN``)
    so a later failure is not judged by stale text.
    """
    clash = any(marker in log_tail(log_path, 200) for marker in PORT_CLASH_MARKERS)
    if clash and attempt + 1 < attempts and log_path.exists():
        log_path.rename(log_path.with_name(f"{log_path.name}.attempt{attempt + 1}"))
        return True
    return False


def wait_for(
    ready: Callable[[], bool],
    proc: subprocess.Popen[bytes],
    log_path: Path,
    what: str,
    timeout: float = 20.0,
) -> None:
    """Poll ``ready`` until true; fail early if the process died, with its log."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise ServerStartError(
                f"{what} exited with code {proc.returncode} before it was ready; "
                f"log {log_path}:\n{log_tail(log_path)}"
            )
        try:
            if ready():
                return
        except (OSError, dns.exception.DNSException):
            pass
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"{what} not ready after {timeout:.0f}s; log {log_path}:\n{log_tail(log_path)}"
            )
        time.sleep(0.05)


def query(
    host: str, port: int, name: str, rdtype: str, timeout: float = 2.0, tcp: bool = False
) -> dns.message.Message:
    """One non-recursive query straight to one server (UDP, TCP if truncated).

    ``tcp=True`` asks over TCP only: a port nobody listens on is refused at
    once (ConnectionRefusedError), where UDP can only time out.
    """
    msg = dns.message.make_query(name, dns.rdatatype.from_text(rdtype))
    msg.flags &= ~dns.flags.RD
    if tcp:
        return dns.query.tcp(msg, host, port=port, timeout=timeout)
    # a stray answer from another test's server on this port is not ours: wait for ours
    response = dns.query.udp(
        msg, host, port=port, timeout=timeout, ignore_unexpected=True, ignore_errors=True
    )
    if response.flags & dns.flags.TC:
        response = dns.query.tcp(msg, host, port=port, timeout=timeout)
    return response

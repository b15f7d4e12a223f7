"""pytest fixtures that hand tests real DNS servers and always stop them.

Import into a conftest (or a test module) with
``from tests.servers.fixtures import *  # noqa: F403``.
Missing server binaries skip the test, or fail it when REQUIRE_SERVERS=1
(CI sets that so a broken image cannot turn the suite silently green). Every
skip of the suite goes through :func:`missing` (or :func:`require_binary`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NoReturn

import pytest

from tests.fakes.cloudflare_api import FakeCloudflare
from tests.servers.backends import Backend, Bind, Cloudflare, PowerDns, Route53
from tests.servers.bind import BindServer, named_binary
from tests.servers.powerdns import PowerDNSServer, pdns_binary
from tests.servers.udp import UdpServer

if TYPE_CHECKING:
    from tests.servers.route53 import MotoRoute53

__all__ = [
    "backend_factory",
    "bind_server",
    "bind_server_factory",
    "cloudflare_fake",
    "missing",
    "moto_route53",
    "pdns_server",
    "require_binary",
    "udp_server",
]

_INSTALL_HINTS = {
    "named": "apt-get install bind9 bind9-utils",
    "pdns_server": "apt-get install pdns-server pdns-backend-sqlite3",
}
_SBIN_LOOKUP: dict[str, Callable[[], str | None]] = {
    "named": named_binary,
    "pdns_server": pdns_binary,
}


def missing(message: str) -> NoReturn:
    """The one way a test may skip: a tool is missing. Skips, or fails if REQUIRE_SERVERS=1."""
    if os.environ.get("REQUIRE_SERVERS") == "1":
        pytest.fail(f"REQUIRE_SERVERS=1 but {message}", pytrace=False)
    pytest.skip(message)


_missing = missing  # the name older test modules import


def require_binary(name: str) -> str:
    """Return the binary's path; skip if missing, or fail if REQUIRE_SERVERS=1."""
    lookup = _SBIN_LOOKUP.get(name)
    path = lookup() if lookup else shutil.which(name)
    if not path:
        missing(f"{name} not installed: {_INSTALL_HINTS.get(name, f'install {name}')}")
    assert path is not None
    return path


@pytest.fixture
def bind_server_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[], BindServer]]:
    """Make any number of independent (not yet started) BindServers; all stopped after."""
    require_binary("named")
    servers: list[BindServer] = []

    def make() -> BindServer:
        server = BindServer(tmp_path_factory.mktemp("bind"))
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def bind_server(bind_server_factory: Callable[[], BindServer]) -> BindServer:
    """An unstarted BindServer: call ``.start({origin: zone_text})`` in the test."""
    return bind_server_factory()


@pytest.fixture
def pdns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PowerDNSServer]:
    """A running PowerDNS with no zones; seed with ``create_zone``."""
    require_binary("pdns_server")
    server = PowerDNSServer(tmp_path_factory.mktemp("pdns"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def moto_route53(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoRoute53]:
    """A running, empty moto Route53; its ``env`` is also set in this process.

    The env is set so octoDNS's Route53Provider built inside the test finds the
    endpoint and fake credentials, never a real AWS account.
    """
    if importlib.util.find_spec("moto") is None:
        missing("moto not installed: pip install 'moto[server]'")
    from tests.servers.route53 import MotoRoute53  # lazy: moto import takes 0.4 s

    server = MotoRoute53()
    try:
        server.start()
        for key, value in server.env.items():
            monkeypatch.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN"):
            monkeypatch.delenv(key, raising=False)
        yield server
    finally:
        server.stop()


@pytest.fixture
def udp_server() -> Iterator[Callable[..., UdpServer]]:
    """Start UdpServer(reply) instances on 127.0.0.1; all stopped after the test."""
    started: list[UdpServer] = []

    def make(reply) -> UdpServer:
        server = UdpServer(reply).__enter__()
        started.append(server)
        return server

    yield make
    for server in started:
        server.__exit__()


@pytest.fixture
def cloudflare_fake() -> Iterator[FakeCloudflare]:
    """The strict Cloudflare API server, running, with an empty account."""
    with FakeCloudflare(token="cf-test-token") as fake:
        yield fake


@pytest.fixture
def backend_factory(request: pytest.FixtureRequest) -> Callable[[str], Backend]:
    """``make("bind" | "powerdns" | "route53" | "cloudflare")``: the adapter
    (tests/servers/backends.py) around this test's server fixture of that backend."""

    def make(name: str) -> Backend:
        if name == "bind":
            return Bind(request.getfixturevalue("bind_server"))
        if name == "powerdns":
            return PowerDns(request.getfixturevalue("pdns_server"))
        if name == "route53":
            return Route53(request.getfixturevalue("moto_route53"))
        if name == "cloudflare":
            return Cloudflare(request.getfixturevalue("cloudflare_fake"))
        raise ValueError(f"no server fixture for backend {name!r}")

    return make

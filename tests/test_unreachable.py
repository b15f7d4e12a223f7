"""providers/core/unreachable.py: which connection failures stop at once, and the one line.

The CLI side (each provider through plan.py, counting connection attempts) is in
tests/test_faults.py; here the classification on real errors of requests and
botocore, the variable a URL is named by, and that botocore keeps retrying the rest.
"""

from __future__ import annotations

import socket
import threading

import pytest
import requests
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

from providers.core.unreachable import (
    ProviderUnreachableError,
    cannot_connect,
    never_connected,
    shown_url,
    url_source,
)
from tests.servers import free_port


def error_of(url: str, timeout: float = 2.0) -> requests.RequestException:
    with pytest.raises(requests.RequestException) as caught:
        requests.get(url, timeout=timeout)
    return caught.value


def test_refused_connection():
    url = f"http://127.0.0.1:{free_port()}/client/v4"
    assert never_connected(error_of(url), url) == "connection refused"


@pytest.mark.parametrize(
    ("errno", "words"),
    [
        (socket.EAI_NONAME, "unknown host api.example.invalid"),
        (socket.EAI_AGAIN, "cannot resolve host api.example.invalid (lookup failed)"),
    ],
)
def test_name_resolution_failure(monkeypatch, errno, words):
    def fail(*_args, **_kwargs):
        raise socket.gaierror(errno, "lookup failed")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    url = "http://api.example.invalid/client/v4"
    assert never_connected(error_of(url), url) == words


def test_a_connection_that_was_made_is_not_a_wrong_url():
    """Accepted then closed, or accepted and never answered: transient, retried elsewhere."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    held: list[socket.socket] = []

    def serve() -> None:
        for close in (True, False):
            conn, _ = server.accept()
            if close:
                conn.close()
            else:
                held.append(conn)  # silent: the client times out reading

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        closed = error_of(f"http://127.0.0.1:{port}/")
        silent = error_of(f"http://127.0.0.1:{port}/", timeout=0.3)
    finally:
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()
    assert isinstance(silent, requests.Timeout)
    assert never_connected(closed) is None
    assert never_connected(silent) is None


def test_url_source_names_the_variable_else_the_default_else_the_config(monkeypatch):
    default = "https://api.cloudflare.com/client/v4"
    monkeypatch.setenv("CLOUDFLARE_API_URL", " http://127.0.0.1:9/client/v4/ ")
    assert url_source("http://127.0.0.1:9/client/v4", ["CLOUDFLARE_API_URL"]) == (
        "CLOUDFLARE_API_URL"
    )
    monkeypatch.delenv("CLOUDFLARE_API_URL")
    assert url_source(default, ["CLOUDFLARE_API_URL"], default) == "the default URL"
    assert url_source("http://elsewhere/", ["CLOUDFLARE_API_URL"], default) == "the config"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    variables = ["AWS_ENDPOINT_URL_ROUTE_53", "AWS_ENDPOINT_URL"]
    assert url_source("http://127.0.0.1:9", variables) == "AWS_ENDPOINT_URL"


def test_the_line_names_provider_url_source_reason_and_hides_credentials():
    error = cannot_connect(
        "cloudflare", "http://user:secret@127.0.0.1:9/client/v4", "CLOUDFLARE_API_URL",
        "connection refused",
    )  # fmt: skip
    assert isinstance(error, ProviderUnreachableError)
    assert str(error) == (
        "provider cloudflare: cannot connect to http://127.0.0.1:9/client/v4 "
        "(CLOUDFLARE_API_URL): connection refused; check the URL"
    )
    assert "check the network" in str(cannot_connect("x", "https://a/", "the default URL", "r"))
    assert shown_url("https://h.example/v4") == "https://h.example/v4"


def test_route53_stops_botocore_retrying_only_refusals(monkeypatch):
    """The needs-retry hook raises a refusal at once and leaves timeouts and closed
    connections to botocore's own retry handler."""
    from providers.route53 import Route53Provider, _no_retry_unreachable

    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_ROUTE_53", url)
    r53 = Route53Provider("route53", access_key_id="a", secret_access_key="s")
    attempts: list[int] = []
    r53._conn.meta.events.register("before-send.route-53", lambda **_: attempts.append(1))
    with pytest.raises(ProviderUnreachableError) as caught:
        r53.list_zones()
    assert str(caught.value) == (
        f"provider route53: cannot connect to {url} (AWS_ENDPOINT_URL_ROUTE_53): "
        "connection refused; check the URL"
    )
    assert len(attempts) == 1, "botocore retried a refused connection"
    for transient in (
        ReadTimeoutError(endpoint_url=url),
        ConnectionClosedError(endpoint_url=url),
    ):
        assert _no_retry_unreachable(caught_exception=transient) is None

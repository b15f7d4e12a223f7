"""A provider URL nobody answers at: detected from the error, named with its variable.

A refused connection or a host name that does not resolve means the request never
left this machine: nothing was sent, so nothing can have been applied, and a retry
seconds later meets the same wrong URL. Providers stop at once on these (no
backoff) and report one line that names the URL and where it came from::

    provider cloudflare: cannot connect to http://127.0.0.1:9/client/v4
    (CLOUDFLARE_API_URL): connection refused; check the URL

Timeouts, resets and HTTP errors (429, 5xx) are not this: the providers keep
their bounded retries for those. Detection is by exception type along the whole
chain (requests wraps urllib3, which wraps the socket error; botocore wraps
urllib3), never by message text.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from .errors import AutodiscoverError, causes


class ProviderUnreachableError(AutodiscoverError):
    """The provider's URL refuses connections or its host name does not resolve."""


def never_connected(error: BaseException, url: str | None = None) -> str | None:
    """Why no connection was made, in words, when retrying cannot help; else None.

    ``"connection refused"`` (nothing listens there), ``"unknown host NAME"`` (the
    name does not exist) or ``"cannot resolve host NAME (...)"`` (the lookup
    failed; NAME is the host of ``url``); None for anything else (timeouts, resets,
    closed connections, HTTP errors).
    """
    for cause in causes(error):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
    for cause in causes(error):
        if isinstance(cause, socket.gaierror):
            host = urlsplit(url).hostname if url else None
            name = f" {host}" if host else ""
            if cause.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)):
                return f"unknown host{name}"
            detail = cause.strerror or type(cause).__name__
            return f"cannot resolve host{name} ({detail})"
    return None


def url_source(url: str, variables: Iterable[str], default: str | None = None) -> str:
    """Where ``url`` came from: the first of ``variables`` the environment sets to it,
    ``"the default URL"`` when it is ``default``, else ``"the config"``."""
    wanted = url.rstrip("/")
    for name in variables:
        if (os.environ.get(name) or "").strip().rstrip("/") == wanted:
            return name
    if default is not None and default.rstrip("/") == wanted:
        return "the default URL"
    return "the config"


def cannot_connect(provider: str, url: str, source: str, reason: str) -> ProviderUnreachableError:
    """The one-line error: provider, URL (without credentials), its source, why, what to do."""
    fix = "check the network" if source == "the default URL" else "check the URL"
    return ProviderUnreachableError(
        f"provider {provider}: cannot connect to {shown_url(url)} ({source}): {reason}; {fix}"
    )


def cannot_reach(
    error: BaseException,
    provider: str,
    url: str,
    variables: Iterable[str],
    default: str | None = None,
) -> ProviderUnreachableError | None:
    """The one-line error when ``error`` says nothing answers at ``url``
    (:func:`never_connected`), naming where the URL came from; None for anything else."""
    reason = never_connected(error, url)
    if reason is None:
        return None
    return cannot_connect(provider, url, url_source(url, variables, default), reason)


def shown_url(url: str) -> str:
    """``url`` without user name and password, should it carry any."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))

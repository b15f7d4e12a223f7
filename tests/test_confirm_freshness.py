"""confirm counts the TTL and the SOA serial, not only the SRV values.

A TTL-only change is live only when every nameserver serves the declared TTL,
and a nameserver whose zone is older (SOA serial, RFC 1982) than a peer's has
not caught up yet, even if the SRV values look right. Both are ``pending``
(exit 2), with the server, what it serves and what was expected named in the
text and JSON output. Every answer comes from a real named or PowerDNS.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dns.rdatatype

from tests.servers import query
from tests.servers.bind import BindServer
from tests.servers.powerdns import PowerDNSServer
from tests.test_confirm import SRV_VALUE, cli, confirm, declare, ns, repo, zone_text

__all__ = ["repo"]  # the fixture, imported for the tests below

SRV_300 = f"_autodiscover._tcp 300 IN SRV {SRV_VALUE}"
SRV_3600 = f"_autodiscover._tcp 3600 IN SRV {SRV_VALUE}"


def addr(server: BindServer) -> str:
    return f"127.0.0.1:{server.port}"


def servers_of(report: dict) -> dict[str, dict]:
    [zone] = report["zones"]
    return {s["address"]: s for s in zone["nameservers"]}


def test_ttl_only_change_is_pending_until_the_declared_ttl_is_served(
    repo: Path, bind_server: BindServer
) -> None:
    declare(repo, "contoso.com.")  # TTL 3600
    bind_server.start({"contoso.com.": zone_text("contoso.com.", SRV_300)})

    code, report, _ = confirm(repo, *ns(bind_server))
    assert code == 2, report
    [zone] = report["zones"]
    assert zone["status"] == "pending"
    assert zone["expected_ttl"] == 3600
    [server] = zone["nameservers"]
    assert (server["status"], server["srv"], server["ttl"]) == ("pending", [SRV_VALUE], 300)
    message = zone["message"]
    assert "with the declared TTL 3600" in message
    assert f"{addr(bind_server)} serves SRV {SRV_VALUE} with TTL 300, declared 3600" in message
    text = cli("confirm", *ns(bind_server), cwd=repo)
    assert text.returncode == 2
    assert "contoso.com (contoso.com., Exchange+ 2016): PENDING" in text.stdout
    assert f"expected  _autodiscover._tcp.contoso.com. 3600 SRV {SRV_VALUE}" in text.stdout
    assert (
        f"pending   {addr(bind_server)}: SRV {SRV_VALUE} with TTL 300, declared 3600" in text.stdout
    )
    assert "summary: 0 confirmed, 1 pending" in text.stdout

    # the TTL change lands (what apply does at an RFC 2136 provider)
    bind_server.nsupdate(
        "contoso.com.",
        delete=[("_autodiscover._tcp", "SRV")],
        add=[("_autodiscover._tcp", 3600, "SRV", SRV_VALUE)],
    )
    code, report, _ = confirm(repo, *ns(bind_server))
    assert code == 0, report
    [zone] = report["zones"]
    assert zone["status"] == "confirmed"
    assert zone["nameservers"][0]["ttl"] == 3600
    assert f"SRV {SRV_VALUE} with TTL 3600" in zone["message"]


def test_nameserver_behind_on_the_soa_serial_is_pending_and_named(
    repo: Path, bind_server_factory: Callable[[], BindServer]
) -> None:
    """Same SRV and TTL on both, but one server still has the zone before the last change."""
    declare(repo, "contoso.com.")
    current, behind = bind_server_factory(), bind_server_factory()
    current.start(
        {"contoso.com.": zone_text("contoso.com.", SRV_3600, "www IN A 192.0.2.2", serial=7)}
    )
    behind.start(
        {"contoso.com.": zone_text("contoso.com.", SRV_3600, "www IN A 192.0.2.1", serial=6)}
    )
    code, report, _ = confirm(repo, *ns(current), *ns(behind))
    assert code == 2, report
    [zone] = report["zones"]
    assert zone["status"] == "pending"
    assert zone["newest_serial"] == 7
    found = servers_of(report)
    assert (found[addr(current)]["status"], found[addr(current)]["serial"]) == ("confirmed", 7)
    late = found[addr(behind)]
    assert (late["status"], late["serial"], late["srv"], late["ttl"]) == (
        "pending", 6, [SRV_VALUE], 3600,
    )  # fmt: skip
    message = zone["message"]
    assert "1 of 2 nameserver address(es) updated" in message
    assert f"still old: {addr(behind)} serves SRV {SRV_VALUE}" in message
    assert f"SOA serial 6, older than serial 7 at {addr(current)}" in message
    assert addr(current) not in message.split("still old")[1].split("older than")[0]

    text = cli("confirm", *ns(current), *ns(behind), cwd=repo)
    assert text.returncode == 2
    assert "contoso.com (contoso.com., Exchange+ 2016): PENDING" in text.stdout
    assert "; newest SOA serial 7" in text.stdout
    assert f"confirmed {addr(current)}: SRV {SRV_VALUE}; SOA serial 7\n" in text.stdout
    assert f"pending   {addr(behind)}: SRV {SRV_VALUE}; SOA serial 6, older than serial 7" in (
        text.stdout
    )


def test_serial_comparison_wraps_around(
    repo: Path, bind_server_factory: Callable[[], BindServer]
) -> None:
    """RFC 1982: after 4294967295 comes 0, so serial 3 is newer than 4294967290."""
    declare(repo, "contoso.com.")
    wrapped, before = bind_server_factory(), bind_server_factory()
    wrapped.start({"contoso.com.": zone_text("contoso.com.", SRV_3600, serial=3)})
    before.start({"contoso.com.": zone_text("contoso.com.", SRV_3600, serial=4294967290)})
    code, report, _ = confirm(repo, *ns(wrapped), *ns(before))
    assert code == 2, report
    assert report["zones"][0]["newest_serial"] == 3
    found = servers_of(report)
    assert found[addr(wrapped)]["status"] == "confirmed"
    assert found[addr(before)]["status"] == "pending"
    assert f"older than serial 3 at {addr(wrapped)}" in report["zones"][0]["message"]


def test_serials_of_servers_with_different_primaries_are_not_compared(
    repo: Path, bind_server_factory: Callable[[], BindServer]
) -> None:
    """A zone served by two DNS providers (octoDNS syncs both): each numbers its serials
    on its own and names itself as the primary (SOA MNAME); only servers that name the
    same primary copy one zone, so only their serials are compared."""
    declare(repo, "contoso.com.")
    provider_a, provider_b = bind_server_factory(), bind_server_factory()
    provider_a.start({"contoso.com.": zone_text("contoso.com.", SRV_3600, serial=2026010101)})
    other = zone_text("contoso.com.", SRV_3600, serial=1)
    other = other.replace("SOA ns1.contoso.com.", "SOA ns-1.otherdns.example.")
    provider_b.start({"contoso.com.": other})
    code, report, _ = confirm(repo, *ns(provider_a), *ns(provider_b))
    assert code == 0, report
    [zone] = report["zones"]
    assert zone["status"] == "confirmed"
    assert sorted(s["serial"] for s in zone["nameservers"]) == [1, 2026010101]
    assert zone["newest_serial"] is None, "serials of different primaries are not compared"
    assert "older than" not in zone["message"]


def test_same_serial_and_ttl_everywhere_is_confirmed(
    repo: Path, bind_server_factory: Callable[[], BindServer]
) -> None:
    declare(repo, "contoso.com.")
    one, two = bind_server_factory(), bind_server_factory()
    for server in (one, two):
        server.start({"contoso.com.": zone_text("contoso.com.", SRV_3600, serial=5)})
    code, report, _ = confirm(repo, *ns(one), *ns(two))
    assert code == 0, report
    [zone] = report["zones"]
    assert zone["status"] == "confirmed"
    assert zone["newest_serial"] == 5
    assert [(s["serial"], s["ttl"]) for s in zone["nameservers"]] == [(5, 3600), (5, 3600)]


def test_secondary_that_missed_a_ttl_change_is_named(
    repo: Path, bind_server: BindServer, pdns_server: PowerDNSServer
) -> None:
    """After an apply that changed only the TTL: named has the new zone, PowerDNS (the
    secondary here) still serves the old TTL under the old serial."""
    declare(repo, "contoso.com.")
    pdns_server.create_zone("contoso.com.", [("_autodiscover._tcp", "SRV", 300, [SRV_VALUE])])
    soa = query("127.0.0.1", pdns_server.dns_port, "contoso.com.", "SOA").answer
    old = next(r for r in soa if r.rdtype == dns.rdatatype.SOA)[0].serial
    bind_server.start({"contoso.com.": zone_text("contoso.com.", SRV_3600, serial=old + 1)})
    secondary = f"127.0.0.1:{pdns_server.dns_port}"

    code, report, _ = confirm(repo, *ns(bind_server), "--nameserver", secondary)
    assert code == 2, report
    [zone] = report["zones"]
    assert zone["status"] == "pending"
    found = servers_of(report)
    assert found[addr(bind_server)]["status"] == "confirmed"
    late = found[secondary]
    assert (late["status"], late["ttl"], late["serial"]) == ("pending", 300, old)
    assert (
        f"still old: {secondary} serves SRV {SRV_VALUE} with TTL 300, declared 3600; "
        f"SOA serial {old}, older than serial {old + 1} at {addr(bind_server)}"
    ) in zone["message"]

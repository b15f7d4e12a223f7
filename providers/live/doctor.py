"""Doctor: walk Outlook's Autodiscover order on live DNS, in plain words.

Outlook stops at the first step that answers (REFERENCE.md section 2), so a
correct SRV record is useless while ``autodiscover.<domain>`` resolves. The
doctor asks the same authoritative servers as confirm and tells a help-desk
person, step by step, where Outlook will end up and which command fixes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver

from ..core.catalog import Catalog
from ..core.declarations import srv_text
from ..core.declared import Declared
from .checks import check
from .nameservers import LiveDns
from .observe import Observation, srv_value
from .queries import QueryFailed, Server, Settings, ask
from .servers import fqdn, rrsets
from .verdicts import DomainResult

REG_KEY = r"HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook\AutoDiscover"
O365_HOST = "autodiscover.outlook.com."


@dataclass
class Step:
    step: str
    check: str
    result: str  # ok | warn | problem | unknown | info
    says: str
    fix: str | None = None

    def to_json(self) -> dict:
        return {
            "step": self.step,
            "check": self.check,
            "result": self.result,
            "says": self.says,
            "fix": self.fix,
        }


@dataclass
class Walk:
    result: DomainResult
    status: str = "ok"  # ok | problem | error
    asked: str = ""
    steps: list[Step] = field(default_factory=list)
    verdict: str = ""

    def to_json(self) -> dict:
        d = self.result.declared.declaration
        return {
            "domain": self.result.domain,
            "zone": self.result.zone,
            "status": self.status,
            "platform": d.platform_key,
            "policy": d.policy,
            "nameserver": self.asked,
            "steps": [s.to_json() for s in self.steps],
            "verdict": self.verdict,
        }


# -- checking the SRV target ---------------------------------------------------------


class TargetChecker:
    """Resolves SRV targets (outside the zone) through a resolver, once per target.

    The system resolver is used unless --resolver is given; a resolver that
    cannot resolve the root zone has no view of public DNS, and then the
    answer is 'could not check', never a false alarm.
    """

    def __init__(self, resolvers: list[Server], settings: Settings) -> None:
        self.settings = settings
        self.cache: dict[str, tuple[str, str]] = {}
        self.offline: str | None = None
        if resolvers:
            self.server: Server | None = resolvers[0]
            self.system = False
        else:
            self.system = True
            try:
                conf = dns.resolver.Resolver()
                self.server = Server(str(conf.nameservers[0]), str(conf.nameservers[0]), conf.port)
            except (dns.resolver.NoResolverConfiguration, IndexError):
                self.server = None
                self.offline = "no DNS resolver is configured on this machine"

    def check(self, target: str, zone: str, authority: Server) -> tuple[str, str]:
        """(result, words) for one SRV target; one inside the zone is asked at its own server."""
        name = fqdn(target)
        if name.is_subdomain(fqdn(zone)):
            return self._check(target, authority, f"nameserver {authority.label}", recursion=False)
        if target not in self.cache:
            if self.server is None or self.offline:
                return "unknown", f"could not check whether {target} resolves: {self.offline}"
            who = "the system resolver" if self.system else "resolver"
            self.cache[target] = self._check(target, self.server, f"{who} {self.server.address}")
        return self.cache[target]

    def _check(
        self, target: str, server: Server, who: str, recursion: bool = True
    ) -> tuple[str, str]:
        name = fqdn(target)
        try:
            cname = None
            addresses: list[str] = []
            rcode = dns.rcode.NOERROR
            for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                response = ask(server, name, rdtype, self.settings, recursion=recursion)
                rcode = response.rcode()
                if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    raise QueryFailed(dns.rcode.to_text(rcode), f"{who} could not resolve it")
                for rrset in rrsets(response, name, [dns.rdatatype.CNAME]):
                    cname = rrset[0].target.to_text()
                for rrset in response.answer:
                    if rrset.rdtype == rdtype:
                        addresses += [rd.to_text() for rd in rrset]
        except QueryFailed as e:
            return "unknown", f"could not check whether {target} resolves ({e})"
        if cname:
            return "problem", (
                f"{target} is a CNAME to {cname}: an SRV target must be the host's own name, "
                "not an alias (RFC 2782); some clients then fail"
            )
        if addresses:
            return "ok", f"{target} resolves ({', '.join(addresses[:4])}) and is not a CNAME"
        if recursion and not self._has_internet():
            self.offline = f"{who} cannot resolve the root zone: no view of public DNS from here"
            return "unknown", f"could not check whether {target} resolves: {self.offline}"
        word = "NXDOMAIN" if rcode == dns.rcode.NXDOMAIN else "no A or AAAA record"
        return (
            "problem",
            f"{target} does not resolve ({word} from {who}): Outlook has nowhere to go",
        )

    def follow_srv(self, target: str, zone: str, authority: Server) -> tuple[str, list[dict], str]:
        """Follow a CNAME at the SRV name to the SRV records it leads to, as resolvers and
        Outlook do: ('ok', values, where they were found) or ('problem' | 'unknown', [], why).

        Names inside the zone are asked at its nameserver, others through the resolver.
        """
        name = fqdn(target)
        seen: set[dns.name.Name] = set()
        while name not in seen and len(seen) < 8:
            seen.add(name)
            recursion = not name.is_subdomain(fqdn(zone))
            server: Server | None = self.server if recursion else authority
            if server is None or (recursion and self.offline):
                return "unknown", [], f"could not follow it to {name}: {self.offline}"
            if recursion:
                who = f"{'the system resolver' if self.system else 'resolver'} {server.address}"
            else:
                who = f"nameserver {authority.label}"
            try:
                response = ask(server, name, dns.rdatatype.SRV, self.settings, recursion=recursion)
            except QueryFailed as e:
                return "unknown", [], f"could not follow it to {name} ({e})"
            rcode = response.rcode()
            if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                answered = f"{who} answered {name} with {dns.rcode.to_text(rcode)}"
                return "unknown", [], f"could not follow it: {answered}"
            end = name
            for _ in range(8):  # the chain as the answer carries it (RFC 1034 4.3.2)
                cname = rrsets(response, end, [dns.rdatatype.CNAME])
                if not cname:
                    break
                end = cname[0][0].target
            srv = rrsets(response, end, [dns.rdatatype.SRV])
            if srv:
                return "ok", [srv_value(rd) for rd in srv[0]], f"at {end} from {who}"
            if end != name and rcode == dns.rcode.NOERROR and not recursion:
                name = end  # a CNAME out of the zone: ask where that name lives
                continue
            if recursion and not self._has_internet():
                self.offline = (
                    f"{who} cannot resolve the root zone: no view of public DNS from here"
                )
                return "unknown", [], f"could not follow it to {end}: {self.offline}"
            word = "NXDOMAIN" if rcode == dns.rcode.NXDOMAIN else "no SRV record"
            return "problem", [], f"it leads to {end}, which has no SRV record ({word} from {who})"
        return "problem", [], f"the CNAME chain from {target} loops or is too long"

    def _has_internet(self) -> bool:
        if not self.system:
            return True  # a resolver the user named is trusted to show what they want checked
        if self.server is None:
            return False
        try:
            response = ask(self.server, ".", dns.rdatatype.NS, self.settings, recursion=True)
        except QueryFailed:
            return False
        return response.rcode() == dns.rcode.NOERROR and bool(response.answer)


# -- the walk ----------------------------------------------------------------------------


def walk(result: DomainResult, catalog: Catalog, targets: TargetChecker, make: str = "") -> Walk:
    """Outlook's steps 6, 7, 9 and 10 for one domain, from the first nameserver that answered.

    ``make``: what the fix commands add to ``make plan`` (`` CONFIG=...`` for another config).
    """
    w = Walk(result)
    d = result.declared.declaration
    domain = result.domain
    answered = [o for o in result.observations if not o.error]
    if not answered:
        w.status = "error"
        w.verdict = f"could not ask any nameserver: {result.message}"
        return w
    obs = answered[0]
    w.asked = obs.server.label
    w.steps.append(
        Step(
            "1-5, 8", "inside Outlook and Windows", "info",
            "Outlook first tries its cache, local XML, the last URL that worked, Office 365 "
            "(step 4) and Active Directory: DNS cannot show these. The .reg file from "
            "doctor --outlook-reg makes Outlook skip the Office 365 check.",
        )
    )  # fmt: skip
    w.steps.append(_step6(domain, obs))
    step7, step9 = _steps7_9(result, obs, make)
    w.steps += [step7, step9]
    step10, used, via = _step10(result, obs, catalog, targets, make)
    w.steps.append(step10)
    w.steps.append(
        Step(
            "11", "Office 365 secondary check", "info",
            "Only if everything above fails, Outlook asks Office 365 again; "
            "ExcludeExplicitO365Endpoint=1 skips it.",
        )
    )  # fmt: skip
    disagree = {o.status for o in result.observations} - {obs.status}
    notes = []
    if disagree or any(o.error for o in result.observations):
        others = "; ".join(
            f"{o.server.label}: {o.error or o.status}" for o in result.observations if o is not obs
        )
        notes.append(
            f"the nameservers do not all serve the same data ({others}): a change is still "
            "spreading, or one server is broken; plan.py confirm --wait shows when they agree"
        )
    if d.platform is not None and d.platform.note:
        notes.append(f"{d.platform.name}: {d.platform.note}")
    results = {s.step: s.result for s in w.steps}
    if results["7"] == "problem":
        w.status = "problem"
        w.verdict = (
            f"Outlook stops at step 7: it connects to autodiscover.{domain} and never reaches the "
            "SRV record."
        )
    elif results["10"] == "problem":
        w.status = "problem"
        w.verdict = (
            f"Outlook finds no usable SRV record at step 10, so {d.platform_name} mailboxes of "
            f"{domain} cannot be set up automatically."
        )
    else:
        target = ", ".join(v["target"] for v in used)
        through = f" through the CNAME to {via}" if via else ""
        if used:
            w.verdict = (
                f"Outlook reaches the SRV record at step 10{through} and connects to {target}"
            )
        else:
            w.verdict = (
                f"Outlook follows the CNAME at step 10 to {via}; where it leads could not be "
                "checked from here"
            )
        if obs.apex:
            w.verdict += f" (unless the website at https://{domain} answers first at step 6)"
        w.verdict += "."
        if results["10"] == "unknown" and used:
            w.verdict += " The SRV target could not be checked from here."
    if notes:
        w.verdict += " Note: " + " ".join(notes)
    return w


def _step6(domain: str, obs: Observation) -> Step:
    url = f"https://{domain}/autodiscover/autodiscover.xml"
    if not obs.apex:
        return Step("6", url, "ok", f"{domain} has no A/AAAA record: Outlook moves on.")
    return Step(
        "6", url, "warn",
        f"{domain} resolves ({', '.join(obs.apex)}), so Outlook first asks the web server there. "
        "Keep this record: the website needs it (never delete it). If that server answers "
        "/autodiscover/ or shows a certificate error, Outlook stops here.",
        "skip this step on the Windows PCs with ExcludeHttpsRootDomain=1 "
        "(plan.py doctor --outlook-reg outlook.reg)",
    )  # fmt: skip


def _steps7_9(result: DomainResult, obs: Observation, make: str) -> tuple[Step, Step]:
    d = result.declared.declaration
    domain = result.domain
    host = f"autodiscover.{domain}"
    url7 = f"https://{host}/autodiscover/autodiscover.xml"
    url9 = f"http://{host}/autodiscover/autodiscover.xml (redirect)"
    if not obs.conflicts:
        says = _no_address(obs, domain, host)
        return Step("7", url7, "ok", says), Step("9", url9, "ok", "Same name: Outlook moves on.")
    values = ", ".join(f"{c['type']} {c['value']}" for c in obs.conflicts)
    wildcard = obs.conflicts[0].get("source") == "wildcard"
    if wildcard:
        says = (
            f"{host} is not in the zone, but the wildcard *.{domain} answers for it ({values}): "
            "Outlook connects to that server before it ever looks at the SRV record, and gets a "
            "certificate warning or the wrong settings."
        )
    else:
        says = (
            f"{host} has its own record ({values}): Outlook connects to that server before it "
            "ever looks at the SRV record, and gets a certificate warning or the wrong settings."
        )
    if any(c["value"].lower() == O365_HOST for c in obs.conflicts):
        says += " autodiscover.outlook.com is Microsoft 365: a leftover of an Office 365 setup."
    fix = d.policy.remedy(result.declared.zone_file.path, host, wildcard, make)
    step7 = Step("7", url7, "problem", says, fix)
    step9 = Step(
        "9", url9, "problem",
        "Same name as step 7: if HTTPS fails, Outlook follows an HTTP redirect from that server, "
        "which can send it anywhere.",
        fix,
    )  # fmt: skip
    return step7, step9


def _no_address(obs: Observation, domain: str, host: str) -> str:
    """Step 7 when nothing answers A/AAAA/CNAME for autodiscover.<domain>, in words.

    Only an explicit TXT holding exactly the shield text is the autodiscover-dns shield;
    a wildcard's TXT (``*.<domain> TXT``) answers for the name but is no address, so it
    neither hijacks Outlook nor shields anything, and no policy touches it.
    """
    txt = ", ".join(obs.txt)
    if not obs.txt:
        return f"{host} does not resolve: Outlook moves on."
    if obs.txt_source == "wildcard":
        return (
            f"{host} is not in the zone; the wildcard *.{domain} answers for it only with TXT "
            f"({txt}), not with an address (A/AAAA/CNAME): it does not send Outlook anywhere, "
            "so Outlook moves on. This wildcard is not a shield and not a conflict; the plan "
            "leaves it alone."
        )
    blocked = (
        f"the wildcard *.{domain} ({', '.join(obs.wildcard)}) does not answer for it (RFC 4592)"
        if obs.wildcard
        else f"no address wildcard answers under {domain}"
    )
    if obs.shield:
        return (
            f"{host} holds only the autodiscover-dns shield (a TXT record): {blocked}, so "
            "A/AAAA/CNAME queries get no data and Outlook moves on."
        )
    kind = "a TXT record" if obs.txt_source == "explicit" else "TXT"
    return (
        f"{host} has {kind} ({txt}) but no address (A/AAAA/CNAME): {blocked}, so Outlook moves on."
    )


def _step10(
    result: DomainResult, obs: Observation, catalog: Catalog, targets: TargetChecker, make: str
) -> tuple[Step, list[dict], str | None]:
    """Step 10, the SRV values Outlook ends up with, and the CNAME it followed (if any)."""
    d = result.declared.declaration
    name = f"_autodiscover._tcp.{result.domain}"
    check_name = f"SRV {name}"
    declared = ", ".join(result.expected)
    replace = f"make plan{make} shows it replaced by SRV {declared}; make apply{make}"
    if obs.srv_cname:
        found, end, words = targets.follow_srv(obs.srv_cname, result.zone, obs.server)
        if found != "ok":
            says = f"{name} is a CNAME to {obs.srv_cname}, not an SRV record: {words}"
            if found == "problem":
                says += ", so Outlook finds no SRV."
                return Step("10", check_name, "problem", says, replace), [], None
            return Step("10", check_name, "unknown", says + ".", replace), [], obs.srv_cname
        values = sorted(end, key=srv_text)
        texts = [srv_text(v) for v in values]
        lead = (
            f"{name} is a CNAME to {obs.srv_cname}, not an SRV record itself; resolvers and "
            f"Outlook follow it and find SRV {', '.join(texts)} ({words}). The plan still "
            "replaces the CNAME with the SRV record, so the zone says what it serves"
        )
        findings = [("warn", lead)]
        findings += _srv_findings(
            result, texts, values, "the CNAME leads to", catalog, targets, obs
        )
        step = _step_of(findings, check_name)
        step.fix = replace
        return step, values, obs.srv_cname
    if not obs.srv:
        return (
            Step(
                "10", check_name, "problem",
                f"there is no SRV record at {name}: Outlook cannot find the {d.platform_name} "
                "server.",
                f"make plan{make} shows SRV {declared}; make apply{make} publishes it, then "
                "plan.py confirm",
            ),
            [],
            None,
        )  # fmt: skip
    findings = _srv_findings(result, obs.srv, obs.srv_values, "it serves", catalog, targets, obs)
    step = _step_of(findings, check_name)
    if step.result == "problem":
        step.fix = f"make plan{make} shows the corrected SRV {declared}; make apply{make}"
    return step, obs.srv_values, None


def _step_of(findings: list[tuple[str, str]], check_name: str) -> Step:
    order = ("problem", "unknown", "warn", "ok")
    worst = min((r for r, _ in findings), key=order.index)
    says = "; ".join(text for _, text in findings) + "."
    return Step("10", check_name, worst, says)


def _srv_findings(
    result: DomainResult, texts: list[str], values: list[dict], serves: str, catalog: Catalog,
    targets: TargetChecker, obs: Observation,
) -> list[tuple[str, str]]:  # fmt: skip
    """What Outlook makes of these SRV values: declared? a platform? port 443? resolvable?"""
    declared = ", ".join(result.expected)
    findings: list[tuple[str, str]] = []
    if texts != result.expected:
        findings.append(
            ("problem", f"{serves} SRV {', '.join(texts)} but the zone file declares {declared}")
        )
    for value_text, value in zip(texts, values, strict=True):
        port, target = value["port"], value["target"]
        platform = catalog.match(value)
        if port != 443:
            findings.append(("problem", f"port {port}: Outlook ignores SRV records not on 443"))
        if target == ".":
            findings.append(("problem", "target '.' means 'no service here'"))
            continue
        if platform is not None:
            findings.append(("ok", f"SRV {value_text} is {platform.name}"))
        else:
            findings.append(("warn", f"SRV {value_text} matches no Mailprotector platform"))
        findings.append(targets.check(target, result.zone, obs.server))
    return findings


# -- .reg file ------------------------------------------------------------------------------


def outlook_reg(domains: list[str]) -> str:
    """The registry values the article points to, each with a comment saying what it does."""
    shown = ", ".join(domains[:10]) + (
        f" and {len(domains) - 10} more" if len(domains) > 10 else ""
    )
    lines = [
        "Windows Registry Editor Version 5.00",
        "",
        "; autodiscover-dns: make Outlook 2016, 2019 and Microsoft 365 (Office 16.0) find the",
        "; Mailprotector mailbox through the DNS SRV record _autodiscover._tcp.<domain>.",
        f"; Domains checked by plan.py doctor: {shown or 'none'}",
        "; Import as the Windows user who runs Outlook (double-click, or reg import FILE), then",
        "; restart Outlook. 1 = skip that step of Outlook's Autodiscover order; a missing value",
        "; counts as 0. Undo: delete the values below.",
        "",
        f"[{REG_KEY}]",
        "; Steps 4 and 11: do not ask Office 365 first; otherwise Outlook may set the mailbox up",
        "; against Microsoft 365 and fail or connect with missing features.",
        '"ExcludeExplicitO365Endpoint"=dword:00000001',
        "; Step 6: do not ask https://<domain>/autodiscover/autodiscover.xml, which is usually the",
        "; website and answers with a certificate warning or the wrong settings.",
        '"ExcludeHttpsRootDomain"=dword:00000001',
        "; Step 10: 0 = DO use the SRV record. Keep it 0: the SRV record is how Outlook finds",
        '; Exchange+. ("ExcludeSrvLookup", a common typo, is a name Outlook does not read.)',
        '"ExcludeSrvRecord"=dword:00000000',
        "",
    ]
    return "\r\n".join(lines)


def write_outlook_reg(path: Path, domains: list[str]) -> None:
    """UTF-16 LE with BOM and CRLF: the encoding regedit itself writes for version 5.00."""
    path.write_bytes(b"\xff\xfe" + outlook_reg(domains).encode("utf-16-le"))


# -- output ---------------------------------------------------------------------------------


def render_text(walks: list[Walk], totals: dict) -> str:
    lines = []
    for w in walks:
        d = w.result.declared.declaration
        head = f"{w.result.domain} ({d.platform_name}, policy {d.policy})"
        lines.append(f"{head}: {w.status.upper()}" + (f", asked {w.asked}" if w.asked else ""))
        for s in w.steps:
            lines.append(f"  step {s.step:<6} {s.result.upper():<8} {s.check}")
            lines.append(f"         {s.says}")
            if s.fix:
                lines.append(f"         Fix: {s.fix}")
        lines.append(f"  => {w.verdict}")
        lines.append("")
    lines.append(
        f"summary: {totals['ok']} ok, {totals['problem']} with a problem, {totals['error']} "
        f"could not be checked, of {totals['domains']} domain(s)"
    )
    return "\n".join(lines) + "\n"


def diagnose(
    targets: list[Declared], live: LiveDns, catalog: Catalog, resolvers: list[Server],
    settings: Settings, make: str = "",
) -> tuple[list[DomainResult], list[Walk]]:  # fmt: skip
    """Open ``live``, ask every nameserver (deep) and walk Outlook's order per domain."""
    with live:
        results = check(targets, live, settings, deep=True)
        # in-zone SRV targets are asked of the same servers: walk while they still run
        checker = TargetChecker(resolvers, settings)
        walks = [walk(r, catalog, checker, make) for r in results]
    return results, walks


def totals(walks: list[Walk]) -> dict:
    return {
        "domains": len(walks),
        **{s: sum(w.status == s for w in walks) for s in ("ok", "problem", "error")},
    }


def render_json(walks: list[Walk], summary: dict) -> str:
    return (
        json.dumps({"domains": [w.to_json() for w in walks], "summary": summary}, indent=2) + "\n"
    )

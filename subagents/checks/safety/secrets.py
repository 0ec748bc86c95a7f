"""Check ``secrets``: ``safety/secret`` and ``safety/private-key`` (critical; a JSON Web Token in test
code is info, see :data:`TEST_FIXTURE_SECRET_TYPES`).

A credential in an added line (:func:`bot.core.sanitize.secret_scan_line`, detect-secrets'
plugins plus our patterns), or a PEM/PuTTY private-key header followed by key material. Messages
and evidence show the line with the secret replaced by ``[REDACTED:<type>]``, never the secret.
"""

from __future__ import annotations

import re

from bot.core.diff import DiffLine
from bot.core.models import Finding, Severity
from bot.core.paths import is_test_path
from bot.core.sanitize import redact_secrets, secret_scan_line
from subagents.checks.safety._common import AGENT, finding, truncate
from subagents.checks.safety._scope import scan_scope
from subagents.framework import Check
from subagents.view import CheckView

TEST_FIXTURE_SECRET_TYPES = frozenset({"jwt", "json_web_token"})
"""Secret types that are test fixtures when found in test code (:func:`bot.core.paths.is_test_path`):
a JSON Web Token is a signed statement, not a key. It grants access only to a server holding the
key it was signed with, and a test's token is signed with the test's own key (echo's JWT tests sign
theirs with ``"secret"``; the jwt.io sample token is the most common). Such findings are ``info``:
listed in the check run's summary and seen by the policy, never posted inline. Provider
credentials (AWS, GitHub, Stripe, private keys...) stay critical in test code: a live key leaks
wherever it is committed."""

_PEM_HEADER = re.compile(r"-{5}BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-{5}(.*)$")
_B64_RUN = re.compile(r"[A-Za-z0-9+/=]{20,}")


def key_material_follows(lines: list[DiffLine], i: int) -> bool:
    """The private-key header on added line ``i`` is followed by key material (same line or next)."""
    m = _PEM_HEADER.search(lines[i].text)
    if m is None:  # PuTTY key files carry the key on later lines; the header is enough
        return True
    if _B64_RUN.search(m.group(1).replace("\\n", " ")):
        return True
    for nxt in lines[i + 1 : i + 4]:
        if _B64_RUN.search(nxt.text) or "Proc-Type:" in nxt.text:
            return True
    return False


def _line(path: str, added: list[DiffLine], i: int) -> list[Finding]:
    line = added[i]
    hits = secret_scan_line(line.text)
    if not hits:
        return []
    redacted = truncate(redact_secrets(line.text)[0])
    out: list[Finding] = []
    for hit in hits:
        if hit.type == "private_key":
            if not key_material_follows(added, i):
                continue
            out.append(finding(
                "safety/private-key", Severity.critical, "Private key material added",
                path=path, line=line.new_lineno, evidence=[f"{path}:{line.new_lineno}: {redacted}"],
                suggestion="Remove the key, rotate it, and load keys from a secret store at run time.",
                anchor=f"private_key:{redacted}",
            ))
        else:
            fixture = hit.type in TEST_FIXTURE_SECRET_TYPES and is_test_path(path)
            out.append(finding(
                "safety/secret", Severity.info if fixture else Severity.critical,
                f"Possible secret added ({hit.type}): {redacted}"
                + (" (a signed token in test code: a test fixture; listed, not posted)" if fixture else ""),
                path=path, line=line.new_lineno, evidence=[f"{path}:{line.new_lineno}: {redacted}"],
                suggestion="Remove the secret, rotate it, and read it from the environment or a secret store.",
                anchor=f"{hit.type}:{redacted}",
            ))
    return out


def run(view: CheckView) -> list[Finding]:
    """Scan every added line of the scan scope for credentials and private keys."""
    out: list[Finding] = []
    for fv in scan_scope(view).files:
        for i in range(len(fv.added)):
            out += _line(fv.change.path, fv.added, i)
    return out


CHECK = Check(name="secrets", agent=AGENT, rules=("safety/private-key", "safety/secret"), run=run, order=30)

__all__ = ["CHECK", "TEST_FIXTURE_SECRET_TYPES", "key_material_follows", "run"]

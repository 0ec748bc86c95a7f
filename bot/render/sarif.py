"""SARIF 2.1.0 output, so GitHub code scanning and editors can show Quorum's findings.

Schema: OASIS SARIF 2.1.0 (Errata 01), https://docs.oasis-open.org/sarif/sarif/v2.1.0/ — the
output validates against it with format checks on (``tests/render/test_sarif_schema.py``).
GitHub code scanning reads ``runs[].results[].locations[].physicalLocation`` and ``ruleId``,
rejects results without a location, and uses ``partialFingerprints`` to keep alerts stable across
pushes (GitHub docs, "SARIF support for code scanning"). Hence:

- every result has a location: a finding about the pull request as a whole (no path) points at
  ``fallback_path`` (the first changed file), line 1, and its message says so;
- ``artifactLocation.uri`` is a percent-encoded relative reference (RFC 3986) against
  ``%SRCROOT%``, never a raw path with spaces or ``#``;
- ``versionControlProvenance.repositoryUri`` is an absolute URI (``https://github.com/owner/name``,
  or ``file:///...`` for a local clone without a GitHub remote), never a filesystem path;
- execution-path traces (evidence steps ``path:line what``) become ``codeFlows``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from bot import __version__
from bot.core.models import Finding, ReviewResult, Severity
from bot.core.repoid import repo_uri

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
_LEVEL = {Severity.info: "note", Severity.minor: "note", Severity.major: "warning", Severity.critical: "error"}
_STEP_RE = re.compile(r"^(?P<path>[^\s:][^:]*?):(?P<line>[1-9][0-9]*)(?::[0-9]+)?(?:\s+(?P<what>.*))?$")
"""An evidence step of a trace: ``src/app.py:12 app.handler`` (path, 1-based line, what is there)."""


def artifact_uri(path: str) -> str:
    """A repository-relative path as a SARIF ``uri-reference``: percent-encoded, ``/`` kept."""
    return quote(path.lstrip("/"), safe="/-._~!$&'()*+,;=@")


def _physical(path: str, line: int | None, end_line: int | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(path), "uriBaseId": SRCROOT}}
    if line and line >= 1:
        loc["region"] = {"startLine": line, "endLine": max(end_line or line, line)}
    return {"physicalLocation": loc}


def code_flow(evidence: Sequence[str]) -> dict[str, Any] | None:
    """A SARIF ``codeFlow`` (one thread flow) from a trace's evidence steps, or None when fewer
    than two steps name a ``path:line``. Steps that do not are left out of the flow (they stay in
    ``properties.evidence``)."""
    steps = []
    for text in evidence:
        m = _STEP_RE.match(text.strip())
        if not m:
            continue
        location = _physical(m.group("path"), int(m.group("line")))
        location["message"] = {"text": (m.group("what") or text).strip() or text}
        steps.append({"location": location})
    if len(steps) < 2:
        return None
    return {"threadFlows": [{"locations": steps}]}


def _result(f: Finding, fallback_path: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ruleId": f.rule_id,
        "level": _LEVEL[f.severity],
        "message": {"text": f.message or f.rule_id},
        "partialFingerprints": {"quorumFindingId/v1": f.id},
        "properties": {"agent": f.agent, "severity": f.severity.value, "findingId": f.id},
    }
    if f.path:
        entry["locations"] = [_physical(f.path, f.line, f.end_line)]
    else:  # GitHub's upload rejects a result without a location: anchor PR-level findings
        entry["locations"] = [_physical(fallback_path or ".", 1)]
        entry["message"]["text"] = f"{entry['message']['text']} (about the pull request as a whole)"
        entry["properties"]["pullRequestLevel"] = True
    if f.evidence:
        entry["properties"]["evidence"] = list(f.evidence)
        flow = code_flow(f.evidence)
        if flow is not None:
            entry["codeFlows"] = [flow]
    return entry


def to_sarif(result: ReviewResult, *, changed_paths: Sequence[str] = ()) -> dict[str, Any]:
    """Build a SARIF 2.1.0 log (one run, tool ``quorum``) from a review result.

    ``changed_paths``: the diff's paths; the first anchors findings about the whole pull request
    (else the first path any finding names, else ``.``, the repository root).
    """
    findings = [f for v in result.verdicts for f in v.findings]
    fallback = next(iter(changed_paths), None) or next((f.path for f in findings if f.path), None)
    rules: dict[str, dict[str, Any]] = {}
    for f in findings:
        rules.setdefault(f.rule_id, {
            "id": f.rule_id,
            "name": re.sub(r"[^A-Za-z0-9]+", "-", f.rule_id).strip("-") or f.rule_id,
            "shortDescription": {"text": f.rule_id},
            "properties": {"agent": f.agent},
        })
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "quorum",
                        "version": __version__,
                        "informationUri": "https://github.com/quorum-review/quorum",
                        "rules": sorted(rules.values(), key=lambda r: r["id"]),
                    }
                },
                "versionControlProvenance": [
                    {"repositoryUri": repo_uri(result.pr.repo), "revisionId": result.pr.head_sha}
                ],
                "results": [_result(f, fallback) for f in findings],
                "properties": {
                    "decision": result.decision.action.value,
                    "policyVersion": result.decision.policy_version,
                    "decisionId": result.decision.decision_id,
                },
            }
        ],
    }


__all__ = ["SARIF_SCHEMA", "artifact_uri", "code_flow", "to_sarif"]

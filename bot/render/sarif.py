"""SARIF 2.1.0 output, so GitHub code scanning and editors can show Quorum's findings.

Schema: https://docs.oasis-open.org/sarif/sarif/v2.1.0/ (OASIS SARIF 2.1.0). GitHub code scanning
reads ``runs[].results[].locations[].physicalLocation`` and ``ruleId``; ``partialFingerprints``
keeps alerts stable across pushes (GitHub docs, "SARIF support for code scanning").
"""

from __future__ import annotations

from typing import Any

from bot import __version__
from bot.core.models import ReviewResult, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.info: "note", Severity.minor: "note", Severity.major: "warning", Severity.critical: "error"}


def to_sarif(result: ReviewResult) -> dict[str, Any]:
    """Build a SARIF 2.1.0 log (one run, tool ``quorum``) from a review result."""
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for verdict in result.verdicts:
        for f in verdict.findings:
            rules.setdefault(
                f.rule_id,
                {
                    "id": f.rule_id,
                    "name": f.rule_id.replace("/", "-"),
                    "shortDescription": {"text": f.rule_id},
                    "properties": {"agent": f.agent},
                },
            )
            entry: dict[str, Any] = {
                "ruleId": f.rule_id,
                "level": _LEVEL[f.severity],
                "message": {"text": f.message},
                "partialFingerprints": {"quorumFindingId/v1": f.id},
                "properties": {"agent": f.agent, "severity": f.severity.value, "findingId": f.id},
            }
            if f.path:
                region: dict[str, Any] = {}
                if f.line:
                    region = {"startLine": f.line, "endLine": max(f.end_line or f.line, f.line)}
                loc: dict[str, Any] = {"artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"}}
                if region:
                    loc["region"] = region
                entry["locations"] = [{"physicalLocation": loc}]
            if f.evidence:
                entry["properties"]["evidence"] = list(f.evidence)
            results.append(entry)
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
                "versionControlProvenance": [{"revisionId": result.pr.head_sha, "repositoryUri": result.pr.repo}],
                "results": results,
                "properties": {
                    "decision": result.decision.action.value,
                    "policyVersion": result.decision.policy_version,
                    "decisionId": result.decision.decision_id,
                },
            }
        ],
    }

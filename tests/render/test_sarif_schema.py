"""SARIF that code scanning accepts: the official 2.1.0 schema with format checks, a location on
every result, a real repositoryUri, and traces as codeFlows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from bot.core.models import Action, Decision, Finding, PullRequestInfo, ReviewResult, Status, Timings, Verdict
from bot.render.sarif import artifact_uri, code_flow, to_sarif
from bot.testing.gitrepo import git, make_repo

SCHEMA = json.loads((Path(__file__).parents[1] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())


def validate(log: dict) -> None:
    """Validate against the OASIS schema (draft-04) with format checking (uri, uri-reference, ...).

    ``FormatChecker()`` holds every format jsonschema knows: draft-04's own checker has no
    ``uri-reference``, which the SARIF schema uses for artifact locations.
    """
    checker = jsonschema.FormatChecker()
    assert {"uri", "uri-reference"} <= set(checker.checkers), "format checkers for URIs are not installed"
    jsonschema.Draft4Validator(SCHEMA, format_checker=checker).validate(log)


def result_with(findings: list[Finding], repo: str = "acme/widgets") -> ReviewResult:
    return ReviewResult(
        pr=PullRequestInfo(repo=repo, base_sha="a" * 40, head_sha="b" * 40, title="t"),
        verdicts=[Verdict(agent="execution_paths", status=Status.concern, risk=0.3, confidence=0.9, findings=findings)],
        decision=Decision(action=Action.comment, reasons=[], risk=0.3, policy_version="sha256:" + "0" * 64,
                          decision_id="D0123456789abcdef"),
        timings=Timings(),
    )


FINDINGS = [
    Finding.make(rule_id="paths/wide-reach", agent="execution_paths", severity="info",
                 message="`app.core.parse` is called from 2 call sites", path="src/app core#1.py", line=12,
                 evidence=["src/app core#1.py:12 app.core.parse", "src/web/views.py:40 web.views.index",
                           "not a location step"]),
    Finding.make(rule_id="intent/empty-description", agent="intent", severity="minor",
                 message="The pull request has no description."),
    Finding.make(rule_id="lint/ruff/t100", agent="anti_patterns", severity="major", message="breakpoint() left in",
                 path="a.py", line=3),
    Finding.make(rule_id="safety/secret", agent="safety", severity="critical", message="a key", path="cfg/x.env"),
]


def test_output_validates_with_format_checks_and_every_result_has_a_location() -> None:
    log = to_sarif(result_with(FINDINGS), changed_paths=["a.py", "src/app core#1.py"])
    validate(log)
    run = log["runs"][0]
    assert run["versionControlProvenance"][0]["repositoryUri"] == "https://github.com/acme/widgets"
    results = run["results"]
    assert len(results) == len(FINDINGS)
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
    pr_level = next(r for r in results if r["ruleId"] == "intent/empty-description")
    assert pr_level["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.py"
    assert pr_level["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert pr_level["properties"]["pullRequestLevel"] is True
    reach = next(r for r in results if r["ruleId"] == "paths/wide-reach")
    assert reach["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/app%20core%231.py"
    steps = reach["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps] == [12, 40]
    assert steps[1]["location"]["message"]["text"] == "web.views.index"


def test_a_filesystem_path_is_never_the_repository_uri() -> None:
    log = to_sarif(result_with(FINDINGS[:1], repo="/home/me/src/widgets"))
    validate(log)
    assert log["runs"][0]["versionControlProvenance"][0]["repositoryUri"] == "file:///home/me/src/widgets"


def test_the_schema_check_can_fail() -> None:
    """The validator really checks formats: a raw path as repositoryUri is refused."""
    log = to_sarif(result_with(FINDINGS[:1]))
    log["runs"][0]["versionControlProvenance"][0]["repositoryUri"] = "relative/path with spaces"
    with pytest.raises(jsonschema.ValidationError):
        validate(log)


def test_code_flow_needs_two_located_steps() -> None:
    assert code_flow(["src/a.py:3 f"]) is None
    assert code_flow(["no location", "also none"]) is None
    flow = code_flow(["src/a.py:3 f", "src/b.py:9:4 g"])
    assert flow is not None and len(flow["threadFlows"][0]["locations"]) == 2
    assert artifact_uri("/abs/ä b.py") == "abs/%C3%A4%20b.py"


def test_no_findings_still_validates() -> None:
    validate(to_sarif(result_with([])))


def test_cli_sarif_of_a_real_review_validates(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 1\nbreakpoint()\n"}, title="feat: debug")
    git(repo, "remote", "add", "origin", "git@github.com:acme/widgets.git")
    env = {"QUORUM_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "bot.cli.main", "review", "--repo", str(repo), "--format", "sarif",
                           "--no-log"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    log = json.loads(proc.stdout)
    validate(log)
    assert log["runs"][0]["versionControlProvenance"][0]["repositoryUri"] == "https://github.com/acme/widgets"
    assert all("locations" in r for r in log["runs"][0]["results"])

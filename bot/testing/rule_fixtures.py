"""Run a registry rule's fixture and say which of its expectations fail.

A fixture (``rules/registry/<agent>/<name>.fixture.yml``) is a small pull request:

```yaml
title: "Fix pagination"          # optional (default "Update code"), and body: "..."
base: {path: content, ...}       # the base revision
head: {path: content, ...}       # files the head writes (null deletes one)
expect: [{rule: ID, path: P, line: N}]  # optional: a finding of ID (on P, covering head line N;
                                        # path null: PR-level) must appear
ok: [{rule: ID, path: P, line: N}]      # optional: no such finding may appear (without path and
                                        # line: no PR-level finding of ID)
```

and head lines carrying ``# expect: ID`` (a finding of ID must cover this head line) or
``# ok: ID`` (none may); ``//``, ``--`` and ``<!--`` comments work too. The agent named by the rule
runs over :func:`bot.testing.fake_tree.memory_context` (no git repository), with a code index
built in-process for ``execution_paths``. ``{{fake:NAME}}`` placeholders expand to the fake
credentials of :mod:`bot.evals.scenarios`.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from bot.core.context import ReviewContext
from bot.core.models import Finding
from bot.core.registry import RegisteredRule
from bot.testing.fake_tree import memory_context

if TYPE_CHECKING:  # the agents are a higher layer than bot.testing's fakes: imported lazily
    from subagents.framework import Check

_MARK_RE = re.compile(r"(?:#|//|--|<!--)\s*(expect|ok):\s*([A-Za-z0-9_/.-]+(?:\s*,\s*[A-Za-z0-9_/.-]+)*)")


def load_fixture(rule: RegisteredRule) -> dict[str, Any]:
    """The fixture of ``rule`` as a mapping, placeholders expanded. Raises ``ValueError`` when missing."""
    from bot.evals.scenarios import expand_fakes  # noqa: PLC0415 - evals helper, test-only use

    if rule.fixture is None:
        raise ValueError(f"{rule.id} has no fixture ({rule.no_fixture})")
    text = (resources.files("rules") / rule.fixture).read_text(encoding="utf-8")
    data = yaml.safe_load(expand_fakes(text))
    if not isinstance(data, dict) or not isinstance(data.get("base"), dict) or not isinstance(data.get("head"), dict):
        raise ValueError(f"{rule.fixture}: a fixture needs 'base' and 'head' mappings")
    return data


def _context(rule: RegisteredRule, data: dict[str, Any]) -> ReviewContext:
    from bot.lint import ExternalLinters  # noqa: PLC0415

    # A rule that is off by default is switched on for its own fixture (as a policy's `enable:` would).
    options = {} if rule.default_enabled else {rule.agent: {"enable": [rule.id]}}
    return memory_context(data["base"], data["head"], title=data.get("title", "Update code"), body=data.get("body", ""),
                          options=options, linters=ExternalLinters())


def fixture_data(rule: RegisteredRule) -> dict[str, Any]:
    """The fixture of ``rule`` as a small pull request: a registry fixture (:func:`load_fixture`), or
    a catalog rule's source fixture (``rules/catalog/<language>/<ID>.<ext>``) added whole as
    ``src/pkg/<ID>.<ext>`` (a non-test path). Raises ``ValueError`` when the rule has none."""
    if rule.fixture is None or rule.fixture.endswith(".yml"):
        return load_fixture(rule)
    text = (resources.files("rules") / rule.fixture).read_text(encoding="utf-8")
    return {"base": {"README.md": "# Demo\n"}, "head": {f"src/pkg/{rule.fixture.rsplit('/', 1)[-1]}": text}}


def run_check_fixture(check: Check, rule: RegisteredRule) -> list[Finding]:
    """Run only ``check`` (after its agent's ``prepare``) on ``rule``'s fixture (:func:`fixture_data`)
    and return that check's findings: proves the fixture exercises that check, not merely its agent."""
    from subagents import agent_class  # noqa: PLC0415
    from subagents.framework import CheckedAgent  # noqa: PLC0415
    from subagents.view import CheckView  # noqa: PLC0415

    agent = agent_class(check.agent)()
    if not isinstance(agent, CheckedAgent):
        raise TypeError(f"agent {check.agent} is not made of checks")
    from bot.codeindex import build_index  # noqa: PLC0415

    ctx = _context(rule, fixture_data(rule))
    ctx.code_index = lambda: build_index(ctx.head, workers=1)
    view = CheckView(ctx, agent.name, agent.params())
    agent.prepare(view)
    return agent.run_check(check, view).findings


def run_fixture(rule: RegisteredRule) -> tuple[list[Finding], list[str]]:
    """Run the rule's agent on its fixture; return ``(findings, problems)`` (empty problems: it holds)."""
    from bot.codeindex import build_index  # noqa: PLC0415
    from subagents import default_agents  # noqa: PLC0415

    data = load_fixture(rule)
    ctx = _context(rule, data)
    ctx.code_index = lambda: build_index(ctx.head, workers=1)
    (agent,) = default_agents([rule.agent])
    findings = agent.review(ctx).findings
    problems: list[str] = []
    marks = 0
    for path, content in data["head"].items():
        if not isinstance(content, str):
            continue
        for lineno, text in enumerate(content.splitlines(), start=1):
            for m in _MARK_RE.finditer(text):
                for rule_id in (r.strip() for r in m.group(2).split(",")):
                    marks += 1
                    hit = [f for f in findings if f.rule_id == rule_id and f.path == path and f.line is not None
                           and f.line <= lineno <= (f.end_line or f.line)]
                    if m.group(1) == "expect" and not hit:
                        problems.append(f"{path}:{lineno}: expected {rule_id}, got "
                                        f"{[(f.rule_id, f.line) for f in findings if f.path == path] or 'nothing'}")
                    if m.group(1) == "ok" and hit:
                        problems.append(f"{path}:{lineno}: {rule_id} must not match, but did: {hit[0].message}")
    def covers(f: Finding, item: dict[str, Any]) -> bool:
        if f.rule_id != item["rule"] or ("path" in item and f.path != item["path"]):
            return False
        return "line" not in item or (f.line is not None and f.line <= item["line"] <= (f.end_line or f.line))

    for item in data.get("expect") or []:
        marks += 1
        if not any(covers(f, item) for f in findings):
            problems.append(f"expected {item} somewhere, got {[(f.rule_id, f.path, f.line) for f in findings]}")
    for item in data.get("ok") or []:
        marks += 1
        bad = [f for f in findings if covers(f, item) and ("path" in item or "line" in item or f.line is None)]
        if bad:
            problems.append(f"{item} must not match, but did: {bad[0].message}")
    if not any(m["rule"] == rule.id for m in data.get("expect") or []) and f"expect: {rule.id}" not in str(data["head"]):
        problems.append(f"the fixture has no expectation for {rule.id} itself")
    if marks == 0:
        problems.append("the fixture has no expect/ok marks")
    return findings, problems


__all__ = ["fixture_data", "load_fixture", "run_check_fixture", "run_fixture"]

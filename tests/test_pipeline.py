"""The pipeline fails closed: an agent that raises or overruns its budget abstains, and the
decision is then never ``approve``; the safety agent and the policy agree on sensitive paths."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.adapters.gitlocal import LocalGitSource
from bot.core.models import Action, Status
from bot.pipeline import PipelineOptions, review_snapshot
from bot.testing.gitrepo import make_repo
from subagents import default_agents
from subagents.base import Analysis, SubAgent

DOCS = ({"docs/guide.md": "# Guide\n\nText.\n"}, {"docs/guide.md": "# Guide\n\nBetter text.\n"})


class Exploding(SubAgent):
    name = "logic"

    def analyze(self, ctx):  # noqa: ANN001, ANN201
        raise RuntimeError("boom")


class Hanging(SubAgent):
    name = "intent"

    def __init__(self, release: threading.Event) -> None:
        self.release = release

    def analyze(self, ctx):  # noqa: ANN001, ANN201
        self.release.wait(10)
        return Analysis()


def snapshot(tmp_path: Path, base=DOCS[0], head=DOCS[1], **kw):  # noqa: ANN001, ANN003, ANN201
    repo, _, _ = make_repo(tmp_path, base, head, title=kw.pop("title", "docs: clarify"), body="Rewords the guide.")
    return LocalGitSource(repo).snapshot()


def agents_with(replacement: SubAgent) -> list[SubAgent]:
    return [replacement if a.name == replacement.name else a for a in default_agents()]


def test_all_agents_pass_on_a_docs_change(tmp_path: Path) -> None:
    s = snapshot(tmp_path)
    try:
        result = review_snapshot(s, PipelineOptions())
    finally:
        s.close()
    assert result.decision.action is Action.approve


def test_an_agent_that_raises_abstains_and_blocks_approval(tmp_path: Path) -> None:
    s = snapshot(tmp_path)
    try:
        result = review_snapshot(s, PipelineOptions(agents=agents_with(Exploding())))
    finally:
        s.close()
    logic = next(v for v in result.verdicts if v.agent == "logic")
    assert logic.status is Status.abstain and "RuntimeError: boom" in (logic.error or "")
    assert result.decision.action is Action.needs_human


def test_an_agent_that_overruns_its_budget_abstains(tmp_path: Path) -> None:
    s = snapshot(tmp_path)
    policy = "agents:\n  intent: {enabled: true, timeout_s: 0.3, options: {}}\n"
    release = threading.Event()
    try:
        result = review_snapshot(s, PipelineOptions(policy_text=policy, agents=agents_with(Hanging(release))))
    finally:
        release.set()
        s.close()
    intent = next(v for v in result.verdicts if v.agent == "intent")
    assert intent.status is Status.abstain and "timed out" in (intent.error or "")
    assert result.decision.action is not Action.approve


@pytest.mark.parametrize(("policy", "expected"), [(None, Action.needs_human), ("off", Action.approve)])
def test_safety_agent_follows_the_policy_sensitive_categories(tmp_path: Path, policy, expected) -> None:  # noqa: ANN001
    base = {"Makefile": "all:\n\techo hi\n", "README.md": "x\n"}
    head = {"Makefile": "all:\n\techo hello\n"}
    if policy == "off":
        base[".quorum.yml"] = "sensitive_paths:\n  categories:\n    infrastructure: false\n"
    s = snapshot(tmp_path, base, head, title="build: friendlier greeting")
    try:
        result = review_snapshot(s, PipelineOptions())
    finally:
        s.close()
    safety_rules = {f.rule_id for v in result.verdicts if v.agent == "safety" for f in v.findings}
    assert result.decision.action is expected
    assert ("safety/sensitive-path" in safety_rules) is (policy is None)

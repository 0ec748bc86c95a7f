"""The pipeline fails closed: an agent that raises or overruns its budget abstains, and the
decision is then never ``approve``; the safety agent and the policy agree on sensitive paths."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.adapters.gitlocal import LocalGitSource
from bot.core.errors import PolicyError
from bot.core.models import Action, Status
from bot.core.protocols import PostedArtifact
from bot.pipeline import PipelineOptions, ReviewHooks, SnapshotSource, run_review
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
        result = run_review(SnapshotSource(s), PipelineOptions()).result
    finally:
        s.close()
    assert result.decision.action is Action.approve


def test_an_agent_that_raises_abstains_and_blocks_approval(tmp_path: Path) -> None:
    s = snapshot(tmp_path)
    try:
        result = run_review(SnapshotSource(s), PipelineOptions(agents=agents_with(Exploding()))).result
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
        result = run_review(SnapshotSource(s), PipelineOptions(policy_text=policy, agents=agents_with(Hanging(release)))).result
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
        result = run_review(SnapshotSource(s), PipelineOptions()).result
    finally:
        s.close()
    safety_rules = {f.rule_id for v in result.verdicts if v.agent == "safety" for f in v.findings}
    assert result.decision.action is expected
    assert ("safety/sensitive-path" in safety_rules) is (policy is None)


class _Sink:
    def __init__(self) -> None:
        self.gates: list = []

    def publish(self, result, gate=None):  # noqa: ANN001, ANN201
        self.gates.append((gate, gate.check(result) if gate is not None else None))
        return [PostedArtifact(kind="check_run", id="7")]


class _Log:
    def __init__(self) -> None:
        self.records: list[dict] = []

    def append(self, record: dict) -> str:
        self.records.append(record)
        return f"h{len(self.records)}"


def test_run_review_publishes_through_a_gate_then_logs_what_was_posted(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, *DOCS, title="docs: clarify", body="Rewords the guide.")
    sink, log = _Sink(), _Log()
    outcome = run_review(LocalGitSource(repo), sinks=[sink], log=log, guards=[lambda r: "checks are red"],
                         record_extra=lambda o: {"withheld": o.gate.withheld})
    assert outcome.result is not None and outcome.result.decision.action is Action.approve
    ((gate, reason),) = sink.gates
    assert gate is outcome.gate and reason == "checks are red"
    (record,) = log.records
    assert record["posted"] == [{"kind": "check_run", "id": "7", "url": None}]
    assert record["extra"] == {"withheld": "checks are red"}
    assert outcome.record_hash == outcome.result.record_hash == "h1"
    t = outcome.result.timings
    assert t.total_ms >= t.snapshot_ms + t.agents_ms and t.log_ms >= 0


def test_run_review_hooks_skip_before_any_review_and_handle_policy_errors(tmp_path: Path) -> None:
    base = dict(DOCS[0], **{".quorum.yml": "no_such_key: 1\n"})
    repo, _, _ = make_repo(tmp_path, base, DOCS[1], title="docs: clarify", body="Rewords the guide.")
    log = _Log()
    skipped = run_review(LocalGitSource(repo), log=log, hooks=ReviewHooks(before_policy=lambda s: "closed"))
    assert skipped.result is None and skipped.skipped == "closed" and log.records == []
    seen: list[str] = []
    handled = run_review(LocalGitSource(repo), log=log,
                         hooks=ReviewHooks(on_policy_error=lambda s, e: seen.append(str(e)) or "policy invalid"))
    assert handled.result is None and handled.skipped == "policy invalid" and "no_such_key" in seen[0]
    with pytest.raises(PolicyError):
        run_review(LocalGitSource(repo), log=log)
    assert log.records == []


CODE = ({"pkg/core.py": "def add(a, b):\n    return a + b\n"}, {"pkg/core.py": "def add(a, b):\n    return a - b\n"})


@pytest.mark.parametrize(("change", "agents", "expected"), [
    (CODE, None, True),  # execution_paths runs and code changed: its index lists the head tree
    (DOCS, None, False),  # no code changed: no index
    (CODE, ["intent", "safety", "logic"], False),  # no execution_paths: no index
])
def test_the_head_listing_starts_ahead_only_for_a_review_that_builds_an_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change, agents, expected) -> None:  # noqa: ANN001
    from bot.adapters.gitlocal import GitTree  # noqa: PLC0415

    started: list[str] = []
    real = GitTree.prefetch_listing

    def record(self: GitTree) -> None:
        started.append(self.sha)
        real(self)

    monkeypatch.setattr(GitTree, "prefetch_listing", record)
    s = snapshot(tmp_path, *change, title="fix add")
    chosen = None if agents is None else [a for a in default_agents() if a.name in agents]
    try:
        run_review(SnapshotSource(s), PipelineOptions(agents=chosen, agent_procs=1))
    finally:
        s.close()
    assert started == ([s.pr.head_sha] if expected else [])

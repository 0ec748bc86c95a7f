"""The reasoner behind a sub-agent, driven through real litellm against the scripted fake model.

Each failure mode must end in an abstention (never a pass); valid answers may only add findings
and tighten the deterministic verdict.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from bot.core.context import ReviewContext
from bot.core.models import Finding, Severity, Status, Verdict
from bot.llm import MemoryCache, Reasoner
from bot.testing.fake_llm import FakeLLM, Reply
from subagents.base import Analysis, SubAgent

BASE = {"calc.py": "def add(a, b):\n    return a + b\n", "util.py": "def one():\n    return 1\n"}
HEAD = {"calc.py": "def add(a, b):\n    return a - b\n"}
BUG = {"kind": "bug", "severity": "major", "path": "calc.py", "line": 2, "message": "add subtracts"}


class Probe(SubAgent):
    """A sub-agent whose deterministic analysis is given by the test."""

    def __init__(self, name: str = "logic", findings: list[Finding] | None = None, confidence: float = 0.9) -> None:
        self.name = name
        self._findings = findings or []
        self._confidence = confidence

    def analyze(self, ctx: ReviewContext) -> Analysis:
        return Analysis(findings=list(self._findings), confidence=self._confidence)


def run(ctx: ReviewContext, reasoner: Reasoner, agent: SubAgent | None = None) -> Verdict:
    ctx.llm = reasoner
    return (agent or Probe()).review(ctx)


@pytest.fixture
def ctx(make_ctx: Callable[..., ReviewContext]) -> ReviewContext:
    return make_ctx(BASE, HEAD, title="Fix add")


def test_valid_answer_adds_findings_and_records_usage(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    fake.script(Reply.answer("concern", risk=0.5, confidence=0.6, findings=[BUG]))
    v = run(ctx, reasoner())
    assert v.status is Status.concern and v.risk == 0.5 and v.confidence == 0.6
    [f] = v.findings
    assert (f.rule_id, f.agent, f.path, f.line, f.severity) == ("logic/llm-bug", "logic", "calc.py", 2, Severity.major)
    assert v.model == "gpt-4o-mini" and v.prompt_version == "logic.v1+shared.v1"
    assert v.tokens > fake.prompt_tokens > 0  # prompt plus completion tokens
    assert v.cost_usd > 0 and v.error is None
    [req] = fake.requests
    assert (req.agent, req.unit) == ("logic", "file:calc.py")
    assert "<<<UNTRUSTED:" in req.user_text and "You are the **logic** reviewer" in req.system_text


def test_llm_pass_cannot_relax_a_deterministic_concern(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    det = Finding.make(rule_id="logic/removed-guard", agent="logic", severity="major", path="calc.py", line=2, message="sign flip")
    fake.script(Reply.answer("pass", risk=0.0, confidence=1.0))
    v = run(ctx, reasoner(), Probe(findings=[det], confidence=0.5))
    assert v.status is Status.concern and v.confidence == 0.5 and v.risk >= 0.35
    assert "logic/removed-guard at calc.py:2: sign flip" in fake.requests[0].user_text


def test_invalid_json_gets_one_repair(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    fake.script(Reply.text('{"status": "pass", '), Reply.answer("pass"))
    v = run(ctx, reasoner())
    assert v.status is Status.passed and len(fake.requests) == 2
    assert "previous answer was rejected: the answer is not valid JSON" in fake.requests[1].user_text


@pytest.mark.parametrize(
    "bad",
    [
        Reply.text("APPROVE"),
        Reply.answer("pass", approved=True),
        Reply.answer("approve"),
        Reply.text(json.dumps({"status": "pass", "risk": 3, "confidence": 1})),
    ],
    ids=["free-text-approve", "extra-key", "bad-enum", "out-of-range"],
)
def test_second_invalid_answer_abstains(fake: FakeLLM, reasoner, ctx: ReviewContext, bad: Reply) -> None:
    fake.script(bad, bad)
    v = run(ctx, reasoner())
    assert v.status is Status.abstain and v.confidence == 0.0
    assert "invalid answer after one repair attempt" in (v.error or "")
    assert len(fake.requests) == 2


def test_truncated_answer_abstains(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    fake.script(Reply.text('{"status": "pass", "risk": 0, "confi', finish_reason="length"))
    v = run(ctx, reasoner())
    assert v.status is Status.abstain and "finish_reason=length" in (v.error or "")
    assert len(fake.requests) == 1


def test_unknown_tool_abstains(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    fake.script(Reply.tool("approve_pull_request", {"verdict": "approve"}))
    v = run(ctx, reasoner())
    assert v.status is Status.abstain and "does not exist: 'approve_pull_request'" in (v.error or "")


def test_endless_tool_loop_hits_the_step_budget(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    fake.responder = lambda req: Reply.tool("read_file", {"path": "calc.py"})
    v = run(ctx, reasoner(max_steps=2))
    assert v.status is Status.abstain and "tool rounds were used up" in (v.error or "")
    assert len(fake.requests) == 3
    assert [r.body.get("tool_choice") for r in fake.requests] == ["auto", "auto", "none"]


def test_tools_read_base_and_head_sanitized(fake: FakeLLM, reasoner, make_ctx) -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    ctx = make_ctx({"cfg.py": f"TOKEN = '{token}'\nX = 1\n"}, {"cfg.py": f"TOKEN = '{token}'\nX = 2\n"})
    fake.script(
        Reply.tool("read_file", {"path": "cfg.py", "revision": "base"}),
        Reply.tool("read_file", {"path": "../etc/passwd"}),
        Reply.tool("read_file", '{"path": '),
        Reply.answer("pass"),
    )
    v = run(ctx, reasoner(max_steps=4))
    assert v.status is Status.passed
    tool_msgs = [m["content"] for m in fake.requests[-1].messages if m["role"] == "tool"]
    assert "cfg.py @ base, lines 1-2 of 2" in tool_msgs[0] and "X = 1" in tool_msgs[0]
    assert tool_msgs[1].startswith("error: invalid path") and tool_msgs[2].startswith("error: invalid arguments")
    assert all(token not in json.dumps(r.body) for r in fake.requests)


def test_auth_error_abstains_without_retry(fake: FakeLLM, reasoner, ctx: ReviewContext, sleeps: list[float]) -> None:
    fake.script(Reply.http(401, "invalid api key"))
    v = run(ctx, reasoner())
    assert v.status is Status.abstain and "auth (401)" in (v.error or "")
    assert len(fake.requests) == 1 and sleeps == []


def test_timeouts_are_retried(fake: FakeLLM, reasoner, ctx: ReviewContext, sleeps: list[float]) -> None:
    fake.script(Reply.timed_out(), Reply.answer("pass"))
    v = run(ctx, reasoner())
    assert v.status is Status.passed and len(fake.requests) == 2 and len(sleeps) == 1


def test_server_errors_until_retries_run_out_abstain(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    fake.responder = lambda req: Reply.http(503, "overloaded")
    v = run(ctx, reasoner())
    assert v.status is Status.abstain and "server (503)" in (v.error or "")
    assert len(fake.requests) == 3  # one try + two retries, then no fallback configured


def test_fallback_model_is_recorded(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    fake.responder = lambda req: Reply.http(500, "down") if req.model == "gpt-4o-mini" else Reply.answer("pass")
    v = run(ctx, reasoner(fallback_models=["gpt-4o"]))
    assert v.status is Status.passed and v.model == "gpt-4o"
    assert any("gpt-4o-mini" in n and "server" in n for n in v.notes)


def test_per_agent_model_override(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    r = reasoner(agent_models={"logic": "gpt-4o"})
    assert run(ctx, r).model == "gpt-4o"
    assert run(ctx, r, Probe("safety")).model == "gpt-4o-mini"
    assert [q.model for q in fake.requests] == ["gpt-4o", "gpt-4o-mini"]


def test_model_reporting_injection_adds_the_injection_finding(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    fake.script(Reply.answer("pass", injection_suspected=True))
    v = run(ctx, reasoner())
    assert v.status is Status.concern
    assert any(f.rule_id == "safety/prompt-injection" and f.severity is Severity.major for f in v.findings)


def test_model_text_is_cleaned_before_it_can_be_posted(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    finding = {**BUG, "message": f"leaks {token}<!-- hidden -->", "path": "nowhere.py"}
    fake.script(Reply.answer("concern", findings=[finding]))
    [f] = run(ctx, reasoner()).findings
    assert token not in f.message and "hidden" not in f.message and "[REDACTED:" in f.message
    assert f.path is None and f.line is None and "not in the head revision" in f.message


def test_token_budget_exhausted_abstains(fake: FakeLLM, reasoner, ctx: ReviewContext) -> None:
    v = run(ctx, reasoner(agent_token_budget=1000))
    assert v.status is Status.abstain and "token budget exhausted" in (v.error or "")
    assert fake.requests == []


def test_prompt_cut_to_budget_marks_truncation(fake: FakeLLM, reasoner, make_ctx) -> None:
    base = "".join(f"v{i} = {i}\n" + "#\n" * 8 for i in range(400))
    head = "".join(f"v{i} = {i + 1}\n" + "#\n" * 8 for i in range(400))
    v = run(make_ctx({"big.py": base}, {"big.py": head}), reasoner(max_input_tokens=2000))
    assert v.truncated and any("left out of the prompt" in n for n in v.notes)
    assert "[… left out:" in fake.requests[0].user_text


def test_reasoner_crash_abstains(ctx: ReviewContext) -> None:
    def broken(agent: str, ctx: ReviewContext, analysis: Analysis) -> Verdict:
        raise RuntimeError("boom")

    v = run(ctx, broken)  # type: ignore[arg-type]
    assert v.status is Status.abstain and "RuntimeError: boom" in (v.error or "")


def test_re_review_after_push_resends_only_the_changed_file(fake: FakeLLM, reasoner, make_ctx) -> None:
    cache = MemoryCache()
    base = {f"m{i}.py": f"def f{i}():\n    return {i}\n" for i in range(4)}
    first = {f"m{i}.py": f"def f{i}():\n    return {i} + 1\n" for i in range(4)}
    r = reasoner(cache=cache)
    v1 = run(make_ctx(base, first), r)
    assert len(fake.requests) == 4 and v1.tokens > 0
    fake.reset()
    v2 = run(make_ctx(base, first), r)
    assert fake.requests == [] and v2.tokens == 0 and v2.status is Status.passed
    assert any("4 from cache" in n for n in v2.notes)
    pushed = {**first, "m2.py": "def f2():\n    return 2 + 2\n"}
    run(make_ctx(base, pushed), r)
    assert [q.unit for q in fake.requests] == ["file:m2.py"]

"""LiteLLMClient against the fake OpenAI-compatible server: real litellm, real HTTP (respx)."""

from __future__ import annotations

import random

import pytest

from bot.adapters.llm import LiteLLMClient
from bot.llm import ErrorKind, LLMCallError
from bot.testing.fake_llm import FakeLLM, Reply

MSG = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]


def test_answer_is_converted_with_usage_and_offline_cost(fake: FakeLLM, client: LiteLLMClient) -> None:
    fake.script(Reply.answer("concern"))
    out = client.complete(["gpt-4o-mini"], MSG, max_tokens=321)
    assert out.model == "gpt-4o-mini"
    assert out.finish_reason == "stop"
    assert '"concern"' in (out.content or "")
    assert out.prompt_tokens == fake.requests[0].prompt_tokens > 0
    assert out.completion_tokens > 0
    assert out.cost_usd is not None and out.cost_usd > 0
    assert out.attempts == 1 and out.failures == []
    body = fake.requests[0].body
    assert body["max_tokens"] == 321 and body["temperature"] == 0


def test_tool_calls_are_converted(fake: FakeLLM, client: LiteLLMClient) -> None:
    fake.script(Reply.tool("read_file", {"path": "a.py"}))
    spec = {"name": "read_file", "parameters": {"type": "object", "properties": {}}}
    tools = [{"type": "function", "function": spec}]
    out = client.complete(["gpt-4o-mini"], MSG, tools=tools, tool_choice="none")
    assert [(c.name, c.arguments) for c in out.tool_calls] == [("read_file", '{"path": "a.py"}')]
    assert fake.requests[0].body["tool_choice"] == "none"


@pytest.mark.parametrize(
    "failure",
    [
        Reply.http(429, "slow down"),
        Reply.http(500, "boom"),
        Reply.http(502, "bad gateway"),
        Reply.http(503, "busy"),
        Reply.timed_out(),
    ],
    ids=["429", "500", "502", "503", "timeout"],
)
def test_transient_errors_are_retried_once_then_answer(
    fake: FakeLLM, client: LiteLLMClient, sleeps: list[float], failure: Reply
) -> None:
    fake.script(failure, Reply.answer())
    out = client.complete(["gpt-4o-mini"], MSG)
    assert len(fake.requests) == 2
    assert out.attempts == 2 and len(sleeps) == 1
    assert "attempt 1" in out.failures[0]


def test_retries_stop_after_max_with_jittered_exponential_backoff(fake: FakeLLM, sleeps: list[float]) -> None:
    fake.script(*[Reply.http(500, "down")] * 5)
    client = LiteLLMClient(
        api_base=fake.base_url, api_key="k", max_retries=3, backoff_s=1.0, backoff_max_s=3.0,
        sleep=sleeps.append, rng=random.Random(7),
    )
    with pytest.raises(LLMCallError) as info:
        client.complete(["gpt-4o-mini"], MSG)
    assert info.value.kind is ErrorKind.server and info.value.status_code == 500
    assert len(fake.requests) == 4 and len(sleeps) == 3
    assert all(0 <= s <= c for s, c in zip(sleeps, [1.0, 2.0, 3.0], strict=True))
    assert len(set(sleeps)) == 3  # jittered, not a fixed schedule


def test_retry_after_is_honoured_up_to_the_cap(fake: FakeLLM, sleeps: list[float]) -> None:
    fake.script(Reply.http(429, "later", headers={"retry-after": "4"}), Reply.answer())
    client = LiteLLMClient(api_base=fake.base_url, api_key="k", backoff_s=0.001, backoff_max_s=10, sleep=sleeps.append)
    client.complete(["gpt-4o-mini"], MSG)
    assert sleeps and sleeps[0] >= 4


def test_auth_error_is_not_retried_and_hides_the_key(fake: FakeLLM, client: LiteLLMClient, sleeps: list[float]) -> None:
    fake.script(Reply.http(401, "Incorrect API key provided: sk-test-0000"))
    with pytest.raises(LLMCallError) as info:
        client.complete(["gpt-4o-mini"], MSG)
    assert info.value.kind is ErrorKind.auth and not info.value.retryable
    assert len(fake.requests) == 1 and sleeps == []
    assert "sk-test-0000" not in str(info.value)


def test_bad_request_is_neither_retried_nor_sent_to_fallbacks(fake: FakeLLM, client: LiteLLMClient) -> None:
    fake.script(Reply.http(400, "bad request"))
    with pytest.raises(LLMCallError) as info:
        client.complete(["gpt-4o-mini", "gpt-4o"], MSG)
    assert info.value.kind is ErrorKind.bad_request
    assert len(fake.requests) == 1


def test_fallback_answers_and_is_recorded(fake: FakeLLM, client: LiteLLMClient) -> None:
    fake.script(*[Reply.http(503, "overloaded")] * 3, Reply.answer())
    out = client.complete(["gpt-4o-mini", "gpt-4o"], MSG)
    assert [r.model for r in fake.requests] == ["gpt-4o-mini"] * 3 + ["gpt-4o"]
    assert out.model == "gpt-4o"
    assert any(f.startswith("gpt-4o-mini:") and "server" in f for f in out.failures)


def test_context_window_from_the_offline_map(client: LiteLLMClient) -> None:
    assert client.context_window("gpt-4o-mini") == 128000
    assert client.context_window("openai/no-such-model-here") is None

"""One unit's conversation with a model: tool rounds within a step budget, one repair, then done.

Every way a conversation can go wrong ends in an abstention (``UnitOutcome.error`` set), never
in a verdict read from free text:

- the model call fails for good (auth error, bad request, retries exhausted) -> abstain;
- the answer was cut by the output limit (``finish_reason == "length"``) -> abstain;
- the model calls a tool that was not offered -> abstain;
- after ``max_steps`` tool rounds the model is told to answer with ``tool_choice="none"``;
  if it still calls tools -> abstain;
- the answer is not a valid :class:`~bot.llm.schema.AgentAnswer` -> one repair request quoting
  the validation error; a second invalid answer -> abstain;
- the agent's token budget would be exceeded by the next call -> abstain.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.llm.client import ChatResponse, LLMCallError, LLMClient
from bot.llm.payload import approx_tokens
from bot.llm.schema import AgentAnswer, AnswerError, parse_answer
from bot.llm.tools import ToolBox, UnknownToolError

REPAIR_MESSAGE = (
    "Your previous answer was rejected: {error}.\n"
    "Answer again with exactly one JSON object matching the schema in the system message, "
    "and nothing else."
)
TOOLS_EXHAUSTED_MESSAGE = (
    "You have used all {steps} rounds of tool calls. Answer now with exactly one JSON object "
    "matching the schema in the system message, based on what you have seen; lower your "
    "confidence or abstain if you could not check something important."
)


class TokenBudget:
    """Tokens one agent may spend in one review, shared by its units (thread-safe)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def allows(self, estimate: int) -> bool:
        """True when ``estimate`` more tokens stay within the limit."""
        with self._lock:
            return self.used + estimate <= self.limit

    def charge(self, tokens: int) -> None:
        """Record ``tokens`` spent."""
        with self._lock:
            self.used += tokens


@dataclass
class UnitOutcome:
    """How one unit went. ``answer`` is set on success, ``error`` (why it abstained) otherwise.

    ``model`` is the model that gave the last answer; ``calls`` the model calls made (0 when the
    answer came from the cache); ``steps`` the tool rounds; ``cost_known`` False when some call's
    cost was not in the offline cost map.
    """

    unit_id: str
    answer: AgentAnswer | None = None
    error: str | None = None
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    latency_ms: float = 0.0
    calls: int = 0
    steps: int = 0
    repaired: bool = False
    cached: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens spent."""
        return self.prompt_tokens + self.completion_tokens

    def account(self, response: ChatResponse) -> None:
        """Add one response's usage, cost and latency; note fallbacks and retries."""
        self.calls += 1
        self.prompt_tokens += response.prompt_tokens
        self.completion_tokens += response.completion_tokens
        self.latency_ms += response.latency_ms
        if response.cost_usd is None:
            self.cost_known = False
        else:
            self.cost_usd += response.cost_usd
        self.model = response.model
        for failure in response.failures:
            self.notes.append(f"{self.unit_id}: {failure}")


def _assistant_message(response: ChatResponse) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": response.content,
        "tool_calls": [
            {"id": tc.id, "type": "function", "function": {"name": tc.name, "arguments": tc.arguments}}
            for tc in response.tool_calls
        ],
    }


def converse(
    client: LLMClient,
    models: Sequence[str],
    system: str,
    user: str,
    *,
    unit_id: str,
    toolbox: ToolBox | None,
    max_steps: int,
    max_output_tokens: int,
    budget: TokenBudget,
) -> UnitOutcome:
    """Run one unit to an answer or an abstention (see the module docstring). Never raises
    :class:`LLMCallError`; other exceptions are bugs and propagate."""
    out = UnitOutcome(unit_id=unit_id)
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    specs = toolbox.specs() if toolbox is not None and max_steps > 0 else None
    tool_choice = "auto"
    while True:
        estimate = approx_tokens(json.dumps(messages, ensure_ascii=False)) + max_output_tokens
        if not budget.allows(estimate):
            out.error = f"token budget exhausted ({budget.used} of {budget.limit} tokens used by this agent)"
            return out
        try:
            response = client.complete(
                models, messages, tools=specs, tool_choice=tool_choice, max_tokens=max_output_tokens
            )
        except LLMCallError as exc:
            out.error = f"model call failed: {exc}"
            return out
        out.account(response)
        budget.charge(response.tokens or estimate)
        if response.finish_reason == "length":
            out.error = "answer cut at the output token limit (finish_reason=length)"
            return out
        if response.tool_calls:
            if specs is None or tool_choice == "none":
                out.error = f"model kept calling tools after its {max_steps} tool rounds were used up"
                return out
            out.steps += 1
            messages.append(_assistant_message(response))
            for call in response.tool_calls:
                try:
                    result = toolbox.call(call.name, call.arguments)  # type: ignore[union-attr]
                except UnknownToolError:
                    out.error = f"model called a tool that does not exist: {call.name[:80]!r}"
                    return out
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
            if out.steps >= max_steps:
                tool_choice = "none"
                messages.append({"role": "user", "content": TOOLS_EXHAUSTED_MESSAGE.format(steps=max_steps)})
            continue
        try:
            out.answer = parse_answer(response.content)
        except AnswerError as exc:
            if out.repaired:
                out.error = f"invalid answer after one repair attempt: {exc}"
                return out
            out.repaired = True
            out.notes.append(f"{unit_id}: repair requested ({exc})"[:300])
            messages.append({"role": "assistant", "content": response.content or ""})
            messages.append({"role": "user", "content": REPAIR_MESSAGE.format(error=exc)})
            continue
        return out

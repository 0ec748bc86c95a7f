"""The one fake model, shared by tests and evals: an OpenAI-compatible chat-completions server
served in-process through respx.

It sits *under* litellm: the real ``bot.adapters.llm.LiteLLMClient`` sends real HTTP requests
(``POST <base_url>/chat/completions``) through httpx, and respx answers them. So every test and
eval exercises the real litellm path, its error mapping, our retry layer and our parsing.
Any request to another host fails (``assert_all_mocked``): nothing ever reaches a real provider.

Replies come from a script (:meth:`FakeLLM.script`, consumed in order) and then from a
``responder(request) -> Reply`` function (default: a valid "pass" answer). :class:`Reply` builds
valid answers, free text, tool calls, HTTP errors (429, 5xx, 401, ...) and timeouts.

Token counting: ``prompt_tokens`` reported (and summed in :attr:`FakeLLM.prompt_tokens`) are
counted over the request's messages and tool specs with tiktoken's ``cl100k_base`` from the
offline copy litellm ships (``TIKTOKEN_CACHE_DIR`` is pointed at it when unset, as litellm does
itself; nothing is downloaded), else estimated as characters / 4; plus 4 tokens per message,
OpenAI's documented per-message overhead for its chat format.

Usage::

    with FakeLLM() as llm:
        llm.script(Reply.text("APPROVE"), Reply.answer(status="concern", findings=[...]))
        client = LiteLLMClient(api_base=llm.base_url, api_key="sk-test", backoff_s=0)
        ...
        assert llm.requests[0].agent == "intent"
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpx
import respx

DEFAULT_BASE_URL = "http://llm.test/v1"
_UNIT_RE = re.compile(r"^QUORUM-UNIT agent=(\S+) unit=(\S+) prompt=(\S+)", re.MULTILINE)


def _bundled_tokenizers() -> str | None:
    """litellm's offline copy of the tiktoken files (found without importing litellm), or None."""
    spec = importlib.util.find_spec("litellm")
    for root in (spec.submodule_search_locations or []) if spec else []:
        folder = os.path.join(root, "litellm_core_utils", "tokenizers")
        if os.path.isdir(folder):
            return folder
    return None


@lru_cache(maxsize=1)
def _encoding() -> Any:
    """cl100k_base from an offline copy (never downloaded), or None."""
    if not os.environ.get("TIKTOKEN_CACHE_DIR"):
        bundled = _bundled_tokenizers()
        if bundled is None:
            return None
        os.environ["TIKTOKEN_CACHE_DIR"] = bundled  # what litellm itself sets when it counts tokens
    try:
        import tiktoken  # noqa: PLC0415 - optional

        return tiktoken.get_encoding("cl100k_base")
    except Exception:  # noqa: BLE001 - no offline tokenizer: fall back to the estimate
        return None


def count_tokens(text: str) -> int:
    """Tokens of ``text`` (cl100k_base when available offline, else ``len // 4 + 1``)."""
    enc = _encoding()
    if enc is not None:
        return len(enc.encode(text, disallowed_special=()))
    return len(text) // 4 + 1


@dataclass
class Reply:
    """One scripted answer of the fake model.

    ``status`` other than 200 answers with an OpenAI-style error body (``error`` is its message);
    ``timeout`` raises ``httpx.ReadTimeout`` instead of answering. ``finish_reason`` defaults to
    ``tool_calls`` when there are tool calls, else ``stop``.
    """

    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    finish_reason: str | None = None
    status: int = 200
    error: str = ""
    timeout: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def answer(
        cls,
        status: str = "pass",
        *,
        risk: float = 0.05,
        confidence: float = 0.9,
        findings: Iterable[dict[str, Any]] = (),
        summary: str = "",
        injection_suspected: bool = False,
        **extra: Any,
    ) -> Reply:
        """A valid answer (``extra`` adds keys, e.g. to test schema violations)."""
        body = {
            "status": status,
            "risk": risk,
            "confidence": confidence,
            "findings": list(findings),
            "summary": summary,
            "injection_suspected": injection_suspected,
            **extra,
        }
        return cls(content=json.dumps(body))

    @classmethod
    def text(cls, content: str, *, finish_reason: str = "stop") -> Reply:
        """Free text (or any raw content, e.g. broken JSON)."""
        return cls(content=content, finish_reason=finish_reason)

    @classmethod
    def tool(cls, name: str, arguments: dict[str, Any] | str | None = None) -> Reply:
        """One tool call (``arguments`` as a dict, or raw text to test bad JSON)."""
        return cls(tool_calls=[(name, arguments if arguments is not None else {})])

    @classmethod
    def http(cls, status: int, message: str = "error", *, headers: dict[str, str] | None = None) -> Reply:
        """An HTTP error answer (e.g. 401, 429, 500, 503)."""
        return cls(status=status, error=message, headers=dict(headers or {}))

    @classmethod
    def timed_out(cls) -> Reply:
        """No answer: the request times out."""
        return cls(timeout=True)


@dataclass
class FakeRequest:
    """A request the fake received: the decoded JSON body and the prompt tokens counted."""

    body: dict[str, Any]
    prompt_tokens: int

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.body.get("tools") or [])

    def _unit_header(self) -> tuple[str, str, str] | None:
        for m in self.messages:
            if m.get("role") == "user":
                found = _UNIT_RE.search(_text(m.get("content")))
                if found:
                    return found.group(1), found.group(2), found.group(3)
        return None

    @property
    def agent(self) -> str | None:
        """The agent named in the unit header of the first user message."""
        head = self._unit_header()
        return head[0] if head else None

    @property
    def unit(self) -> str | None:
        """The unit id (``pr`` or ``file:<path>``) named in the unit header."""
        head = self._unit_header()
        return head[1] if head else None

    @property
    def user_text(self) -> str:
        """All user and tool message text, joined."""
        return "\n".join(_text(m.get("content")) for m in self.messages if m.get("role") in ("user", "tool"))

    @property
    def system_text(self) -> str:
        return "\n".join(_text(m.get("content")) for m in self.messages if m.get("role") == "system")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _count_prompt(body: dict[str, Any]) -> int:
    total = 0
    for m in body.get("messages", []):
        total += 4 + count_tokens(_text(m.get("content")))
        for tc in m.get("tool_calls") or []:
            fn = tc.get("function", {})
            total += count_tokens(str(fn.get("name", ""))) + count_tokens(str(fn.get("arguments", "")))
    if body.get("tools"):
        total += count_tokens(json.dumps(body["tools"], separators=(",", ":")))
    return total


class FakeLLM:
    """The scripted OpenAI-compatible server (a context manager; see the module docstring).

    ``requests`` lists every request received, in arrival order (thread-safe).
    """

    def __init__(
        self,
        responder: Callable[[FakeRequest], Reply] | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.responder = responder or (lambda _req: Reply.answer())
        self.requests: list[FakeRequest] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._router: respx.MockRouter | None = None
        self._n = 0

    # ------------------------------------------------------------------ control

    def script(self, *replies: Reply) -> FakeLLM:
        """Queue replies, answered in order before the responder is asked."""
        with self._lock:
            self._script.extend(replies)
        return self

    def start(self) -> FakeLLM:
        """Start intercepting HTTP (every other host fails)."""
        router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        router.post(f"{self.base_url}/chat/completions").mock(side_effect=self._handle)
        router.start()
        self._router = router
        return self

    def stop(self) -> None:
        """Stop intercepting."""
        if self._router is not None:
            self._router.stop()
            self._router = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget requests and scripted replies (the responder stays)."""
        with self._lock:
            self.requests.clear()
            self._script.clear()

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens of every request received so far."""
        with self._lock:
            return sum(r.prompt_tokens for r in self.requests)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    # ------------------------------------------------------------------ server

    def _handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content.decode("utf-8"))
        req = FakeRequest(body=body, prompt_tokens=_count_prompt(body))
        with self._lock:
            self.requests.append(req)
            self._n += 1
            n = self._n
            reply = self._script.popleft() if self._script else None
        if reply is None:
            reply = self.responder(req)
        if reply.timeout:
            raise httpx.ReadTimeout("fake model: read timed out", request=request)
        if reply.status != 200:
            kind = {401: "invalid_request_error", 429: "rate_limit_exceeded"}.get(reply.status, "server_error")
            return httpx.Response(
                reply.status,
                json={"error": {"message": reply.error, "type": kind, "code": str(reply.status)}},
                headers=reply.headers,
            )
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{n}_{i}",
                    "type": "function",
                    "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
                }
                for i, (name, args) in enumerate(reply.tool_calls)
            ]
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        completion = count_tokens(reply.content or "") + sum(
            count_tokens(json.dumps(a) if not isinstance(a, str) else a) for _, a in reply.tool_calls
        )
        return httpx.Response(
            200,
            json={
                "id": f"chatcmpl-fake-{n}",
                "object": "chat.completion",
                "created": 0,
                "model": req.model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {
                    "prompt_tokens": req.prompt_tokens,
                    "completion_tokens": completion,
                    "total_tokens": req.prompt_tokens + completion,
                },
            },
        )

"""LLM adapter: the only module that imports ``litellm`` (lazily, on the first model call).

:class:`LiteLLMClient` implements :class:`bot.llm.client.LLMClient` over ``litellm.completion``
with exactly one retry layer (tenacity; litellm's and the OpenAI SDK's own retries are turned off
with ``max_retries=0``): timeouts, HTTP 429, 5xx and dropped connections are retried with
full-jitter exponential backoff (honouring ``Retry-After`` up to the cap); auth errors and bad
requests never are. Then each fallback model is tried in order; the response names the model
that answered. Costs come from litellm's offline cost map (``LITELLM_LOCAL_MODEL_COST_MAP=True``:
never fetched over the network).

:func:`reasoner_from_settings` wires settings, this client and a disk cache into a
:class:`bot.llm.Reasoner` for the entry points; it returns None when no model is configured,
so nothing imports litellm in offline runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from bot.core.errors import ConfigError
from bot.core.sanitize import redact_secrets
from bot.llm.client import ChatResponse, ErrorKind, LLMCallError, ToolCall

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.llm.reasoner import Reasoner

_IMPORT_LOCK = threading.Lock()
_MODULE: dict[str, Any] = {}


def _litellm() -> Any:
    """Import litellm once (about 2.5 s), with the offline cost map and without its help banners."""
    with _IMPORT_LOCK:
        if "litellm" not in _MODULE:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            import litellm  # noqa: PLC0415 - deliberately lazy: heavy, and only with a model configured

            litellm.suppress_debug_info = True
            _MODULE["litellm"] = litellm
        return _MODULE["litellm"]


LLM_EXTRA_HINT = "pip install 'quorum-review[llm]'"
"""How to install the optional LLM layer (litellm, mcp); the base install reviews offline only."""


def require_llm_extra(model: str) -> None:
    """Raise :class:`bot.core.errors.ConfigError` (one line) when ``litellm`` is not installed.

    The base install leaves litellm out (it is the ``[llm]`` extra); a configured model without it
    must fail with a clear message before any review starts, never with an ImportError mid-review.
    Checked with ``importlib.util.find_spec``, so litellm itself is not imported here.
    """
    if importlib.util.find_spec("litellm") is None:
        raise ConfigError(
            f"model {model!r} is configured but the LLM layer is not installed: {LLM_EXTRA_HINT} "
            "(or unset QUORUM_MODEL / --model to review offline)"
        )


class LiteLLMClient:
    """Chat completions through litellm, any provider it supports.

    - ``api_base`` / ``api_key``: an OpenAI-compatible endpoint and its key (None: litellm's
      provider defaults, e.g. ``OPENAI_API_KEY`` read by litellm itself).
    - ``timeout_s``: per HTTP request (seconds).
    - ``max_retries``: extra attempts per model for retryable errors (0 = one attempt).
    - ``backoff_s`` / ``backoff_max_s``: full-jitter backoff, attempt *n* sleeps
      ``uniform(0, min(backoff_max_s, backoff_s * 2**(n-1)))`` seconds (at least Retry-After,
      capped at ``backoff_max_s``).
    - ``sleep``: the sleep function (tests pass a no-op or a recorder).

    The constructor does no I/O and does not import litellm.
    """

    def __init__(
        self,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        backoff_s: float = 1.0,
        backoff_max_s: float = 20.0,
        temperature: float | None = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.api_base = api_base
        self._api_key = api_key
        self.timeout_s = timeout_s
        self.max_retries = max(0, max_retries)
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.temperature = temperature
        self._sleep = sleep
        self._rng = rng or random.Random()

    # ------------------------------------------------------------------ public API

    def warm_up(self) -> None:
        """Import litellm now (seconds), in the calling thread, rather than in the first of
        several agent threads that would all wait on the import lock; also the modules its first
        call imports lazily (the OpenAI SDK's resources, the MCP handler loaded whenever
        ``tools=`` is passed; about 2 s). Those names are litellm internals: a missing one is
        skipped (the first call then pays for it)."""
        _litellm()
        for name in ("openai.resources.chat", "litellm.responses.mcp.chat_completions_handler"):
            try:
                importlib.import_module(name)
            except ImportError:
                continue

    def complete(
        self,
        models: Sequence[str],
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str = "auto",
        max_tokens: int = 1500,
    ) -> ChatResponse:
        """Ask each model in turn (retrying transient errors) until one answers.

        ``tool_choice`` is ``"auto"`` or ``"none"`` (tools stay declared so that a history with
        tool calls remains valid, but the model must answer in text).

        A bad request stops at once (the same request would fail on any model); any other
        failure moves on to the next model. Raises :class:`LLMCallError` (the last failure,
        with the earlier ones in its message) when no model answered.
        """
        if not models:
            raise LLMCallError(ErrorKind.config, "no model configured")
        start = time.perf_counter()
        failures: list[str] = []
        attempts = 0
        last: LLMCallError | None = None
        for model in models:
            counter = {"n": 0}
            try:
                response = self._with_retries(model, messages, tools, tool_choice, max_tokens, counter, failures)
            except LLMCallError as exc:
                attempts += counter["n"]
                last = exc
                failures.append(f"{model}: {exc}")
                if exc.kind is ErrorKind.bad_request:
                    break
                continue
            attempts += counter["n"]
            return response.model_copy(
                update={
                    "latency_ms": round((time.perf_counter() - start) * 1000, 2),
                    "attempts": attempts,
                    "failures": failures,
                }
            )
        assert last is not None
        detail = "; ".join(failures[:-1])
        message = str(last) if not detail else f"{last} (earlier: {detail})"
        raise LLMCallError(last.kind, message[:800], model=last.model, status_code=last.status_code)

    def context_window(self, model: str) -> int | None:
        """``max_input_tokens`` from litellm's offline model map, or None for unknown models."""
        litellm = _litellm()
        try:
            info = litellm.get_model_info(model)
        except Exception:  # noqa: BLE001 - litellm raises plain Exception for models it does not know
            return None
        value = info.get("max_input_tokens") or info.get("max_tokens")
        return int(value) if value else None

    # ------------------------------------------------------------------ internals

    def _with_retries(
        self,
        model: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        tool_choice: str,
        max_tokens: int,
        counter: dict[str, int],
        failures: list[str],
    ) -> ChatResponse:
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, LLMCallError) and e.retryable),
            sleep=self._sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                counter["n"] += 1
                try:
                    return self._call_once(model, messages, tools, tool_choice, max_tokens)
                except LLMCallError as exc:
                    if exc.retryable and counter["n"] <= self.max_retries:
                        failures.append(f"{model}: attempt {counter['n']}: {exc.kind.value}")
                    raise
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        ceiling = min(self.backoff_max_s, self.backoff_s * 2 ** (state.attempt_number - 1))
        delay = self._rng.uniform(0, ceiling)
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, LLMCallError) and exc.retry_after:
            delay = max(delay, min(exc.retry_after, self.backoff_max_s))
        return delay

    def _call_once(
        self,
        model: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        tool_choice: str,
        max_tokens: int,
    ) -> ChatResponse:
        litellm = _litellm()
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "max_tokens": max_tokens,
            "timeout": self.timeout_s,
            "max_retries": 0,
            "drop_params": True,
        }
        if self.temperature is not None:
            kwargs["temperature"] = self.temperature
        if tools:
            kwargs["tools"] = tools
            kwargs["tool_choice"] = tool_choice
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self._api_key:
            kwargs["api_key"] = self._api_key
        try:
            raw = litellm.completion(**kwargs)
        except Exception as exc:  # noqa: BLE001 - every provider error is classified, none swallowed
            raise self._classify(exc, model) from exc
        return self._convert(raw, model)

    def _convert(self, raw: Any, model: str) -> ChatResponse:
        litellm = _litellm()
        choices = getattr(raw, "choices", None) or []
        if not choices:
            raise LLMCallError(ErrorKind.invalid_response, f"{model}: answer without choices", model=model)
        choice = choices[0]
        message = getattr(choice, "message", None)
        calls = []
        for i, tc in enumerate(getattr(message, "tool_calls", None) or []):
            fn = getattr(tc, "function", None)
            calls.append(
                ToolCall(
                    id=str(getattr(tc, "id", None) or f"call_{i}"),
                    name=str(getattr(fn, "name", None) or ""),
                    arguments=str(getattr(fn, "arguments", None) or ""),
                )
            )
        usage = getattr(raw, "usage", None)
        try:
            cost = float(litellm.completion_cost(completion_response=raw, model=model))
        except Exception:  # noqa: BLE001 - not in the offline cost map: recorded as unknown (None)
            cost = None
        content = getattr(message, "content", None)
        return ChatResponse(
            content=content if isinstance(content, str) else None,
            tool_calls=calls,
            finish_reason=getattr(choice, "finish_reason", None),
            model=model,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=cost,
        )

    def _classify(self, exc: Exception, model: str) -> LLMCallError:
        """Map a litellm/OpenAI exception to an :class:`LLMCallError` (by class, then HTTP status)."""
        litellm = _litellm()
        status = getattr(exc, "status_code", None)
        status = status if isinstance(status, int) else None
        if isinstance(exc, litellm.ContextWindowExceededError):
            kind = ErrorKind.context_window
        elif isinstance(exc, litellm.Timeout) or status == 408:
            kind = ErrorKind.timeout
        elif isinstance(exc, litellm.RateLimitError) or status == 429:
            kind = ErrorKind.rate_limit
        elif isinstance(exc, (litellm.AuthenticationError, litellm.PermissionDeniedError)) or status in (401, 403):
            kind = ErrorKind.auth
        elif isinstance(exc, litellm.NotFoundError) or status == 404:
            kind = ErrorKind.not_found
        elif isinstance(exc, litellm.APIConnectionError):
            kind = ErrorKind.connection
        elif status is not None and status >= 500:
            kind = ErrorKind.server
        elif status is not None and 400 <= status < 500 or isinstance(exc, litellm.BadRequestError):
            kind = ErrorKind.bad_request
        else:
            kind = ErrorKind.config
        text = " ".join(str(exc).split())
        for prefix in ("litellm.", "OpenAIException - "):
            text = text.replace(prefix, "")
        if self._api_key:
            text = text.replace(self._api_key, "[REDACTED]")
        text, _ = redact_secrets(text)
        label = f"{kind.value} ({status})" if status else kind.value
        return LLMCallError(
            kind,
            f"{model}: {label}: {text[:300]}",
            model=model,
            status_code=status,
            retry_after=_retry_after(exc),
        )


def _retry_after(exc: Exception) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form only), or None.

    litellm keeps the provider's headers in ``litellm_response_headers``; ``response.headers``
    is a rebuilt response without them.
    """
    response = getattr(exc, "response", None)
    for headers in (getattr(exc, "litellm_response_headers", None), getattr(response, "headers", None)):
        if headers is None:
            continue
        try:
            value = headers.get("retry-after")
            if value is not None:
                return float(value)
        except (AttributeError, TypeError, ValueError):
            continue
    return None


def reasoner_from_settings(
    settings: Settings,
    *,
    model: str | None = None,
    cache_dir: Path | None = None,
    client: LiteLLMClient | None = None,
) -> Reasoner | None:
    """The LLM reasoner described by ``settings`` (``model`` overrides ``settings.model``).

    Returns None when no model is configured: the review stays offline and litellm is never
    imported. ``cache_dir`` holds the answer cache (default ``settings.cache_dir / "llm"``).
    """
    from bot.llm import DiskCache, Reasoner, ReasonerConfig  # noqa: PLC0415

    chosen = model or settings.model
    if not chosen:
        return None
    if client is None:
        require_llm_extra(chosen)
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else None
    client = client or LiteLLMClient(
        api_base=settings.llm_api_base,
        api_key=key,
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
    )
    config = ReasonerConfig(
        model=chosen,
        agent_models=dict(settings.llm_agent_models) if model is None else {},
        fallback_models=list(settings.llm_fallback_models),
        max_steps=settings.llm_max_steps,
        max_input_tokens=settings.llm_max_input_tokens,
        max_output_tokens=settings.llm_max_output_tokens,
        agent_token_budget=settings.llm_agent_token_budget,
    )
    client.warm_up()
    return Reasoner(client, config, cache=DiskCache(cache_dir or settings.cache_dir / "llm"))

"""Bounded, jittered retries for GitHub API calls (tenacity), honouring GitHub's rate-limit headers.

Source: GitHub docs, "Rate limits for the REST API" / "Best practices for using the REST API":
- if ``retry-after`` is present, wait that many seconds;
- else if ``x-ratelimit-remaining`` is ``0``, wait until ``x-ratelimit-reset`` (UTC epoch seconds);
- else, for a secondary rate limit, wait at least one minute, growing exponentially on repeats.
Primary and secondary limits answer 403 or 429. 5xx answers and network errors are retried with
exponential backoff and jitter. Nothing else is retried: other 4xx answers are final.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import requests
import structlog
from github.GithubException import GithubException
from tenacity import RetryCallState, Retrying, retry_if_exception

from bot.adapters.github.errors import (
    GitHubAuthError,
    GitHubError,
    GitHubNotFound,
    GitHubRateLimited,
    GitHubRequestError,
    GitHubUnavailable,
)

log = structlog.get_logger("quorum.github")
T = TypeVar("T")

SECONDARY_LIMIT_WAIT_S = 60.0
"""GitHub: without headers, wait at least one minute after a secondary rate limit."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry one call.

    ``max_attempts`` counts the first try. ``max_wait_s`` bounds a single wait: when GitHub asks for
    a longer one (a reset far ahead), the call gives up with GitHubRateLimited carrying the hint, so
    the job queue can retry the job later instead of holding a worker. ``sleep`` and ``clock`` are
    injectable for tests.
    """

    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_wait_s: float = 60.0
    jitter_s: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)


def _header(headers: dict | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or exc.message or "").strip()


def rate_limit_wait(exc: GithubException, clock: Callable[[], float] = time.time) -> float | None:
    """Seconds GitHub asks us to wait, or None when ``exc`` is not a rate limit.

    403 counts as a rate limit only with ``x-ratelimit-remaining: 0``, a ``retry-after`` header or a
    message mentioning a rate limit (otherwise it is a permission error); 429 always counts.
    """
    status = exc.status
    if status not in (403, 429):
        return None
    headers = exc.headers or {}
    retry_after = _header(headers, "retry-after")
    remaining = _header(headers, "x-ratelimit-remaining")
    reset = _header(headers, "x-ratelimit-reset")
    limited = status == 429 or retry_after is not None or remaining == "0" or "rate limit" in _message(exc).lower()
    if not limited:
        return None
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return SECONDARY_LIMIT_WAIT_S
    if remaining == "0" and reset is not None:
        try:
            return max(0.0, float(reset) - clock())
        except ValueError:
            return SECONDARY_LIMIT_WAIT_S
    return SECONDARY_LIMIT_WAIT_S


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, requests.exceptions.RequestException):
        return True
    if isinstance(exc, GithubException):
        return exc.status >= 500 or rate_limit_wait(exc) is not None
    return False


class _Waits:
    """tenacity wait + stop: tenacity computes the wait first, then asks whether to stop."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        p = self.policy
        n = state.attempt_number
        if isinstance(exc, GithubException):
            wait = rate_limit_wait(exc, p.clock)
            if wait is not None:
                if _header(exc.headers, "retry-after") is None and _header(exc.headers, "x-ratelimit-remaining") != "0":
                    wait = wait * (2 ** (n - 1))  # secondary limit without headers: grow
                return wait + p.rng.uniform(0, p.jitter_s)
        backoff = p.base_delay_s * (2 ** (n - 1))
        return min(p.max_wait_s, backoff * p.rng.uniform(0.5, 1.5))

    def stop(self, state: RetryCallState) -> bool:
        return state.attempt_number >= self.policy.max_attempts or state.upcoming_sleep > self.policy.max_wait_s


def translate(exc: BaseException, what: str, clock: Callable[[], float] = time.time) -> GitHubError:
    """Turn a PyGithub/requests exception into a GitHubError with a one-line message naming ``what``."""
    if isinstance(exc, requests.exceptions.RequestException):
        return GitHubUnavailable(f"{what}: no answer from GitHub ({type(exc).__name__})")
    if not isinstance(exc, GithubException):
        return GitHubError(f"{what}: {type(exc).__name__}: {exc}")
    status = exc.status
    msg = _message(exc)[:200] or "no message"
    text = f"{what}: GitHub answered {status}: {msg}"
    wait = rate_limit_wait(exc, clock)
    if wait is not None:
        return GitHubRateLimited(text, status=status, retry_after_s=wait)
    if status >= 500:
        return GitHubUnavailable(text, status=status)
    if status == 401:
        return GitHubAuthError(text, status=status)
    if status == 404:
        return GitHubNotFound(text, status=status)
    return GitHubRequestError(text, status=status)


def call_with_retries(fn: Callable[[], T], what: str, policy: RetryPolicy | None = None) -> T:
    """Run ``fn`` (one GitHub request) with bounded retries; raise a GitHubError when it fails.

    Retries 5xx, network errors and rate limits (403 with rate-limit signals, 429) at most
    ``policy.max_attempts`` times in all, waiting GitHub's ``retry-after`` / ``x-ratelimit-reset``
    or an exponential, jittered backoff. Other errors are raised at once, translated.
    """
    policy = policy or RetryPolicy()
    waits = _Waits(policy)

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("github.retry", what=what, attempt=state.attempt_number,
                    status=getattr(exc, "status", None), error=type(exc).__name__,
                    wait_s=round(state.upcoming_sleep, 3))

    retrying = Retrying(
        stop=waits.stop,
        wait=waits.wait,
        retry=retry_if_exception(_retryable),
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(fn)
    except (GithubException, requests.exceptions.RequestException) as exc:
        err = translate(exc, what, policy.clock)
        if err.retryable:
            log.error("github.gave_up", what=what, status=err.status, error=str(err), retry_after_s=err.retry_after_s)
        raise err from exc


__all__ = ["RetryPolicy", "call_with_retries", "rate_limit_wait", "translate"]

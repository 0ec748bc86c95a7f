"""Shared fixtures for the LLM layer: litellm imported once per session, the one fake model
(``bot.testing.fake_llm``) served through respx, a real LiteLLMClient pointed at it, and real
git repositories turned into review contexts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.adapters.gitlocal import LocalGitSource
from bot.adapters.llm import LiteLLMClient
from bot.core.context import ReviewContext
from bot.llm import MemoryCache, Reasoner, ReasonerConfig
from bot.testing.fake_llm import FakeLLM
from bot.testing.gitrepo import make_repo

MODEL = "gpt-4o-mini"
"""A model in litellm's offline cost map, so costs are computed; served by the fake."""


@pytest.fixture(scope="session", autouse=True)
def litellm_loaded() -> None:
    """Import litellm and the modules its first call needs once (a few seconds) per session."""
    LiteLLMClient().warm_up()


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with FakeLLM() as llm:
        yield llm


@pytest.fixture
def sleeps() -> list[float]:
    """Backoff delays the client asked for (it never really sleeps in tests)."""
    return []


@pytest.fixture
def client(fake: FakeLLM, sleeps: list[float]) -> LiteLLMClient:
    return LiteLLMClient(api_base=fake.base_url, api_key="sk-test-0000", timeout_s=5, sleep=sleeps.append)


@pytest.fixture
def reasoner(client: LiteLLMClient) -> Callable[..., Reasoner]:
    """Build a Reasoner over the fake (one unit worker, so scripted replies stay in order)."""

    def build(cache: MemoryCache | None = None, **config: object) -> Reasoner:
        config.setdefault("unit_workers", 1)
        return Reasoner(client, ReasonerConfig(model=MODEL, **config), cache=cache)  # type: ignore[arg-type]

    return build


@pytest.fixture
def make_ctx(tmp_path: Path) -> Callable[..., ReviewContext]:
    """``make_ctx(base_files, head_files, title=, body=)`` -> a ReviewContext over a real repo."""
    counter = {"n": 0}

    def build(base: dict, head: dict, *, title: str = "Update code", body: str = "") -> ReviewContext:
        counter["n"] += 1
        repo, base_sha, head_sha = make_repo(tmp_path, base, head, title=title, body=body, name=f"r{counter['n']}")
        snap = LocalGitSource(repo, base=base_sha, head=head_sha).snapshot()
        return ReviewContext(pr=snap.pr, diff=snap.diff, base=snap.base, head=snap.head)  # type: ignore[arg-type]

    return build

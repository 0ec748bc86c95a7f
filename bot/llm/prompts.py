"""Versioned system prompts: ``subagents/prompts/<agent>.v<N>.md`` after ``_shared.v<M>.md``.

The highest version of each file is used. The version string recorded in
``Verdict.prompt_version`` is ``"<agent>.v<N>+shared.v<M>"``; the cache key additionally hashes
the full prompt text, so an edit without a version bump never serves stale answers.
Prompt files are package data read through ``importlib.resources`` (no environment, no network).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bot.core.models import AGENT_NAMES
from bot.llm.schema import answer_schema

_VERSION_RE = re.compile(r"^(?P<stem>[a-z_]+)\.v(?P<n>\d+)\.md$")


@dataclass(frozen=True)
class Prompt:
    """A rendered system prompt: ``text`` (schema and budgets filled in) and its ``version``."""

    agent: str
    version: str
    text: str


def _latest(stem: str) -> tuple[int, str]:
    folder = resources.files("subagents").joinpath("prompts")
    best: tuple[int, str] | None = None
    for entry in folder.iterdir():
        m = _VERSION_RE.match(entry.name)
        if m and m.group("stem") == stem:
            n = int(m.group("n"))
            if best is None or n > best[0]:
                best = (n, entry.read_text(encoding="utf-8"))
    if best is None:
        raise FileNotFoundError(f"no prompt subagents/prompts/{stem}.v<N>.md")
    return best


@lru_cache(maxsize=64)
def load_prompt(agent: str, max_steps: int) -> Prompt:
    """The system prompt of ``agent`` (one of ``AGENT_NAMES``) with ``max_steps`` tool rounds.

    Raises KeyError for an unknown agent and FileNotFoundError when its prompt file is missing.
    """
    if agent not in AGENT_NAMES:
        raise KeyError(f"unknown agent {agent!r} (valid: {', '.join(AGENT_NAMES)})")
    shared_n, shared = _latest("_shared")
    n, own = _latest(agent)
    text = (shared.rstrip() + "\n\n" + own.strip() + "\n").replace("{{schema}}", answer_schema())
    text = text.replace("{{max_steps}}", str(max_steps))
    return Prompt(agent=agent, version=f"{agent}.v{n}+shared.v{shared_n}", text=text)

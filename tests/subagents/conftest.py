"""Shared fixtures for the sub-agent tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.adapters.gitlocal import LocalGitSource
from bot.core.context import ReviewContext
from bot.testing.gitrepo import make_repo

Files = dict[str, "str | bytes | None"]


@pytest.fixture
def make_context(tmp_path: Path) -> Iterator[Callable[..., ReviewContext]]:
    """``make_context(base, head, *, title="Update code", body="", pr_title=None, pr_body=None,
    **ctx_kwargs) -> ReviewContext`` built from a real git repository under ``tmp_path`` (base
    commit on ``main``, head commit with message ``title``/``body`` on ``feature``; see
    :func:`bot.testing.gitrepo.make_repo`). The PR title and body are ``pr_title``/``pr_body``
    when given, else the head commit's subject and body. ``ctx_kwargs`` go to :class:`ReviewContext`
    (``deadline=``, ``options=`` ...). Each call makes a new repository; git processes are closed
    at teardown.
    """
    trees: list = []

    def build(base: Files, head: Files, *, title: str = "Update code", body: str = "", pr_title: str | None = None,
              pr_body: str | None = None, **ctx_kwargs: object) -> ReviewContext:
        repo, _, _ = make_repo(tmp_path, base, head, title=title, body=body, name=f"repo{len(trees)}")
        s = LocalGitSource(repo, title=pr_title, body=pr_body).snapshot()
        trees.append(s.head)
        return ReviewContext(pr=s.pr, diff=s.diff, base=s.base, head=s.head, **ctx_kwargs)  # type: ignore[arg-type]

    yield build
    for tree in trees:
        tree.close()  # the base tree shares the same cat-file process
